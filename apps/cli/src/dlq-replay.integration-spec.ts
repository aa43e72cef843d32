import { randomUUID } from 'node:crypto';
import type { BatchReport } from '@sparkflow/contracts';
import { TOPICS } from '@sparkflow/contracts';
import { auditHeaders, integrationSettings, uniqueName } from '@sparkflow/testing';
import { eventually, runCli, runCliJson } from './cli-runner';

/**
 * `dlq replay` of an event that fails again, round after round: the real `sparkflow` command against the
 * running stack (`npm run stack -- up`, the same KAFKA_PORT/… overrides for both).
 */
const settings = integrationSettings();

interface Tailed {
  value: { payload?: { originalEventId?: string | null; stage?: string } };
}

/** The audit's counts for a batch (`GET /v1/batches/:batchId`). */
async function auditBatch(batchId: string): Promise<BatchReport | null> {
  const res = await fetch(
    `http://127.0.0.1:${settings.AUDIT_HTTP_PORT}/v1/batches/${encodeURIComponent(batchId)}`,
    { headers: auditHeaders(settings) },
  );
  return res.status === 200 ? ((await res.json()) as BatchReport) : null;
}

/** POST `body` to ingestion's `path` under its API key; its 202 answer. */
async function ingest(path: string, body: unknown): Promise<{ batchId: string }> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim(),
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { batchId: string };
}

/** A person users.raw takes: one synthetic person, read back from users.raw by its batch id. */
async function validPerson(): Promise<Record<string, unknown>> {
  const { batchId } = await ingest('/v1/synthetic', { count: 1, seed: uniqueName('cli-dlq-replay') });
  const [record] = await eventually('the synthetic person on users.raw', () =>
    runCliJson<{ value: { payload: Record<string, unknown> } }[]>([
      'topics',
      'tail',
      TOPICS.usersRaw,
      '--since',
      '5m',
      '--grep',
      batchId,
      '--limit',
      '1',
    ]).then((found) => (found.length ? found : null)),
  );
  expect(record.value.payload).toHaveProperty('login.uuid');
  return record.value.payload;
}

describe('dlq replay of an event that fails again', () => {
  it('adds one dead letter per round, never doubling, and dlq list --batch counts what the audit counts', async () => {
    // A person born in 2099, pushed to ingestion: enrichment dead-letters it.
    const person = await validPerson();
    const userId = randomUUID();
    const { batchId } = await ingest('/v1/users', [
      {
        ...person,
        dob: { ...(person['dob'] as object), date: '2099-01-01T00:00:00.000Z' },
        login: { ...(person['login'] as object), uuid: userId },
      },
    ]);
    const listed = () =>
      runCli(['dlq', 'list', '--batch', batchId, '--since', '30m', '--json']).then((r) => {
        expect(r.code).toBe(0);
        return {
          rows: JSON.parse(r.stdout) as { dlqEventId: string; deadLetter: { originalEventId: string } }[],
          stderr: r.stderr,
        };
      });
    const { rows: firstRows } = await eventually('the dead letter', async () => {
      const l = await listed();
      return l.rows.length ? l : null;
    });
    expect(firstRows).toHaveLength(1);
    const eventId = firstRows[0].deadLetter.originalEventId;

    // Every record of users.dlq about the event, read by its key: what the CLI's counting is checked against.
    const lettersOnTopic = async () => {
      const tailed = await runCliJson<Tailed[]>([
        'topics',
        'tail',
        TOPICS.usersDlq,
        '--key',
        userId,
        '--since',
        '30m',
        '--limit',
        '100',
      ]);
      return tailed.filter((r) => r.value.payload?.originalEventId === eventId);
    };
    const lettersAfter = (n: number) =>
      eventually(`${n} dead letter(s) of the event`, async () => {
        const letters = await lettersOnTopic();
        return letters.length >= n ? letters : null;
      });

    expect(await lettersAfter(1)).toHaveLength(1);

    const replay = (more: string[]) =>
      runCliJson<{ replayed: { dlqEventId: string; eventId: string | null; partition: number | null }[] }>([
        'dlq',
        'replay',
        '--batch',
        batchId,
        '--since',
        '30m',
        ...more,
      ]);
    for (const round of [1, 2]) {
      const { rows } = await listed();
      // The dry run shows what the run publishes: the event once, by its newest dead letter.
      const dry = await replay(['--dry-run']);
      expect(dry.replayed).toEqual([expect.objectContaining({ dlqEventId: rows[0].dlqEventId, eventId })]);
      const real = await replay([]);
      expect(real.replayed).toEqual([
        expect.objectContaining({ dlqEventId: rows[0].dlqEventId, partition: expect.any(Number) }),
      ]);

      // Enrichment fails it again: one more dead letter, 1 → 2 → 3.
      const letters = await lettersAfter(round + 1);
      expect(letters).toHaveLength(round + 1);
      expect(letters.every((l) => l.value.payload?.stage === 'enrichment')).toBe(true);
      const after = await eventually('the new dead letter listed', async () => {
        const l = await listed();
        return l.rows.some((r) => r.dlqEventId !== rows[0].dlqEventId) ? l : null;
      });
      // Listed once, by its newest letter.
      expect(after.rows).toHaveLength(1);
      expect(after.stderr).toContain(`${round} older dead letter(s) of events dead-lettered again`);
    }

    // The audit's batch: one event, dead-lettered; the CLI's list counts the same.
    const report = await eventually('the batch in the audit', () => auditBatch(batchId));
    expect(report).toMatchObject({ batchId, ingested: 1, deadLettered: 1, persisted: 0 });
    const { rows } = await listed();
    expect(rows).toHaveLength(report.deadLettered);
  });
});
