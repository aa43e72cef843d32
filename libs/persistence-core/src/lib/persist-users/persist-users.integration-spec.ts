import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Client } from 'cassandra-driver';
import type { DeadLetterEvent, EnrichedUser } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import {
  BatchConsumer,
  ConsumerHealth,
  EventProducer,
  describeRetry,
  originalValue,
  replayDeadLetters,
  type BatchHandler,
  type RetryNotice,
} from '@sparkflow/kafka';
import {
  buildEnrichedUser,
  cassandraConnection,
  integrationSettings,
  kafkaConnection,
  scratchKafka,
  deadLettersWhere,
} from '@sparkflow/testing';
import { UsersRepository } from '../users/users.repository';
import { PersistUsersUseCase } from './persist-users.use-case';

const s = integrationSettings();
const kafka = new Kafka({ clientId: 'persist-users-it', ...kafkaConnection(s), logLevel: logLevel.NOTHING });
const scratch = scratchKafka(kafka);

const user = buildEnrichedUser;

const enrichedEvent = (u: EnrichedUser) =>
  JSON.stringify({
    eventId: randomUUID(),
    schemaVersion: 1,
    source: 'synthetic',
    batchId: 'persist-users-it',
    producedAt: new Date().toISOString(),
    payload: u,
  });

/** A one-partition topic holding `users`, keyed by their ids, in order. */
async function topicWith(users: EnrichedUser[]): Promise<string> {
  return scratch.topic(
    'it-persist',
    users.map((u) => ({ key: u.userId, value: enrichedEvent(u) })),
  );
}

/** Runs a persistence consumer over `topic` until `records` of it (by default its first batch) are committed. */
async function consume(
  topic: string,
  handler: BatchHandler,
  options: {
    health?: ConsumerHealth;
    outageBudgetMs?: number;
    onRetry?: (n: RetryNotice) => void;
    records?: number;
  },
) {
  const producer = new EventProducer(kafka);
  let committed!: () => void;
  let count = 0;
  const done = new Promise<void>((resolve) => (committed = resolve));
  const consumer = new BatchConsumer({
    kafka,
    groupId: scratch.group('it-persist-group'),
    topics: [topic],
    stage: 'persistence',
    producer,
    health: options.health,
    retry: { outageBudgetMs: options.outageBudgetMs ?? 600_000, initialBackoffMs: 50, maxBackoffMs: 200 },
    observer: {
      processed: (_topic, n) => {
        count += n;
        if (count >= (options.records ?? 1)) committed();
      },
      retrying: (n) => options.onRetry?.(n),
    },
    handler,
  });
  await consumer.start();
  await done;
  await consumer.stop();
  await producer.disconnect();
}

/** The users table's column for each field of an EnrichedUser. */
const column = (field: string) =>
  field === 'qualityReasons' ? 'quality_reason_codes' : field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A row of `users` read back as the EnrichedUser it was written from. */
function rowAsUser(row: Record<string, unknown>, like: EnrichedUser): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(like).map((field) => {
      const value = row[column(field)];
      if (value instanceof Date) return [field, value.toISOString()];
      if (field === 'userId') return [field, String(value)];
      // Cassandra stores an empty collection as no cell: it reads back null.
      if (field === 'qualityReasons') return [field, value ?? []];
      return [field, value];
    }),
  );
}

/** Every cell of these users' rows in both tables, with its write time, as text. */
async function cells(client: Client, users: EnrichedUser[]): Promise<string[]> {
  const out: string[] = [];
  for (const u of users) {
    const row = (
      await client.execute('SELECT * FROM users WHERE user_id = ?', [u.userId], { prepare: true })
    ).first();
    // quality_reasons, the appendable list no longer written, has no single write time.
    const names = row.keys().filter((c) => c !== 'user_id' && c !== 'quality_reasons');
    const times = (
      await client.execute(
        `SELECT ${names.map((c) => `WRITETIME(${c})`).join(', ')} FROM users WHERE user_id = ?`,
        [u.userId],
        { prepare: true },
      )
    ).first();
    out.push(JSON.stringify(row), JSON.stringify(times));
    const day = await client.execute(
      'SELECT country_code, event_day, user_id, full_name, gender, age_band, email_domain, quality_score, updated_at, ' +
        'WRITETIME(full_name), WRITETIME(quality_score) FROM users_by_country_day ' +
        'WHERE country_code = ? AND event_day = ? AND user_id = ?',
      [u.countryCode, row['event_day'], u.userId],
      { prepare: true },
    );
    out.push(JSON.stringify(day.rows));
  }
  return out;
}

