import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Client } from 'cassandra-driver';
import { eventTimeMicros, firstEventDayTimestamp, type EnrichedUser } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { buildEnrichedUser, cassandraConnection, integrationSettings } from '@sparkflow/testing';
import { UsersRepository, estimatedWriteBytes } from './users.repository';

const s = integrationSettings();

const user = buildEnrichedUser;

describe('UsersRepository on the local Cassandra', () => {
  let client: Client;
  let users: UsersRepository;
  beforeAll(async () => {
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    users = new UsersRepository(client);
  });
  afterAll(() => client.shutdown());

  const write = (u: EnrichedUser, producedAt: string, eventId: string = randomUUID()) =>
    users.upsert({
      user: u,
      source: 'synthetic',
      batchId: 'b',
      eventId,
      producedAt,
    });

  const writeTimes = async (id: string) => {
    const rs = await client.execute(
      'SELECT WRITETIME(city) AS city, WRITETIME(quality_reason_codes) AS reasons FROM users WHERE user_id = ?',
      [id],
      { prepare: true },
    );
    const row = rs.first();
    return { city: String(row['city']), reasons: String(row['reasons']) };
  };

  it('writes both views of a user, with the postcode and registration date intact, found by e-mail', async () => {
    const id = randomUUID();
    await write(user(id), '2026-11-25T10:00:00.000Z');
    const row = await users.findById(id);
    expect(row).toMatchObject({
      postcode: 'EC1A 1BB',
      country_code: 'GB',
      quality_reason_codes: ['missing-picture'],
    });
    expect((row!['registered_at'] as Date).toISOString()).toBe('2012-08-02T22:01:53.512Z');
    expect((await users.findByEmail(`${id}@example.com`)).map((r) => String(r['user_id']))).toEqual([id]);
    const byDay = await client.execute(
      'SELECT user_id FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
      ['GB', '2026-11-25', id],
      { prepare: true },
    );
    expect(byDay.rowLength).toBe(1);
  });

  it('writes nothing of a version Cassandra refuses in one of its tables, and keeps the version before it whole', async () => {
    const id = randomUUID();
    const rowsOf = async () => ({
      user: await users.findById(id),
      byDay: (
        await client.execute(
          'SELECT * FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
          ['GB', '2026-11-25', id],
          { prepare: true },
        )
      ).rows.map((r) => ({ ...r })),
    });
    // An e-mail over the e-mail index's term limit (sai_string_term_size_fail_threshold, 8 KiB): only the
    // users table refuses it; users_by_country_day keeps the domain alone.
    const refused = user(id, { email: `${'x'.repeat(9_000)}@example.com`, city: 'Refused' });
    await expect(write(refused, '2026-11-25T10:00:05.000Z')).rejects.toThrow(/term|size|guardrail/i);
    expect(await rowsOf()).toEqual({ user: null, byDay: [] });

    await write(user(id), '2026-11-25T10:00:00.000Z');
    const before = await rowsOf();
    await expect(write(refused, '2026-11-25T10:00:05.000Z')).rejects.toThrow(/term|size|guardrail/i);
    expect(await rowsOf()).toEqual(before);
  });

  it('writes a person as large as ingestion accepts in one batch, both tables whole', async () => {
    // Ingestion takes a person of up to 256 KB; enrichment caps most text at 1,000 characters, not every
    // field. Cassandra's default batch_size_fail_threshold (50 KiB) refused this batch as "Batch too large".
    const id = randomUUID();
    const wide = '\u{1D11E}'.repeat(1000); // 1,000 characters of 4 bytes in UTF-8
    const big = user(id, {
      firstName: wide,
      lastName: wide,
      fullName: wide,
      street: wide,
      city: wide,
      state: wide,
      timezoneDescription: wide,
      pictureUrl: `https://example.com/${'p'.repeat(150_000)}`,
    });
    const w = {
      user: big,
      source: 'synthetic',
      batchId: 'b',
      eventId: randomUUID(),
      producedAt: '2026-11-25T10:00:00.000Z',
    };
    expect(estimatedWriteBytes(w)).toBeGreaterThan(180_000);
    await users.upsert(w);
    expect(await users.findById(id)).toMatchObject({
      full_name: wide,
      street: wide,
      picture_url: big.pictureUrl,
    });
    const byDay = await client.execute(
      'SELECT full_name FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
      ['GB', '2026-11-25', id],
      { prepare: true },
    );
    expect(byDay.first()?.['full_name']).toBe(wide);
  });

  it('keeps the newer event when an older one arrives late', async () => {
    const id = randomUUID();
    await write(user(id, { city: 'Newer' }), '2026-11-25T10:00:05.000Z');
    await write(user(id, { city: 'Older' }), '2026-11-25T10:00:01.000Z');
    expect((await users.findById(id))!['city']).toBe('Newer');
  });

  it('converges to one row when the same event is written twice', async () => {
    const id = randomUUID();
    await write(user(id), '2026-11-25T10:00:00.000Z');
    await write(user(id), '2026-11-25T10:00:00.000Z');
    expect((await users.existing([id, randomUUID()])).size).toBe(1);
  });

  it('rewrites identical cells on redelivery: collections are not appended again, updated_at is the event time', async () => {
    const id = randomUUID();
    const reasons: EnrichedUser['qualityReasons'] = ['missing-national-id', 'phone-not-e164'];
    // A redelivery is the same event: same event id, same event time.
    const eventId = randomUUID();
    await write(user(id, { qualityReasons: reasons }), '2026-11-25T10:00:00.123456Z', eventId);
    const first = await users.findById(id);
    await write(user(id, { qualityReasons: reasons }), '2026-11-25T10:00:00.123456Z', eventId);
    const second = await users.findById(id);
    expect(second).toEqual(first);
    expect(second!['quality_reason_codes']).toEqual(reasons);
    expect((second!['updated_at'] as Date).toISOString()).toBe('2026-11-25T10:00:00.123Z');
  });

  it('writes every cell at the event time in microseconds', async () => {
    const id = randomUUID();
    await write(user(id), '2026-11-25T10:00:00.123456Z');
    expect(await writeTimes(id)).toEqual({ city: '1795600800123456', reasons: '1795600800123456' });
  });

  it('keeps the later of two versions a microsecond apart whole, in whichever order they arrive', async () => {
    const id = randomUUID();
    const older = user(id, {
      firstName: 'Ann',
      lastName: 'Older',
      fullName: 'Ann Older',
      qualityReasons: [],
    });
    const newer = user(id, {
      firstName: 'Zoe',
      lastName: 'Newer',
      fullName: 'Zoe Newer',
      qualityReasons: ['phone-not-e164'],
    });
    await write(newer, '2026-11-25T10:00:00.000002Z');
    await write(older, '2026-11-25T10:00:00.000001Z');
    expect(await users.findById(id)).toMatchObject({
      first_name: 'Zoe',
      last_name: 'Newer',
      full_name: 'Zoe Newer',
      quality_reason_codes: ['phone-not-e164'],
    });
  });

  it('keeps the earliest day as first_event_day and the newest version whole, whatever the order of versions and redeliveries', async () => {
    // Versions of one person over four days, written in a generated order, some twice (redeliveries),
    // one by one or several to a batch as persistence does.
    const version = fc.record({
      day: fc.integer({ min: 0, max: 3 }),
      micros: fc.integer({ min: 0, max: 86_400_000_000 - 1 }),
    });
    const plan = fc.record({
      versions: fc.uniqueArray(version, {
        minLength: 1,
        maxLength: 6,
        selector: (v) => `${v.day}:${v.micros}`,
      }),
      redeliveries: fc.array(fc.nat(), { maxLength: 6 }),
      // One sort key per write: the order they are sent in.
      keys: fc.array(fc.double({ noNaN: true }), { minLength: 12, maxLength: 12 }),
      batched: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ versions, redeliveries, keys, batched }) => {
        const id = randomUUID();
        const writes = versions.map((v, i) => {
          const at = new Date(Date.UTC(2026, 10, 20 + v.day) + Math.floor(v.micros / 1000));
          return {
            user: user(id, { city: `City ${i}` }),
            source: 'synthetic',
            batchId: 'b',
            eventId: randomUUID(),
            producedAt: `${at.toISOString().slice(0, 23)}${String(v.micros % 1000).padStart(3, '0')}Z`,
          };
        });
        const sequence = [...writes, ...redeliveries.map((n) => writes[n % writes.length])]
          .map((w, i) => ({ w, key: keys[i] }))
          .sort((a, b) => a.key - b.key)
          .map(({ w }) => w);
        if (batched) await users.upsertMany(sequence);
        else for (const w of sequence) await users.upsert(w);

        const byTime = [...writes].sort((a, b) =>
          eventTimeMicros(a.producedAt) < eventTimeMicros(b.producedAt) ? -1 : 1,
        );
        const [earliest, newest] = [byTime[0], byTime[byTime.length - 1]];
        const row = (
          await client.execute(
            'SELECT city, event_day, first_event_day, WRITETIME(first_event_day) AS first_at FROM users WHERE user_id = ?',
            [id],
            { prepare: true },
          )
        ).first();
        expect({
          city: row['city'],
          eventDay: String(row['event_day']),
          firstEventDay: String(row['first_event_day']),
          firstAt: String(row['first_at']),
        }).toEqual({
          city: newest.user.city,
          eventDay: newest.producedAt.slice(0, 10),
          firstEventDay: earliest.producedAt.slice(0, 10),
          firstAt: String(firstEventDayTimestamp(eventTimeMicros(earliest.producedAt))),
        });
      }),
      { seed: 17, numRuns: 40 },
    );
  });

  it('finds a person only by the current e-mail once it changed', async () => {
    const id = randomUUID();
    await write(user(id, { email: `old-${id}@example.com` }), '2026-11-25T10:00:00.000001Z');
    await write(user(id, { email: `new-${id}@example.com` }), '2026-11-25T10:00:00.000002Z');
    expect(await users.findByEmail(`old-${id}@example.com`)).toEqual([]);
    expect((await users.findByEmail(`new-${id}@example.com`)).map((r) => String(r['user_id']))).toEqual([id]);
  });

  it('writes in one batch the very cells it writes user by user, each at its own event time', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const eventIds = [randomUUID(), randomUUID()];
    const at = ['2026-11-25T10:00:00.000001Z', '2026-11-25T11:00:00.000002Z'];
    await write(user(a), at[0], eventIds[0]);
    await write(user(b, { countryCode: 'FR' }), at[1], eventIds[1]);
    const one = [await users.findById(a), await users.findById(b)];
    const times = [await writeTimes(a), await writeTimes(b)];
    // The same events again, as one batch: every cell the same, with the same write time.
    await users.upsertMany([
      { user: user(a), source: 'synthetic', batchId: 'b', eventId: eventIds[0], producedAt: at[0] },
      {
        user: user(b, { countryCode: 'FR' }),
        source: 'synthetic',
        batchId: 'b',
        eventId: eventIds[1],
        producedAt: at[1],
      },
    ]);
    expect([await users.findById(a), await users.findById(b)]).toEqual(one);
    expect([await writeTimes(a), await writeTimes(b)]).toEqual(times);
    expect(times[1]).toEqual({ city: '1795604400000002', reasons: '1795604400000002' });
  });

  it('keeps the newer of two versions of a person in one batch, whichever comes first in it', async () => {
    const id = randomUUID();
    const w = (city: string, producedAt: string) => ({
      user: user(id, { city }),
      source: 'synthetic',
      batchId: 'b',
      eventId: randomUUID(),
      producedAt,
    });
    await users.upsertMany([
      w('Newer', '2026-11-25T10:00:00.000002Z'),
      w('Older', '2026-11-25T10:00:00.000001Z'),
    ]);
    expect((await users.findById(id))!['city']).toBe('Newer');
  });
});
