import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Client } from 'cassandra-driver';
import {
  type EnrichedUser,
  eventTimeMicros,
  firstEventDayTimestamp,
  formatEventTime,
} from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { BatchConsumer, EventProducer, originalValue, replayClock } from '@sparkflow/kafka';
import {
  buildEnrichedUser,
  cassandraConnection,
  deadLettersWhere,
  expectedUsersRow,
  integrationSettings,
  kafkaConnection,
  plainRow,
  scratchKafka,
} from '@sparkflow/testing';
import { UsersRepository } from '../users/users.repository';
import { PersistUsersUseCase } from './persist-users.use-case';

const s = integrationSettings();
const kafka = new Kafka({
  clientId: 'persist-event-time-it',
  ...kafkaConnection(s),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

const HOUR = 3_600_000_000n;

interface Version {
  eventId: string;
  source: 'synthetic';
  batchId: string;
  producedAt: string;
  user: EnrichedUser;
}

const version = (user: EnrichedUser, producedAt: string): Version => ({
  eventId: randomUUID(),
  source: 'synthetic',
  batchId: 'persist-event-time-it',
  producedAt,
  user,
});

const value = (v: Version) =>
  JSON.stringify({
    eventId: v.eventId,
    schemaVersion: 1,
    source: v.source,
    batchId: v.batchId,
    producedAt: v.producedAt,
    payload: v.user,
  });

/** Runs persistence (its default event-time skew, the wall clock) over `topic` until `records` are committed. */
async function persist(topic: string, useCase: PersistUsersUseCase, records: number): Promise<void> {
  const producer = new EventProducer(kafka);
  let count = 0;
  let committed!: () => void;
  const done = new Promise<void>((resolve) => (committed = resolve));
  const consumer = new BatchConsumer({
    kafka,
    groupId: scratch.group('it-persist-event-time'),
    topics: [topic],
    stage: 'persistence',
    producer,
    retry: { outageBudgetMs: 600_000, initialBackoffMs: 50, maxBackoffMs: 200 },
    observer: {
      processed: (_topic, n) => {
        count += n;
        if (count >= records) committed();
      },
    },
    handler: (m) => useCase.execute(m),
  });
  await consumer.start();
  await done;
  await consumer.stop();
  await producer.disconnect();
}

describe('PersistUsersUseCase and event times ahead of its clock, on the real broker and Cassandra', () => {
  let client: Client;
  let users: UsersRepository;
  beforeAll(async () => {
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    users = new UsersRepository(client);
  });
  afterAll(() => client.shutdown());

  it('dead-letters a users.enriched record dated ahead (an hour, 2099) naming producedAt, and stores the later true version whole', async () => {
    const userId = randomUUID();
    const at = replayClock();
    const hourAhead = version(
      buildEnrichedUser(userId, { firstName: 'Hour', fullName: 'Hour Harris' }),
      formatEventTime(at + HOUR),
    );
    const year2099 = version(
      buildEnrichedUser(userId, {
        firstName: 'Future',
        fullName: 'Future Harris',
        countryCode: 'FR',
        country: 'France',
      }),
      '2099-01-01T00:00:00.000000Z',
    );
    const truth = version(
      buildEnrichedUser(userId, { firstName: 'Olivia', fullName: 'Olivia Harris' }),
      formatEventTime(at),
    );
    const topic = await scratch.topic(
      'it-persist-event-time',
      [hourAhead, year2099, truth].map((v) => ({ key: userId, value: value(v) })),
    );
    const producer = new EventProducer(kafka);
    await persist(topic, new PersistUsersUseCase(users, producer), 3);
    await producer.disconnect();

    // The true version, every column, at its own event time.
    const row = (
      await client.execute('SELECT * FROM users WHERE user_id = ?', [userId], { prepare: true })
    ).first();
    expect(plainRow(row)).toEqual(expectedUsersRow(truth.user, truth));
    // Every cell at the true version's event time; first_event_day at the timestamp that keeps the earliest.
    const names = row
      .keys()
      .filter((c) => !['user_id', 'quality_reasons', 'first_event_day'].includes(c) && row.get(c) !== null);
    const times = (
      await client.execute(
        `SELECT ${names.map((c) => `WRITETIME(${c}) AS ${c}`).join(', ')} FROM users WHERE user_id = ?`,
        [userId],
        { prepare: true },
      )
    ).first();
    expect(new Set(names.map((c) => String(times.get(c))))).toEqual(
      new Set([String(eventTimeMicros(truth.producedAt))]),
    );
    const first = (
      await client.execute('SELECT WRITETIME(first_event_day) AS t FROM users WHERE user_id = ?', [userId], {
        prepare: true,
      })
    ).first();
    expect(String(first.get('t'))).toBe(String(firstEventDayTimestamp(eventTimeMicros(truth.producedAt))));
    // No day partition of a refused version: not 2099 in France, not the hour ahead (which may be tomorrow).
    const dayRows = async (country: string, day: string) =>
      (
        await client.execute(
          'SELECT user_id, full_name, updated_at FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
          [country, day, userId],
          { prepare: true },
        )
      ).rows.map(plainRow);
    expect(await dayRows('FR', '2099-01-01')).toEqual([]);
    const today = truth.producedAt.slice(0, 10);
    const hourDay = hourAhead.producedAt.slice(0, 10);
    if (hourDay !== today) expect(await dayRows('GB', hourDay)).toEqual([]);
    expect(await dayRows('GB', today)).toEqual([
      {
        user_id: userId,
        full_name: 'Olivia Harris',
        updated_at: new Date(Date.parse(truth.producedAt)).toISOString(),
      },
    ]);

    const letters = await deadLettersWhere(kafka, (d) => d.payload.originalTopic === topic, 2);
    // Each holds the refused record exactly as it was read, to replay once corrected.
    const eventIdOf = (d: (typeof letters)[number]) =>
      (JSON.parse(originalValue(d.payload).toString('utf8')) as { eventId: string }).eventId;
    expect(letters.map(eventIdOf).sort()).toEqual([hourAhead.eventId, year2099.eventId].sort());
    for (const d of letters) {
      const refused = eventIdOf(d) === hourAhead.eventId ? hourAhead : year2099;
      expect(originalValue(d.payload).toString('utf8')).toBe(value(refused));
      expect(d.payload).toMatchObject({ stage: 'persistence', key: userId, attempts: 1 });
      expect(d.payload.reasons).toEqual([
        {
          code: 'SEMANTIC_INVALID',
          path: 'producedAt',
          message: expect.stringMatching(
            new RegExp(
              `^producedAt ${refused.producedAt} is \\d+\\.\\d{3} s( \\(\\d+ days\\))? ahead of when the broker took the record; ` +
                'an event time may be at most 60\\.000 s ahead$',
            ),
          ),
        },
      ]);
    }
  });
});