async function deadLetterOf(topic: string): Promise<DeadLetterEvent> {
  const [letter] = await deadLettersWhere(kafka, (d) => d.payload.originalTopic === topic);
  return letter;
}

describe('PersistUsersUseCase behind a BatchConsumer, on the real broker and Cassandra', () => {
  let client: Client;
  let users: UsersRepository;
  beforeAll(async () => {
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    users = new UsersRepository(client);
  });
  afterAll(() => client.shutdown());

  it('dead-letters at once a user Cassandra refuses (an e-mail longer than a partition key may be) and writes the next', async () => {
    const refused = user(randomUUID(), { email: `${'x'.repeat(70_000)}@example.com` });
    const fine = user(randomUUID());
    const topic = await topicWith([refused, fine]);
    const notices: RetryNotice[] = [];
    const producer = new EventProducer(kafka);
    const useCase = new PersistUsersUseCase(users, producer);
    await consume(topic, (m) => useCase.execute(m), { onRetry: (n) => notices.push(n) });
    await producer.disconnect();

    expect(notices).toEqual([]);
    const dead = await deadLetterOf(topic);
    expect(dead.payload).toMatchObject({ stage: 'persistence', key: refused.userId, attempts: 1 });
    expect(dead.payload.reasons[0].code).toBe('CASSANDRA_REJECTED');
    expect(dead.payload.reasons[0].message).toMatch(
      /^Cassandra write failed: ResponseError \(server code 0x2200\)/,
    );
    expect(
      (await client.execute('SELECT user_id FROM users WHERE user_id = ?', [fine.userId], { prepare: true }))
        .rowLength,
    ).toBe(1);
  });

  it('writes a batch holding a user Cassandra refuses: that one dead-lettered alone, the others whole; a replay changes no cell', async () => {
    // 9,000 bytes of e-mail: over the e-mail index's term guardrail (8 KiB), small enough to share a batch.
    const refused = user(randomUUID(), { email: `${'x'.repeat(9_000)}@example.com` });
    const fine = [
      user(randomUUID()),
      user(randomUUID(), {
        fullName: 'Zoë Ærøskøbing',
        pictureUrl: 'https://example.com/p.jpg',
        qualityReasons: [],
      }),
      user(randomUUID(), { countryCode: 'FR', country: 'France', phoneE164: '+33123456789' }),
    ];
    const topic = await topicWith([fine[0], refused, fine[1], fine[2]]);
    const producer = new EventProducer(kafka);
    const useCase = new PersistUsersUseCase(users, producer);
    const batches = jest.spyOn(users, 'upsertMany');
    const singles = jest.spyOn(users, 'upsert');
    const notices: RetryNotice[] = [];
    await consume(topic, (m) => useCase.execute(m), { onRetry: (n) => notices.push(n) });

    expect(notices).toEqual([]);
    // One batch of all four, refused whole, then each written alone to learn which.
    expect(batches.mock.calls.map(([writes]) => writes.length)).toEqual([4]);
    expect(singles.mock.calls.map(([w]) => w.user.userId).sort()).toEqual(
      [refused, ...fine].map((u) => u.userId).sort(),
    );
    const dead = await deadLetterOf(topic);
    expect(dead.payload).toMatchObject({ stage: 'persistence', key: refused.userId, attempts: 1 });
    expect(dead.payload.reasons[0]).toMatchObject({ code: 'CASSANDRA_REJECTED' });
    expect(dead.payload.reasons[0].message).toMatch(/0x2200.*sai_string_term_size/);
    expect(await users.findById(refused.userId)).toBeNull();
    for (const u of fine) {
      const row = await users.findById(u.userId);
      expect(row && rowAsUser(row, u)).toEqual(u);
    }
    const before = await cells(client, fine);
    expect(before.filter((c) => c === '[]')).toEqual([]); // each has its users_by_country_day row

    batches.mockClear();
    await consume(topic, (m) => useCase.execute(m), {});
    await producer.disconnect();
    expect(batches).toHaveBeenCalled();
    expect(await cells(client, fine)).toEqual(before);
    batches.mockRestore();
    singles.mockRestore();
  });

  it('writes the last of two corrections replayed from a dead letter over every column, whole', async () => {
    // Refused by Cassandra (an e-mail over the index's term guardrail): a persistence dead letter.
    const refused = user(randomUUID(), {
      firstName: 'Xavier',
      lastName: 'Harris',
      fullName: 'Xavier Harris',
      email: `${'x'.repeat(9_000)}@example.com`,
    });
    const topic = await topicWith([refused]);
    const producer = new EventProducer(kafka);
    const useCase = new PersistUsersUseCase(users, producer);
    await consume(topic, (m) => useCase.execute(m), {});
    const dead = await deadLetterOf(topic);
    expect(dead.payload).toMatchObject({ stage: 'persistence', key: refused.userId });
    const letter = { dlqEventId: dead.eventId, source: dead.source, deadLetter: dead.payload };
    const original = JSON.parse(originalValue(dead.payload).toString('utf8')) as {
      eventId: string;
      batchId: string;
      source: string;
      payload: EnrichedUser;
    };

    // Two corrections, the second with every edited value smaller than the first's: tied at one write
    // timestamp, Cassandra would keep the larger value of each cell and mix them.
    const local = refused.userId.slice(0, 8);
    const firstEmail = `zzz.${local}@example.com`;
    const fixes: EnrichedUser[] = [
      { ...refused, firstName: 'Zed', fullName: 'Zed Harris', email: firstEmail },
      {
        ...refused,
        firstName: 'Adam',
        lastName: 'Aaron',
        fullName: 'Adam Aaron',
        email: `aaa.${local}@example.com`,
        emailDomain: 'a.example.com',
      },
    ];
    const published: string[] = [];
    for (const fix of fixes) {
      const corrected = Buffer.from(JSON.stringify({ ...original, payload: fix }));
      const [r] = await replayDeadLetters(producer, [letter], { corrected });
      expect(r).toMatchObject({ topic, eventId: original.eventId, partition: 0 });
      published.push(r.producedAt!);
    }
    // The topic holds the refused original and both corrections: the original fails again, both are written.
    await consume(topic, (m) => useCase.execute(m), { records: 3 });
    await producer.disconnect();

    const last = fixes[1];
    const row = await users.findById(refused.userId);
    expect(row && rowAsUser(row, last)).toEqual(last);
    expect({ ...row, event_id: String(row?.['event_id']) }).toMatchObject({
      event_id: original.eventId,
      batch_id: original.batchId,
      source: original.source,
      updated_at: new Date(published[1]),
    });
    expect(published[1] > published[0]).toBe(true);
    expect(await users.findByEmail(firstEmail)).toEqual([]);
  });

  it('waits out Cassandra being unreachable: every round logged with its code, readiness says so, the budget bounds it', async () => {
    const u = user(randomUUID());
    const topic = await topicWith([u]);
    // A cluster nobody listens on: the driver answers NoHostAvailableError, an outage.
    const down = createCassandraClient({ ...cassandraConnection(s), contactPoints: ['127.0.0.1:1'] });
    const producer = new EventProducer(kafka);
    const useCase = new PersistUsersUseCase(new UsersRepository(down), producer);
    const health = new ConsumerHealth();
    const notices: RetryNotice[] = [];
    const readiness: string[] = [];
    await consume(topic, (m) => useCase.execute(m), {
      health,
      outageBudgetMs: 1500,
      onRetry: (n) => {
        notices.push(n);
        health.check().catch((e: Error) => readiness.push(e.message));
      },
    });
    await producer.disconnect();
    await down.shutdown();

    expect(notices.length).toBeGreaterThan(1);
    for (const n of notices) {
      expect(n).toMatchObject({ code: 'CASSANDRA_UNAVAILABLE', disposition: 'wait', records: 1 });
      expect(describeRetry(n)).toMatch(
        /^waiting out an outage: 1 records of it-persist.*\[0\] from offset 0, attempt \d+, next in \d+ ms: CASSANDRA_UNAVAILABLE: Cassandra write failed: NoHostAvailableError/,
      );
    }
    expect(readiness).toHaveLength(notices.length);
    expect(readiness[0]).toMatch(/^waiting out an outage: it-persist.*\[0\] CASSANDRA_UNAVAILABLE: /);
    await expect(health.check()).rejects.toThrow('stopped');
    const dead = await deadLetterOf(topic);
    expect(dead.payload.attempts).toBe(notices.length + 1);
    expect(dead.payload.reasons[0].code).toBe('CASSANDRA_UNAVAILABLE');
  });
});
