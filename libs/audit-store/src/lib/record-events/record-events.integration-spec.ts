import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { DeadLetterEvent, HEADERS, TOPICS } from '@sparkflow/contracts';
import { BatchConsumer, EventProducer, OK, deadLetterFor, type RetryNotice } from '@sparkflow/kafka';
import {
  deadLettersWhere,
  integrationSettings,
  kafkaConnection,
  scratchKafka,
  scratchPostgresDatabase,
  uniqueName,
  type ScratchDatabase,
} from '@sparkflow/testing';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository } from './audit-events.repository';
import { RecordEventsUseCase } from './record-events.use-case';

const s = integrationSettings();
const kafka = new Kafka({ clientId: 'audit-poison-it', ...kafkaConnection(s), logLevel: logLevel.NOTHING });
const scratch = scratchKafka(kafka);
const TOPICS_READ = [TOPICS.usersRaw, TOPICS.usersDlq];

/** A raw event as ingestion writes it: envelope in the value, the same ids in headers. */
function rawRecord(batchId: string, batchSize: number) {
  const eventId = randomUUID();
  const userId = randomUUID();
  const value = JSON.stringify({
    eventId,
    schemaVersion: 1,
    source: 'synthetic',
    batchId,
    producedAt: new Date().toISOString(),
    payload: { login: { uuid: userId } },
  });
  const headers = {
    [HEADERS.eventId]: eventId,
    [HEADERS.batchId]: batchId,
    [HEADERS.batchSize]: String(batchSize),
    [HEADERS.source]: 'synthetic',
    [HEADERS.schemaVersion]: '1',
  };
  // One key: every record in one partition, the healthy batch behind the poison.
  return { eventId, message: { key: 'audit-poison-it', value, headers } };
}

/**
 * A dead letter of enrichment for a raw event of `batchId`, as `deadLetterFor` builds it, with `reason`
 * as its reason's message as another producer might write it (a NUL included).
 */
function deadLetterRecord(batchId: string, reason: string) {
  const original = rawRecord(batchId, 3);
  const built = deadLetterFor(
    {
      topic: TOPICS.usersRaw,
      partition: 0,
      offset: '0',
      key: original.message.key,
      value: Buffer.from(original.message.value),
      headers: original.message.headers,
      timestamp: Date.now(),
      traceHeaders: {},
    },
    'enrichment',
    new Error('refused'),
    1,
  );
  const event = built.event as DeadLetterEvent;
  const value = {
    ...event,
    payload: { ...event.payload, reasons: [{ ...event.payload.reasons[0], message: reason }] },
  };
  return {
    eventId: event.eventId,
    originalEventId: original.eventId,
    message: {
      key: 'audit-poison-it',
      value: JSON.stringify(value),
      headers: { [HEADERS.eventId]: event.eventId },
    },
  };
}

/** Starts a new group at the current end of its topics, so the test reads only what it writes. */
async function startAtEnd(groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of TOPICS_READ) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

