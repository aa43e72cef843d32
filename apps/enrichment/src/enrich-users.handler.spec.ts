import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { HEADERS, TOPICS, type EnrichedUserEvent } from '@sparkflow/contracts';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import { SparkflowException, type EventProducer, type InboundMessage } from '@sparkflow/kafka';
import { aRandomUser, recordingProducer, withValue } from '@sparkflow/testing';
import { EnrichUsersHandler } from './enrich-users.handler';

/** A users.raw record as the consumer hands it over: the envelope in the value, its ids in headers. */
function rawRecord(offset: number, payload: unknown): InboundMessage {
  const event = {
    eventId: randomUUID(),
    schemaVersion: 1,
    source: 'http-push',
    batchId: 'batch-1',
    producedAt: '2026-11-30T10:00:00.000000Z',
    payload,
  };
  return {
    topic: TOPICS.usersRaw,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(JSON.stringify(event)),
    headers: { [HEADERS.eventId]: event.eventId, [HEADERS.batchId]: event.batchId },
    timestamp: Date.parse(event.producedAt),
    traceHeaders: {},
  };
}

describe('EnrichUsersHandler', () => {
  it('produces the enriched person to users.enriched under the same event id, and fails the bad one with its reasons', async () => {
    const { producer, sent } = recordingProducer<EnrichedUserEvent>();
    const module = await Test.createTestingModule({
      controllers: [EnrichUsersHandler],
      providers: [
        {
          provide: EnrichBatchUseCase,
          useValue: new EnrichBatchUseCase(producer as unknown as EventProducer),
        },
      ],
    }).compile();

    const person = aRandomUser('GB');
    const good = rawRecord(1, person);
    const bad = rawRecord(2, withValue(aRandomUser('GB'), 'email', 'not-an-email'));
    const outcomes = await module.get(EnrichUsersHandler).handle([good, bad]);

    expect(outcomes[0]).toEqual({ status: 'ok' });
    expect(outcomes[1].status).toBe('failed');
    const error = (outcomes[1] as { error: SparkflowException }).error;
    expect(error.reasons.map((r) => r.path)).toContain('payload.email');

    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe(TOPICS.usersEnriched);
    const [{ key, event }] = sent[0].events;
    expect(sent[0].events).toHaveLength(1);
    const userId = person.login.uuid.toLowerCase();
    expect({ key, eventId: event.eventId, userId: event.payload.userId, email: event.payload.email }).toEqual(
      {
        key: userId,
        eventId: JSON.parse(good.value!.toString()).eventId,
        userId,
        email: person.email.toLowerCase(),
      },
    );
    expect(event.producedAt).toBe('2026-11-30T10:00:00.000000Z');
  });
});
