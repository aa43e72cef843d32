import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateUsers } from '@sparkflow/sources';
import type { SpanRecord } from '@sparkflow/telemetry';
import { uniqueName } from '@sparkflow/testing';
import { post, waitForBatch } from './pipeline-client';
import { exportedSpans } from './stack-files';

const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'];

/** Spans of one trace from every service's trace file. */
const spansOf = (traceId: string) => SERVICES.flatMap((service) => exportedSpans(service, traceId));

describe('tracing across the four services', () => {
  it('links ingestion, enrichment, persistence and audit spans of one pushed user into one trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const users = generateUsers({ seed: uniqueName('e2e-trace'), count: 1 });
    const clientSpanId = randomBytes(8).toString('hex');
    const res = await post('/v1/users', users, { traceparent: `00-${traceId}-${clientSpanId}-01` });
    expect(res.status).toBe(202);
    await waitForBatch(res.json['batchId'] as string);

    // Spans are exported in batches (every few seconds); wait for the last service's to land, bounded.
    const wanted = [
      'POST',
      'process users.raw',
      'process users.enriched',
      'upsert users',
      'process users.persisted',
    ];
    let spans: SpanRecord[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
      spans = spansOf(traceId);
      if (
        new Set(spans.map((s) => s.service)).size === 4 &&
        wanted.every((w) => spans.some((s) => s.name.startsWith(w)))
      )
        break;
    }
    expect([...new Set(spans.map((s) => s.service))].sort()).toEqual([...SERVICES].sort());
    const byName = (service: string, name: string) =>
      spans.filter((s) => s.service === service && s.name.startsWith(name));
    expect(byName('ingestion', 'POST')).not.toHaveLength(0);
    expect(byName('enrichment', 'process users.raw')).toHaveLength(1);
    expect(byName('persistence', 'process users.enriched')).toHaveLength(1);
    expect(byName('persistence', 'upsert users')).toHaveLength(1);
    expect(byName('audit', 'process users.persisted')).toHaveLength(1);
    // Each hop is a child of the previous service's span, not merely in the same trace.
    const ids = new Set([clientSpanId, ...spans.map((s) => s.spanId)]);
    expect(
      spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => `${s.service}:${s.name}`),
    ).toEqual([]);
  });
});
