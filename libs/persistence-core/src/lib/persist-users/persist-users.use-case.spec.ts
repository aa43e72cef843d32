import { randomUUID } from 'node:crypto';
import { errors, types } from 'cassandra-driver';
import { PersistedEvent, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, type InboundMessage, type OutboundEvent } from '@sparkflow/kafka';
import type { UserWrite, UsersRepository } from '../users/users.repository';
import { PersistUsersUseCase } from './persist-users.use-case';

const enriched = (userId: string) => ({
  eventId: randomUUID(),
  schemaVersion: 1,
  source: 'synthetic',
  batchId: 'b-1',
  producedAt: '2026-11-25T12:00:00.000Z',
  payload: {
    userId,
    username: 'u',
    title: 'Ms',
    firstName: 'A',
    lastName: 'B',
    fullName: 'A B',
    gender: 'female',
    email: 'a@example.com',
    emailDomain: 'example.com',
    dob: '1990-01-01T00:00:00.000Z',
    age: 36,
    ageBand: '35-44',
    registeredAt: '2020-01-01T00:00:00.000Z',
    registrationCohort: '2020-01',
    nationality: 'GB',
    countryCode: 'GB',
    country: 'United Kingdom',
    state: 'S',
    city: 'C',
    street: '1 Road',
    postcode: 'EC1A 1BB',
    latitude: 1,
    longitude: 2,
    geohash: 's00twy0',
    timezoneOffsetMinutes: 0,
    timezoneDescription: 'London',
    phone: '1',
    phoneE164: null,
    cell: '2',
    cellE164: null,
    nationalIdName: null,
    nationalIdValue: null,
    pictureUrl: null,
    qualityScore: 0.8,
    qualityReasons: [],
  },
});

const message = (value: unknown): InboundMessage => ({
  topic: 'users.enriched',
  partition: 0,
  offset: '0',
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  headers: {},
  timestamp: 0,
  traceHeaders: {},
});

function setup(upsert: (w: UserWrite) => Promise<void>, onWritten?: (ingestedAt: string) => void) {
  const sent: OutboundEvent[] = [];
  const producer = {
    send: async (_t: string, events: readonly OutboundEvent[]) => (sent.push(...events), []),
  };
  const useCase = new PersistUsersUseCase(
    { upsert } as unknown as UsersRepository,
    producer as never,
    4,
    onWritten,
  );
  return { sent, useCase };
}

describe('PersistUsersUseCase', () => {
  it('acknowledges exactly the users it wrote, after writing them', async () => {
    const written: string[] = [];
    const ok = randomUUID();
    const { sent, useCase } = setup(async (w) => {
      if (w.user.userId !== ok) throw new errors.NoHostAvailableError({});
      written.push(w.user.userId);
    });
    const outcomes = await useCase.execute([message(enriched(ok)), message(enriched(randomUUID()))]);
    expect(outcomes[0]).toEqual({ status: 'ok' });
    const error = (outcomes[1] as { error: SparkflowException }).error;
    expect(error.code).toBe(SparkflowErrorCode.CassandraUnavailable);
    expect(written).toEqual([ok]);
    expect(sent.map((e) => PersistedEvent.parse(e.event).payload.userId)).toEqual([ok]);
  });

  it('reports the ingestion time of each event it wrote, and none of those it could not write', async () => {
    const ok = randomUUID();
    const times: string[] = [];
    const { useCase } = setup(
      async (w) => {
        if (w.user.userId !== ok) throw new errors.NoHostAvailableError({});
      },
      (t) => times.push(t),
    );
    await useCase.execute([message(enriched(ok)), message(enriched(randomUUID()))]);
    expect(times).toEqual(['2026-11-25T12:00:00.000Z']);
  });

  it('fails a record Cassandra refuses as CASSANDRA_REJECTED, dead-lettered at once', async () => {
    const { useCase } = setup(async () => {
      throw new errors.ResponseError(types.responseErrorCodes.invalid, 'Key may not be empty');
    });
    const [outcome] = await useCase.execute([message(enriched(randomUUID()))]);
    expect((outcome as { error: SparkflowException }).error.code).toBe(SparkflowErrorCode.CassandraRejected);
  });

  it('uses the event time as the write time, so an older event never overwrites a newer one', async () => {
    const writes: UserWrite[] = [];
    const { useCase } = setup(async (w) => void writes.push(w));
    await useCase.execute([message(enriched(randomUUID()))]);
    expect(writes[0].producedAt).toBe('2026-11-25T12:00:00.000Z');
  });

  it('fails a record that does not match the contract as SCHEMA_INVALID without writing it', async () => {
    const upsert = jest.fn();
    const { useCase } = setup(upsert);
    const [outcome] = await useCase.execute([
      message({ ...enriched(randomUUID()), payload: { userId: 'x' } }),
    ]);
    expect((outcome as { error: SparkflowException }).error.code).toBe(SparkflowErrorCode.SchemaInvalid);
    expect(upsert).not.toHaveBeenCalled();
  });

  it('tells the audit in each acknowledgement where the enriched record sat and when it was produced', async () => {
    const event = enriched(randomUUID());
    const { sent, useCase } = setup(async () => undefined);
    await useCase.execute([{ ...message(event), partition: 3, offset: '1234' }]);
    expect(PersistedEvent.parse(sent[0].event).payload).toMatchObject({
      userId: event.payload.userId,
      enrichedEventId: event.eventId,
      enriched: { partition: 3, offset: '1234', producedAt: '2026-11-25T12:00:00.000Z' },
    });
  });
});
