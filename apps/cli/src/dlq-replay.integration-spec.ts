import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { BatchReport } from '@sparkflow/contracts';
import { HEADERS, SCHEMA_VERSION, TOPICS } from '@sparkflow/contracts';
import { auditHeaders, integrationSettings, kafkaConnection, uniqueName } from '@sparkflow/testing';
import { eventually, runCli, runCliJson } from './cli-runner';

/**
 * `dlq replay` of an event that fails again, round after round: the real `sparkflow` command against the
 * running stack (`npm run stack -- up`, the same KAFKA_PORT/… overrides for both).
 */
const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'cli-dlq-replay-it',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});

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

/** A person users.raw takes: one synthetic person, read back from users.raw by its batch id. */
async function validPerson(): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/synthetic`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim(),
    },
    body: JSON.stringify({ count: 1, seed: uniqueName('cli-dlq-replay') }),
  });
  expect(res.status).toBe(202);
  const { batchId } = (await res.json()) as { batchId: string };
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
    // A person born in 2099, produced to users.raw as a producer would: enrichment dead-letters it.
    const person = await validPerson();
    const userId = randomUUID();
    const eventId = randomUUID();
    const batchId = uniqueName('cli-it-dlq-replay');
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
            batchId,
            producedAt: new Date().toISOString(),
            payload: {
              ...person,
              dob: { ...(person['dob'] as object), date: '2099-01-01T00:00:00.000Z' },
              login: { ...(person['login'] as object), uuid: userId },
            },
          }),
          headers: {
            [HEADERS.eventId]: eventId,
            [HEADERS.batchId]: batchId,
            [HEADERS.source]: 'http-push',
          },
        },
      ],
    });
    await producer.disconnect();

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
    const listed = () =>
      runCli(['dlq', 'list', '--batch', batchId, '--since', '30m', '--json']).then((r) => {
        expect(r.code).toBe(0);
        return { rows: JSON.parse(r.stdout) as { dlqEventId: string }[], stderr: r.stderr };
      });
    const lettersAfter = (n: number) =>
      eventually(`${n} dead letter(s) of the event`, async () => {
        const letters = await lettersOnTopic();
        return letters.length >= n ? letters : null;
      });

    expect(await lettersAfter(1)).toHaveLength(1);
    const first = await listed();
    expect(first.rows).toHaveLength(1);

    for (const round of [1, 2]) {
      const { rows } = await listed();
      // The dry run shows what the run publishes: the event once, by its newest dead letter.
      const dry = await runCliJson<{ replayed: { dlqEventId: string; eventId: string }[] }>([
        'dlq',
        'replay',
        '--batch',
        batchId,
        '--since',
        '30m',
        '--dry-run',
      ]);
      expect(dry.replayed).toEqual([expect.objectContaining({ dlqEventId: rows[0].dlqEventId, eventId })]);
      const real = await runCliJson<{ replayed: { dlqEventId: string; partition: number | null }[] }>([
        'dlq',
        'replay',
        '--batch',
        batchId,
        '--since',
        '30m',
      ]);
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
