import response from '../fixtures/randomuser-response.json';
import { RawUserEvent, EnrichedUserEvent, DeadLetterEvent, PersistedEvent } from './events';
import { SparkflowErrorCode } from './errors';

const envelope = {
  eventId: '3b241101-e2bb-4255-8caf-4136c566a962',
  schemaVersion: 1,
  source: 'synthetic',
  batchId: 'synthetic-2026-11-26-seed-42',
  producedAt: '2026-11-26T04:00:00.000Z',
};

describe('event envelopes', () => {
  it('accepts a raw user event around an API record', () => {
    const event = RawUserEvent.parse({ ...envelope, payload: response.results[0] });
    expect(event.payload.login.uuid).toBe('5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11');
  });

  it('rejects a schema version this build does not read', () => {
    const result = RawUserEvent.safeParse({ ...envelope, schemaVersion: 2, payload: response.results[0] });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path).toEqual(['schemaVersion']);
  });

  it('rejects an unknown source', () => {
    expect(RawUserEvent.safeParse({ ...envelope, source: 'ftp', payload: response.results[0] }).success).toBe(
      false,
    );
  });

  it('accepts a dead letter that keeps the payload as received', () => {
    const event = DeadLetterEvent.parse({
      ...envelope,
      payload: {
        stage: 'enrichment',
        reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message: 'Invalid UUID', path: 'login.uuid' }],
        originalTopic: 'users.raw',
        partition: 2,
        offset: '18446744073709',
        key: null,
        originalEventId: null,
        originalBatchId: null,
        payload: '{"login":{"uuid":"nope"}}',
        payloadEncoding: 'utf8',
        attempts: 1,
        failedAt: '2026-11-26T04:00:01.000Z',
      },
    });
    expect(event.payload.reasons[0].code).toBe('SCHEMA_INVALID');
  });

  it('requires at least one reason on a dead letter', () => {
    const result = DeadLetterEvent.safeParse({
      ...envelope,
      payload: {
        stage: 'persistence',
        reasons: [],
        originalTopic: 'users.enriched',
        partition: 0,
        offset: '1',
        key: 'k',
        originalEventId: null,
        originalBatchId: null,
        payload: '',
        payloadEncoding: 'utf8',
        attempts: 5,
        failedAt: '2026-11-26T04:00:01.000Z',
      },
    });
    expect(result.success).toBe(false);
  });

  it('accepts a persisted acknowledgement', () => {
    const ack = PersistedEvent.parse({
      ...envelope,
      payload: {
        userId: '5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11',
        enrichedEventId: envelope.eventId,
        writtenAt: '2026-11-26T04:00:02.000Z',
      },
    });
    expect(ack.payload.userId).toBe('5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11');
  });

  it('rejects an enriched user whose postcode is a number', () => {
    const result = EnrichedUserEvent.shape.payload.shape.postcode.safeParse(94306);
    expect(result.success).toBe(false);
  });
});
