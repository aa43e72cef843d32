import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EnrichedUserEvent, TOPICS, formatEventTime, type FullRandomUser } from '@sparkflow/contracts';
import {
  BatchConsumer,
  EventProducer,
  originalValue,
  replayClock,
  type OutboundEvent,
} from '@sparkflow/kafka';
import {
  aRandomUser,
  deadLettersWhere,
  integrationSettings,
  kafkaConnection,
  readTopicToEnd,
  scratchKafka,
} from '@sparkflow/testing';
import { enrichUser } from '../enrich-user/enrich-user';
import { EnrichBatchUseCase } from './enrich-batch.use-case';

const s = integrationSettings();
const kafka = new Kafka({
  clientId: 'enrich-event-time-it',
  ...kafkaConnection(s),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

const HOUR = 3_600_000_000n;

/**
 * The service's producer, sending what it would put on users.enriched to a scratch topic instead, so the
 * running persistence never reads it; dead letters go to users.dlq as the service's do.
 */
class EnrichedTo extends EventProducer {
  constructor(private readonly enriched: string) {
    super(kafka);
  }

  override send(topic: string, events: readonly OutboundEvent[]) {
    return super.send(topic === TOPICS.usersEnriched ? this.enriched : topic, events);
  }
}

const raw = (person: FullRandomUser, producedAt: string) => ({
  eventId: randomUUID(),
  schemaVersion: 1,
  source: 'http-push',
  batchId: 'enrich-event-time-it',
  producedAt,
  payload: person,
});

/** The value of every record of a one-partition `topic`, read from its start to its end, as text. */
const valuesOf = async (topic: string): Promise<string[]> =>
  (await readTopicToEnd(kafka, topic, { groupPrefix: 'it-enriched-reader' })).map(
    (r) => r.value?.toString('utf8') ?? '',
  );

describe('EnrichBatchUseCase and event times ahead of its clock, on the real broker', () => {
  it('dead-letters a users.raw record dated ahead (an hour, 2099) naming producedAt, and passes the later true version on', async () => {
    const userId = randomUUID();
    const as = (first: string) => {
      const person = aRandomUser('GB');
      person.login.uuid = userId;
      person.name.first = first;
      return person;
    };
    const at = replayClock();
    const hourAhead = raw(as('Hour'), formatEventTime(at + HOUR));
    const year2099 = raw(as('Future'), '2099-01-01T00:00:00.000000Z');
    const truth = raw(as('Olivia'), formatEventTime(at));
    const records = [hourAhead, year2099, truth];
    const topic = await scratch.topic(
      'it-enrich-event-time',
      records.map((r) => ({ key: userId, value: JSON.stringify(r) })),
    );
    const enriched = await scratch.topic('it-enriched-event-time');

    const producer = new EnrichedTo(enriched);
    const useCase = new EnrichBatchUseCase(producer);
    let count = 0;
    let committed!: () => void;
    const done = new Promise<void>((resolve) => (committed = resolve));
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-enrich-event-time'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      retry: { outageBudgetMs: 600_000, initialBackoffMs: 50, maxBackoffMs: 200 },
      observer: {
        processed: (_topic, n) => {
          count += n;
          if (count >= records.length) committed();
        },
      },
      handler: (m) => useCase.execute(m),
    });
    await consumer.start();
    await done;
    await consumer.stop();
    await producer.disconnect();

    // Only the true version goes on, with its event time unchanged and the person enriched at it.
    const out = (await valuesOf(enriched)).map((v) => EnrichedUserEvent.parse(JSON.parse(v)));
    const expected = enrichUser(truth.payload, new Date(truth.producedAt));
    expect(expected.ok).toBe(true);
    expect(out).toEqual([
      {
        eventId: truth.eventId,
        schemaVersion: 1,
        source: truth.source,
        batchId: truth.batchId,
        producedAt: truth.producedAt,
        payload: expected.ok ? expected.user : null,
      },
    ]);

    const letters = await deadLettersWhere(kafka, (d) => d.payload.originalTopic === topic, 2);
    const eventIdOf = (d: (typeof letters)[number]) =>
      (JSON.parse(originalValue(d.payload).toString('utf8')) as { eventId: string }).eventId;
    expect(letters.map(eventIdOf).sort()).toEqual([hourAhead.eventId, year2099.eventId].sort());
    for (const d of letters) {
      const refused = eventIdOf(d) === hourAhead.eventId ? hourAhead : year2099;
      // The record exactly as it was read, to replay once corrected.
      expect(originalValue(d.payload).toString('utf8')).toBe(JSON.stringify(refused));
      expect(d.payload).toMatchObject({ stage: 'enrichment', key: userId, attempts: 1 });
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
