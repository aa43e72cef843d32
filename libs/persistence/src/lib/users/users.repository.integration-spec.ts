import { randomUUID } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import type { EnrichedUser } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { cassandraConnection, integrationSettings } from '@sparkflow/testing';
import { UsersRepository } from './users.repository';

const s = integrationSettings();

const user = (userId: string, overrides: Partial<EnrichedUser> = {}): EnrichedUser => ({
  userId,
  username: 'u',
  title: 'Ms',
  firstName: 'Olivia',
  lastName: 'Harris',
  fullName: 'Olivia Harris',
  gender: 'female',
  email: `${userId}@example.com`,
  emailDomain: 'example.com',
  dob: '1979-03-14T06:24:46.611Z',
  age: 47,
  ageBand: '45-54',
  registeredAt: '2012-08-02T22:01:53.512Z',
  registrationCohort: '2012-08',
  nationality: 'GB',
  countryCode: 'GB',
  country: 'United Kingdom',
  state: 'Merseyside',
  city: 'Sheffield',
  street: '4021 Victoria Road',
  postcode: 'EC1A 1BB',
  latitude: -51.2386,
  longitude: -126.5837,
  geohash: 'p2j3xkz',
  timezoneOffsetMinutes: 330,
  timezoneDescription: 'Bombay',
  phone: '015396 12345',
  phoneE164: null,
  cell: '07700 900461',
  cellE164: '+447700900461',
  nationalIdName: 'NINO',
  nationalIdValue: 'AB 12 34 56 C',
  pictureUrl: null,
  qualityScore: 0.9,
  qualityReasons: ['missing-picture'],
  ...overrides,
});

describe('UsersRepository on the local Cassandra', () => {
  let client: Client;
  let users: UsersRepository;
  beforeAll(async () => {
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    users = new UsersRepository(client);
  });
  afterAll(() => client.shutdown());

  const write = (u: EnrichedUser, producedAt: string) =>
    users.upsert({
      user: u,
      source: 'synthetic',
      batchId: 'b',
      eventId: randomUUID(),
      producedAt: new Date(producedAt),
    });

  it('writes all three views of a user, with the postcode and registration date intact', async () => {
    const id = randomUUID();
    await write(user(id), '2026-11-25T10:00:00.000Z');
    const row = await users.findById(id);
    expect(row).toMatchObject({
      postcode: 'EC1A 1BB',
      country_code: 'GB',
      quality_reasons: ['missing-picture'],
    });
    expect((row!['registered_at'] as Date).toISOString()).toBe('2012-08-02T22:01:53.512Z');
    const byEmail = await client.execute(
      'SELECT user_id FROM users_by_email WHERE email = ?',
      [`${id}@example.com`],
      { prepare: true },
    );
    expect(byEmail.rowLength).toBe(1);
    const byDay = await client.execute(
      'SELECT user_id FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
      ['GB', '2026-11-25', id],
      { prepare: true },
    );
    expect(byDay.rowLength).toBe(1);
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
});
