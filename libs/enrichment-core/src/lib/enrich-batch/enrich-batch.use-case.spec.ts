import { randomUUID } from 'node:crypto';
import { EnrichedUserEvent, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, type InboundMessage, type OutboundEvent } from '@sparkflow/kafka';
import { aRandomUser } from '@sparkflow/testing';
import { EnrichBatchUseCase } from './enrich-batch.use-case';

const NOW = new Date('2026-11-26T00:00:00.000Z');

function recordingProducer() {
  const sent: { topic: string; events: readonly OutboundEvent[] }[] = [];
  return {
    sent,
    send: async (topic: string, events: readonly OutboundEvent[]) => (sent.push({ topic, events }), []),
  };
}

const message = (value: unknown, offset: string): InboundMessage => ({
  topic: 'users.raw',
  partition: 0,
  offset,
  key: null,
  value: Buffer.isBuffer(value)
    ? value
    : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
  timestamp: 0,
  traceHeaders: {},
});

const envelope = (payload: unknown) => ({
  eventId: randomUUID(),
  schemaVersion: 1,
  source: 'synthetic',
  batchId: 'b-1',
  producedAt: '2026-11-25T12:00:00.000Z',
  payload,
});

describe('EnrichBatchUseCase', () => {
  it('produces one enriched event per valid record, keyed by user id and keeping the event id', async () => {
    const producer = recordingProducer();
    const raw = envelope(aRandomUser('GB'));
    const outcomes = await new EnrichBatchUseCase(producer as never, () => NOW).execute([message(raw, '0')]);
    expect(outcomes).toEqual([{ status: 'ok' }]);
    expect(producer.sent).toHaveLength(1);
    const [out] = producer.sent[0].events;
    const event = EnrichedUserEvent.parse(out.event);
    expect(producer.sent[0].topic).toBe('users.enriched');
    expect(event.eventId).toBe(raw.eventId);
    expect(out.key).toBe(event.payload.userId);
  });

  it('fails an invalid record with every reason, paths inside the envelope, and still produces the valid ones', async () => {
    const producer = recordingProducer();
    const bad = aRandomUser('US') as unknown as Record<string, unknown>;
    bad['email'] = 'no-at-sign';
    bad['dob'] = { date: '2999-01-01T00:00:00.000Z', age: 1 };
    const outcomes = await new EnrichBatchUseCase(producer as never, () => NOW).execute([
      message(envelope(bad), '0'),
      message(envelope(aRandomUser('CA')), '1'),
    ]);
    expect(outcomes[1]).toEqual({ status: 'ok' });
    expect(outcomes[0].status).toBe('failed');
    const error = (outcomes[0] as { error: SparkflowException }).error;
    expect(error).toBeInstanceOf(SparkflowException);
    expect(error.reasons.map((r) => r.path)).toEqual(
      expect.arrayContaining(['payload.email', 'payload.dob.date']),
    );
    expect(producer.sent[0].events).toHaveLength(1);
  });

  it('fails bytes that are not JSON as MALFORMED_JSON', async () => {
    const producer = recordingProducer();
    const [outcome] = await new EnrichBatchUseCase(producer as never, () => NOW).execute([
      message('{"oops"', '0'),
    ]);
    expect((outcome as { error: SparkflowException }).error.code).toBe(SparkflowErrorCode.MalformedJson);
  });
});

describe('EnrichBatchUseCase and event time', () => {
  it('carries the raw event time forward unchanged, microseconds included', async () => {
    const producer = recordingProducer();
    const raw = { ...envelope(aRandomUser('GB')), producedAt: '2026-11-25T12:00:00.123456Z' };
    await new EnrichBatchUseCase(producer as never, () => NOW).execute([message(raw, '0')]);
    expect(EnrichedUserEvent.parse(producer.sent[0].events[0].event).producedAt).toBe(
      '2026-11-25T12:00:00.123456Z',
    );
  });

  it('derives the same person the same way whenever the event is replayed', async () => {
    const raw = envelope(aRandomUser('GB'));
    const enrichAt = async (clock: Date) => {
      const producer = recordingProducer();
      await new EnrichBatchUseCase(producer as never, () => clock).execute([message(raw, '0')]);
      return EnrichedUserEvent.parse(producer.sent[0].events[0].event);
    };
    expect(await enrichAt(new Date('2046-11-26T00:00:00.000Z'))).toEqual(await enrichAt(NOW));
  });
});