async function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the audit on the real broker and PostgreSQL', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_poison', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('stores a raw record whose batch-size header PostgreSQL integer cannot hold, its batch of no declared size', async () => {
    const batchId = uniqueName('huge-size');
    const { eventId, message } = rawRecord(batchId, 1);
    const outcomes = await new RecordEventsUseCase(repo).execute([
      {
        topic: TOPICS.usersRaw,
        partition: 0,
        offset: '7',
        key: message.key,
        value: Buffer.from(message.value),
        headers: { ...message.headers, [HEADERS.batchSize]: '1e+135' },
        timestamp: Date.now(),
        traceHeaders: {},
      },
    ]);
    expect(outcomes).toEqual([OK]);
    expect(await repo.batchCounts(batchId)).toMatchObject({ expected: null, ingested: 1 });
    expect((await repo.lineage(eventId)).map((r) => r.outcome)).toEqual(['ingested']);
  });

  it("quarantines a record PostgreSQL refuses (a NUL byte in a dead letter's reason), commits it, and completes the healthy batch behind it", async () => {
    const groupId = scratch.group('it-audit-poison');
    await startAtEnd(groupId);
    // Every id a record names is stored escaped and clamped (`storableId`), so what PostgreSQL can still
    // refuse comes from a dead letter's reasons, kept as jsonb, which holds no NUL: a letter from a
    // producer that did not build it storable, in the partition of the healthy batch's letters.
    const healthyBatch = uniqueName('healthy');
    const poison = deadLetterRecord(healthyBatch, 'refused\u0000here');
    const healthy = Array.from({ length: 3 }, () => rawRecord(healthyBatch, 3));
    const healthyLetters = Array.from({ length: 2 }, () =>
      deadLetterRecord(healthyBatch, 'an honest reason'),
    );

    const notices: RetryNotice[] = [];
    const producer = new EventProducer(kafka);
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: TOPICS_READ,
      stage: 'audit',
      producer,
      fromBeginning: false,
      partitionsConsumedConcurrently: 4, // as the audit service runs it (apps/audit/src/main.ts)
      retry: { outageBudgetMs: Number.POSITIVE_INFINITY, initialBackoffMs: 50, maxBackoffMs: 200 },
      observer: { retrying: (n) => notices.push(n) },
      handler: (messages) => new RecordEventsUseCase(repo).execute(messages),
    });
    await consumer.start();
    try {
      const raw = kafka.producer();
      await raw.connect();
      await raw.send({ topic: TOPICS.usersRaw, acks: -1, messages: healthy.map((h) => h.message) });
      await raw.send({
        topic: TOPICS.usersDlq,
        acks: -1,
        messages: [poison.message, ...healthyLetters.map((l) => l.message)],
      });
      await raw.disconnect();

      // The healthy batch, and the healthy letters behind the poison, are recorded.
      const counts = await until(async () => {
        const c = await repo.batchCounts(healthyBatch);
        return c && c.ingested === 3 ? c : null;
      }, 'the healthy batch in the audit');
      expect(counts).toMatchObject({ expected: 3, ingested: 3 });
      for (const letter of healthyLetters) {
        const rows = await until(async () => {
          const r = await repo.lineage(letter.originalEventId);
          return r.length ? r : null;
        }, 'a healthy dead letter in the audit');
        expect(rows).toEqual([expect.objectContaining({ outcome: 'dead-lettered', batchId: healthyBatch })]);
      }

      // The poison event is accounted for in the audit as dead-lettered, with PostgreSQL's reason …
      const [row] = await until(async () => {
        const rows = await repo.lineage(poison.eventId);
        return rows.length ? rows : null;
      }, 'the quarantined event in the audit');
      expect(row).toMatchObject({ topic: TOPICS.usersDlq, outcome: 'dead-lettered' });
      expect(row.reasons?.[0].code).toBe('POSTGRES_REJECTED');
      expect(row.reasons?.[0].message).toMatch(/^PostgreSQL refused the audit row: 22P05 /);

      // … and on users.dlq, as a quarantine dead letter of stage audit, dead-lettered at once.
      const dead = await readDeadLetter(poison.eventId);
      expect(dead.payload).toMatchObject({ stage: 'audit', originalTopic: TOPICS.usersDlq, attempts: 1 });
      expect(JSON.parse(dead.payload.payload)).toMatchObject({ eventId: poison.eventId });

      // Every record is committed: nothing is retried forever, nothing was retried at all.
      const committed = await until(async () => {
        const a = kafka.admin();
        await a.connect();
        const done = [];
        for (const topic of TOPICS_READ) {
          const [offsets] = await a.fetchOffsets({ groupId, topics: [topic] });
          const ends = await a.fetchTopicOffsets(topic);
          done.push(
            ends.every((e) => offsets.partitions.find((p) => p.partition === e.partition)?.offset === e.high),
          );
        }
        await a.disconnect();
        return done.every(Boolean) ? done : null;
      }, 'the group to commit users.raw and users.dlq to their ends');
      expect(committed).toBeTruthy();
      expect(notices).toEqual([]);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });
});

/** The audit's dead letter for `eventId`, read from users.dlq. */
async function readDeadLetter(eventId: string): Promise<DeadLetterEvent> {
  // The running stack's audit may quarantine the same record too: either letter is the audit's.
  const [letter] = await deadLettersWhere(
    kafka,
    (d) =>
      d.payload.stage === 'audit' &&
      d.payload.originalEventId === eventId &&
      d.payload.originalTopic === TOPICS.usersDlq,
  );
  return letter;
}
