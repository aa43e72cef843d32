import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HEADERS, TOPICS } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { topicEndOffsets, uniqueName } from '@sparkflow/testing';
import { deadLettersOfBatch, kafka, post, waitForBatch } from './pipeline-client';
import { exportedSpans as spans, logLines } from './stack-files';

describe('log lines and traces of one record lead to each other', () => {
  it("writes the record's trace_id, span_id, event_id and batch_id on its lines in enrichment and persistence, the span ids its trace holds", async () => {
    const traceId = randomBytes(16).toString('hex');
    const users = generateUsers({ seed: uniqueName('e2e-logs'), count: 1 });
    // A sampled traceparent: the record's trace is exported, and its work is logged at info.
    const res = await post('/v1/users', users, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(res.status).toBe(202);
    const { batchId, eventIds } = res.json as { batchId: string; eventIds: string[] };
    expect(eventIds).toHaveLength(1);
    const [eventId] = eventIds;
    await waitForBatch(batchId, 60_000);

    // The record's consumer span in each service, as its exporter wrote it.
    const hops = [
      { service: 'enrichment', span: 'process users.raw' },
      { service: 'persistence', span: 'process users.enriched' },
    ];
    const find = () =>
      hops.map(({ service, span }) => ({
        service,
        span: spans(service, traceId).find(
          (s) => s.name === span && s.attributes['sparkflow.event_id'] === eventId,
        ),
        lines: logLines(service, eventId).filter((l) => l['msg'] !== undefined),
      }));
    // Log lines are written at once, spans exported every few seconds: wait for both, bounded.
    let found = find();
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
      if (found.every((f) => f.span && f.lines.length)) break;
      found = find();
    }

    for (const { service, span, lines } of found) {
      expect({ service, exported: !!span }).toEqual({ service, exported: true });
      expect(lines).toContainEqual(
        expect.objectContaining({
          service,
          event_id: eventId,
          batch_id: batchId,
          trace_id: traceId,
          span_id: span?.spanId,
        }),
      );
    }
    // Ingestion's request line carries the same trace.
    expect(logLines('ingestion', traceId)).toContainEqual(
      expect.objectContaining({
        service: 'ingestion',
        trace_id: traceId,
        msg: 'request completed',
        res: { statusCode: 202 },
      }),
    );
  });

  it("writes a dead letter's warn line with the record's ids and the span of the attempt that gave it up", async () => {
    const traceId = randomBytes(16).toString('hex');
    const eventId = randomUUID();
    const batchId = uniqueName('e2e-logs-dlq');
    const dlqFrom = await topicEndOffsets(kafka, TOPICS.usersDlq);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: TOPICS.usersRaw,
        messages: [
          {
            key: `bad-${eventId}`,
            value: '<not json/>',
            headers: {
              [HEADERS.eventId]: eventId,
              [HEADERS.batchId]: batchId,
              traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
            },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await deadLettersOfBatch(batchId, 1, { from: dlqFrom });

    const find = () => ({
      span: spans('enrichment', traceId).find((s) => s.name === 'process users.raw'),
      lines: logLines('enrichment', eventId).filter((l) => String(l['msg']).startsWith('dead-lettered')),
    });
    let found = find();
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
      if (found.span && found.lines.length) break;
      found = find();
    }
    expect(found.span).toBeDefined();
    expect(found.lines).toEqual([
      expect.objectContaining({
        service: 'enrichment',
        level: 40,
        event_id: eventId,
        batch_id: batchId,
        trace_id: traceId,
        span_id: found.span?.spanId,
        msg: expect.stringMatching(
          /^dead-lettered users\.raw\[\d+\] offset \d+ after 1 attempt\(s\): MALFORMED_JSON: /,
        ),
      }),
    ]);
  });
});
