import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { BatchList, BatchReport } from '@sparkflow/contracts';
import { HEADERS, SCHEMA_VERSION, TOPICS } from '@sparkflow/contracts';
import { integrationSettings, kafkaConnection, uniqueName } from '@sparkflow/testing';
import { eventually, runCli, runCliJson } from './cli-runner';

/**
 * `batches`, `events get` and `dlq stats`: the real `sparkflow` command against the running stack and
 * its four services (`npm run stack -- up`, the same KAFKA_PORT/… overrides for both).
 */
const settings = integrationSettings();
const REPO = join(__dirname, '..', '..', '..');
const kafka = new Kafka({ clientId: 'cli-ops-it', ...kafkaConnection(settings), logLevel: logLevel.NOTHING });

async function synthetic(count: number, seed: string, traceparent?: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/synthetic`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim(),
      ...(traceparent ? { traceparent } : {}),
    },
    body: JSON.stringify({ count, seed }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { batchId: string }).batchId;
}

/** The pid of a service the native stack runs, from `stack status --json`. */
async function servicePid(component: string): Promise<number> {
  const { stdout } = await promisify(execFile)(
    'bash',
    [join(REPO, 'deploy/local/bin/stack'), 'status', component, '--json'],
    {
      encoding: 'utf8',
    },
  );
  const [row] = JSON.parse(stdout) as { pid: number | null; state: string }[];
  if (!row?.pid || row.state !== 'healthy') throw new Error(`${component} is not running: ${stdout}`);
  return row.pid;
}

interface Lineage {
  eventId: string;
  lineage: {
    topic: string;
    outcome: string;
    partition: number;
    offset: string;
    timestamp: string | null;
    traceId: string | null;
    deadLetterStage: string | null;
    reasons: { code: string; path: string | null }[] | null;
  }[];
}

describe('sparkflow batches, events and dlq stats on the running pipeline', () => {
  const traceId = randomUUID().replace(/-/g, '');
  let batchId: string;
  let report: BatchReport;

  beforeAll(async () => {
    batchId = await synthetic(25, uniqueName('cli-ops'), `00-${traceId}-00f067aa0ba902b7-01`);
  });

  it('batches watch follows a batch to completion, one plain line per change when piped, exit 0', async () => {
    const r = await runCli(['batches', 'watch', batchId, '--stall-after', '60']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`batch ${batchId} complete`);
    expect(r.stdout).toMatch(/persisted\s+25\n/);
    // Piped: no bar redrawn in place, no colour; the last progress line is the settled batch.
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\u001b[');
    expect(r.stderr.trim().split('\n').pop()).toBe(
      '25/25 ingested 25/25 · enriched 25 · persisted 25 · dead-lettered 0',
    );
  });

  it('batches get reports counts, completeness, throughput and latency percentiles', async () => {
    report = await runCliJson<BatchReport>(['batches', 'get', batchId]);
    expect(report).toMatchObject({
      batchId,
      expected: 25,
      ingested: 25,
      enriched: 25,
      persisted: 25,
      deadLettered: 0,
      complete: true,
    });
    expect(report.timing.throughputPerSec).toBeGreaterThan(0);
    const { p50, p95, p99 } = report.timing.latencyMs;
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p95).toBeGreaterThanOrEqual(p50 ?? 0);
    expect(p99).toBeGreaterThanOrEqual(p95 ?? 0);
    const text = await runCli(['batches', 'get', batchId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/complete\s+yes/);
    expect(text.stdout).toMatch(/latency\s+p50 \d+ ms · p95 \d+ ms · p99 \d+ ms/);
  });

  it('batches get exits 1 for a batch the audit never saw', async () => {
    const r = await runCli(['batches', 'get', uniqueName('no-such-batch')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sparkflow: no batch /);
  });

  it('names the setting when the audit address is wrong, instead of saying the batch is not there', async () => {
    const audit = `http://127.0.0.1:${settings.AUDIT_HTTP_PORT}`;
    const doubled = await runCli(['batches', 'get', uniqueName('any-batch')], { AUDIT_URL: `${audit}/v1` });
    expect(doubled.code).toBe(1);
    expect(doubled.stderr).toContain(`AUDIT_URL (it gave ${audit}/v1)`);
    expect(doubled.stderr).not.toContain('no batch');
    // Ingestion's port: another service answers, with its own 404.
    const other = await runCli(['events', 'get', randomUUID()], {
      AUDIT_HTTP_PORT: String(settings.INGESTION_HTTP_PORT),
    });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('AUDIT_HTTP_PORT');
    expect(other.stderr).not.toContain('no event');
  });

  it('batches list shows the batch since a time, and leaves it out of --incomplete once complete', async () => {
    const all = await runCliJson<BatchList>(['batches', 'list', '--since', '30m']);
    expect(all.batches.find((b) => b.batchId === batchId)).toMatchObject({
      ingested: 25,
      persisted: 25,
      complete: true,
    });
    const incomplete = await runCliJson<BatchList>(['batches', 'list', '--since', '30m', '--incomplete']);
    expect(incomplete.incompleteOnly).toBe(true);
    expect(incomplete.batches.map((b) => b.batchId)).not.toContain(batchId);
    expect(incomplete.batches.every((b) => !b.complete)).toBe(true);
    const text = await runCli(['batches', 'list', '--since', '30m']);
    expect(text.stdout).toMatch(
      new RegExp(`${batchId}\\s+synthetic\\s+\\S+\\s+25\\s+25\\s+25\\s+25\\s+0\\s+complete`),
    );
    const bad = await runCli(['batches', 'list', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday"');
  });

  it('events get shows the lineage across topics with partition, offset, time and the trace id', async () => {
    const history = await runCliJson<{ history: { eventId: string; topic: string }[] }>([
      'users',
      'get',
      report.sampleUserId ?? '',
    ]);
    const eventId = history.history.find((e) => e.topic === TOPICS.usersRaw)!.eventId;
    const got = await runCliJson<Lineage>(['events', 'get', eventId]);
    expect(got.lineage.map((s) => s.topic)).toEqual([
      TOPICS.usersRaw,
      TOPICS.usersEnriched,
      TOPICS.usersPersisted,
    ]);
    for (const s of got.lineage) {
      expect(s.partition).toBeGreaterThanOrEqual(0);
      expect(Number(s.offset)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(s.timestamp ?? '')).toBeGreaterThan(Date.now() - 30 * 60_000);
      // The request's sampled traceparent follows the event through every service.
      expect(s.traceId).toBe(traceId);
    }
    const text = await runCli(['events', 'get', eventId]);
    expect(text.stdout).toMatch(
      new RegExp(`users\\.persisted\\s+persisted\\s+\\d+\\s+\\d+\\s+\\S+\\s+${traceId}`),
    );
    expect((await runCli(['events', 'get', 'not-an-id'])).code).toBe(2);
    expect((await runCli(['events', 'get', randomUUID()])).code).toBe(1);
  });

  it('events get names the stage and reasons of a dead-lettered event, and dlq stats counts it by stage and reason', async () => {
    // One of the batch's people, read back from users.raw, with its e-mail broken and a new event id.
    const raw = await runCliJson<{ history: { topic: string; partition: number; offset: string }[] }>([
      'users',
      'get',
      report.sampleUserId ?? '',
    ]);
    const at = raw.history.find((e) => e.topic === TOPICS.usersRaw)!;
    const [record] = await runCliJson<{ value: { payload: Record<string, unknown> } }[]>([
      'topics',
      'tail',
      TOPICS.usersRaw,
      '--offset',
      `${at.partition}:${at.offset}`,
      '--limit',
      '1',
    ]);
    const userId = randomUUID();
    const eventId = randomUUID();
    const brokenBatch = uniqueName('cli-ops-dlq');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.usersRaw,
      acks: -1,
      messages: [
        {
          key: userId,
          value: JSON.stringify({
            eventId,
            schemaVersion: SCHEMA_VERSION,
            source: 'http-push',
            batchId: brokenBatch,
            producedAt: new Date().toISOString(),
            payload: {
              ...record.value.payload,
              email: 'not-an-email',
              login: { ...(record.value.payload['login'] as object), uuid: userId },
            },
          }),
          headers: {
            [HEADERS.eventId]: eventId,
            [HEADERS.batchId]: brokenBatch,
            [HEADERS.source]: 'http-push',
          },
        },
      ],
    });
    await producer.disconnect();

    const got = await eventually('the dead letter in the lineage', async () => {
      const l = await runCliJson<Lineage>(['events', 'get', eventId]).catch(() => null);
      return l?.lineage.some((s) => s.topic === TOPICS.usersDlq) ? l : null;
    });
    const dead = got.lineage.find((s) => s.topic === TOPICS.usersDlq)!;
    expect(dead).toMatchObject({ outcome: 'dead-lettered', deadLetterStage: 'enrichment' });
    expect(dead.reasons).toContainEqual(expect.objectContaining({ path: 'payload.email' }));
    const text = await runCli(['events', 'get', eventId]);
    expect(text.stdout).toMatch(
      /dead-lettered by enrichment \(users\.dlq\[\d+\]@\d+\):\n\s+\S+ payload\.email: /,
    );

    const stats = await runCliJson<{
      total: number;
      byStage: Record<string, number>;
      reasons: { stage: string; code: string; count: number; paths: string[] }[];
    }>(['dlq', 'stats', '--since', '5m', '--stage', 'enrichment']);
    expect(stats.byStage['enrichment']).toBeGreaterThanOrEqual(1);
    const code = dead.reasons!.find((r) => r.path === 'payload.email')!.code;
    expect(stats.reasons).toContainEqual(
      expect.objectContaining({
        stage: 'enrichment',
        code,
        count: expect.any(Number),
        paths: expect.arrayContaining(['payload.email']),
      }),
    );
    const table = await runCli(['dlq', 'stats', '--since', '5m']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`enrichment\\s+${code}\\s+\\d+\\s+\\S+\\s+.*payload\\.email`));
  });

  it('batches watch exits 1 naming enrichment when its consumer is frozen with the batch behind it', async () => {
    const pid = await servicePid('enrichment');
    let frozenBatch = '';
    process.kill(pid, 'SIGSTOP');
    try {
      frozenBatch = await synthetic(10, uniqueName('cli-ops-frozen'));
      const started = Date.now();
      const r = await runCli(['batches', 'watch', frozenBatch, '--stall-after', '5', '--interval', '500']);
      expect(r.code).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
      expect(r.stderr).toContain(
        `batch ${frozenBatch} stalled at enrichment (group sparkflow-enrichment on users.raw, partitions`,
      );
      expect(r.stderr).toMatch(/ingested 10\/10 · enriched 0 · persisted 0 · dead-lettered 0/);
      expect(r.stderr).not.toMatch(/stalled at .*persistence/);

      const json = await runCli(['batches', 'watch', frozenBatch, '--stall-after', '5', '--json']);
      expect(json.code).toBe(1);
      const body = JSON.parse(json.stdout) as {
        complete: boolean;
        stalled: { stage: string; topic: string; lag: number }[];
      };
      expect(body.complete).toBe(false);
      expect(body.stalled).toEqual([
        expect.objectContaining({ stage: 'enrichment', topic: TOPICS.usersRaw }),
      ]);
      expect(body.stalled[0].lag).toBeGreaterThanOrEqual(10);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Thawed, the same batch completes.
    const after = await runCli(['batches', 'watch', frozenBatch, '--stall-after', '60']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`batch ${frozenBatch} complete`);
  });
});
