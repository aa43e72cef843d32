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

const message = (value: unknown, key: string | null = null): InboundMessage => ({
  topic: 'users.enriched',
  partition: 0,
  offset: '0',
  key,
  value: Buffer.from(JSON.stringify(value)),
  headers: {},
  timestamp: 0,
  traceHeaders: {},
});

/**
 * Stands in for UsersRepository with Cassandra's answers: a batch holding a statement Cassandra refuses
 * is refused whole (it does not say which), a refused record written alone is refused with its own
 * reason, and an outage fails everything.
 */
class CassandraLike {
  readonly refused = new Set<string>();
  down = false;
  readonly rows: UserWrite[] = [];
  readonly batches: string[][] = [];
  readonly singles: string[] = [];

  async upsertMany(writes: readonly UserWrite[]): Promise<void> {
    this.batches.push(writes.map((w) => w.user.userId));
    if (this.down) throw new errors.NoHostAvailableError({});
    if (writes.some((w) => this.refused.has(w.user.userId)))
      throw new errors.ResponseError(types.responseErrorCodes.invalid, 'Batch too large');
    this.rows.push(...writes);
  }

  async upsert(w: UserWrite): Promise<void> {
    this.singles.push(w.user.userId);
    if (this.down) throw new errors.NoHostAvailableError({});
    if (this.refused.has(w.user.userId))
      throw new errors.ResponseError(types.responseErrorCodes.invalid, 'Key may not be empty');
    this.rows.push(w);
  }
}

function setup(onWritten?: (ingestedAt: string) => void) {
  const sent: OutboundEvent[] = [];
  const producer = {
    send: async (_t: string, events: readonly OutboundEvent[]) => (sent.push(...events), []),
  };
  const cassandra = new CassandraLike();
  const useCase = new PersistUsersUseCase(
    cassandra as unknown as UsersRepository,
    producer as never,
    4,
    onWritten,
    { maxRecords: 2, maxBytes: 64 * 1024 },
  );
  const acked = () => sent.map((e) => PersistedEvent.parse(e.event).payload.userId);
  return { sent, acked, cassandra, useCase };
}

const codeOf = (outcome: unknown) => (outcome as { error: SparkflowException }).error.code;

describe('PersistUsersUseCase', () => {
  it('writes a batch of users in Cassandra batches of at most maxRecords, acknowledging each user written', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const { acked, cassandra, useCase } = setup();
    const outcomes = await useCase.execute(ids.map((id) => message(enriched(id), id)));
    expect(outcomes).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
    expect(cassandra.batches).toEqual([ids.slice(0, 2), ids.slice(2)]);
    expect(acked()).toEqual(ids);
  });

  it('dead-letters only the record Cassandra refuses, with its own reason, and writes the rest of its chunk', async () => {
    const [bad, good, other] = [randomUUID(), randomUUID(), randomUUID()];
    const { acked, cassandra, useCase } = setup();
    cassandra.refused.add(bad);
    const outcomes = await useCase.execute([bad, good, other].map((id) => message(enriched(id), id)));
    expect(codeOf(outcomes[0])).toBe(SparkflowErrorCode.CassandraRejected);
    expect((outcomes[0] as { error: SparkflowException }).error.message).toMatch(/Key may not be empty/);
    expect(outcomes.slice(1)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect(cassandra.singles.sort()).toEqual([bad, good].sort());
    expect(cassandra.rows.map((w) => w.user.userId).sort()).toEqual([good, other].sort());
    expect(acked().sort()).toEqual([good, other].sort());
  });

  it('fails every record of a chunk as retriable on an outage, and acknowledges none', async () => {
    const { sent, cassandra, useCase } = setup();
    cassandra.down = true;
    const outcomes = await useCase.execute([
      message(enriched(randomUUID())),
      message(enriched(randomUUID())),
    ]);
    expect(outcomes.map(codeOf)).toEqual([
      SparkflowErrorCode.CassandraUnavailable,
      SparkflowErrorCode.CassandraUnavailable,
    ]);
    expect(cassandra.singles).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('writes the records of one key one after another, in their order', async () => {
    const id = randomUUID();
    const first = { ...enriched(id), producedAt: '2026-11-25T12:00:00.000Z' };
    const second = { ...enriched(id), producedAt: '2026-11-25T12:00:01.000Z' };
    const { cassandra, useCase } = setup();
    await useCase.execute([message(first, id), message(second, id)]);
    expect(cassandra.batches).toEqual([[id], [id]]);
    expect(cassandra.rows.map((w) => w.producedAt)).toEqual([first.producedAt, second.producedAt]);
  });

  it('reports the ingestion time of each event it wrote, and none of those it could not write', async () => {
    const ok = randomUUID();
    const bad = randomUUID();
    const times: string[] = [];
    const { cassandra, useCase } = setup((t) => times.push(t));
    cassandra.refused.add(bad);
    await useCase.execute([message(enriched(ok)), message(enriched(bad))]);
    expect(times).toEqual(['2026-11-25T12:00:00.000Z']);
  });

  it('uses the event time as the write time, so an older event never overwrites a newer one', async () => {
    const { cassandra, useCase } = setup();
    await useCase.execute([message(enriched(randomUUID()))]);
    expect(cassandra.rows[0].producedAt).toBe('2026-11-25T12:00:00.000Z');
  });

  it('fails a record that does not match the contract as SCHEMA_INVALID without writing it', async () => {
    const { cassandra, useCase } = setup();
    const [outcome] = await useCase.execute([
      message({ ...enriched(randomUUID()), payload: { userId: 'x' } }),
    ]);
    expect(codeOf(outcome)).toBe(SparkflowErrorCode.SchemaInvalid);
    expect(cassandra.batches).toEqual([]);
  });

  it('tells the audit in each acknowledgement where the enriched record sat, when it was produced and appended', async () => {
    const event = enriched(randomUUID());
    const { sent, useCase } = setup();
    const appended = Date.parse('2026-11-25T12:00:00.250Z');
    await useCase.execute([
      { ...message(event), partition: 3, offset: '1234', timestamp: appended },
      // Kafka's -1: a record without a timestamp.
      { ...message(enriched(randomUUID())), partition: 3, offset: '1235', timestamp: -1 },
    ]);
    expect(PersistedEvent.parse(sent[0].event).payload).toMatchObject({
      userId: event.payload.userId,
      enrichedEventId: event.eventId,
      enriched: {
        partition: 3,
        offset: '1234',
        producedAt: '2026-11-25T12:00:00.000Z',
        appendedAt: '2026-11-25T12:00:00.250Z',
      },
    });
    expect(PersistedEvent.parse(sent[1].event).payload.enriched?.appendedAt).toBeNull();
  });
});
