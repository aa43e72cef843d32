import { randomUUID } from 'node:crypto';
import { RawUserEvent, TOPICS, eventTimeMicros, type RandomUser } from '@sparkflow/contracts';
import { enrichUser } from '@sparkflow/enrichment-core';
import { generateUsers } from '@sparkflow/sources';
import { type PartitionOffsets, expectedUsersRow, plainRow, topicEndOffsets } from '@sparkflow/testing';
import { cassandra, kafka, post, waitForBatch } from './pipeline-client';
import { recordsOf, waitForNoLag, type StoredRecord } from './consumer-groups';

type Client = ReturnType<typeof cassandra>;

/** `count` different people from the seeded generator, all given one login.uuid: versions of one person. */
const versionsOf = (userId: string, seed: string, count: number): RandomUser[] =>
  generateUsers({ seed, count }).map((u) => ({ ...u, login: { ...u.login, uuid: userId } }));

/**
 * What the users row must be after these raw events: the version with the latest event time, whole, and
 * the day of the earliest as `first_event_day`.
 */
function expectedRow(raws: readonly StoredRecord[]): Record<string, unknown> {
  const events = raws.map((r) => RawUserEvent.parse(JSON.parse(r.value.toString('utf8'))));
  const last = events.reduce((a, b) =>
    eventTimeMicros(b.producedAt) > eventTimeMicros(a.producedAt) ? b : a,
  );
  const first = events.reduce((a, b) =>
    eventTimeMicros(b.producedAt) < eventTimeMicros(a.producedAt) ? b : a,
  );
  const enriched = enrichUser(last.payload, new Date(last.producedAt));
  if (!enriched.ok) throw new Error(`version does not enrich: ${JSON.stringify(enriched.reasons)}`);
  return expectedUsersRow(enriched.user, { ...last, firstProducedAt: first.producedAt });
}

async function stored(client: Client, userId: string) {
  const rs = await client.execute('SELECT * FROM users WHERE user_id = ?', [userId], { prepare: true });
  // One write timestamp per row: every cell comes from the same event.
  const wt = await client.execute(
    `SELECT WRITETIME(first_name) AS a, WRITETIME(last_name) AS b, WRITETIME(email) AS c, WRITETIME(country) AS d,
       WRITETIME(quality_reason_codes) AS e, WRITETIME(event_id) AS f, WRITETIME(updated_at) AS g FROM users WHERE user_id = ?`,
    [userId],
    { prepare: true },
  );
  const times = Object.values(wt.first()).filter((t) => t !== null); // a null cell has no write time
  return { row: rs.first() ? plainRow(rs.first()) : null, writeTimes: new Set(times.map(String)) };
}

async function usersWithEmail(client: Client, email: string): Promise<string[]> {
  const rs = await client.execute('SELECT user_id FROM users WHERE email = ?', [email], { prepare: true });
  return rs.rows.map((r) => String(r['user_id']));
}

/**
 * The e-mails the person no longer has must not find them; the current one does. (Other specs' people,
 * made by the same seeded generator, may share an address: only this person's stale entries matter.)
 */
async function expectOnlyCurrentEmail(
  client: Client,
  userId: string,
  versions: readonly RandomUser[],
  current: string,
) {
  expect(await usersWithEmail(client, current)).toContain(userId);
  for (const email of new Set(versions.map((v) => (v.email ?? '').trim().toLowerCase()))) {
    if (email !== current)
      expect({ email, users: await usersWithEmail(client, email) }).toEqual({
        email,
        users: expect.not.arrayContaining([userId]),
      });
  }
}

describe('one person, many versions', () => {
  const N = 6;
  let client: Client;
  // Where users.raw and users.enriched ended before the first version was sent: each is read from there.
  let rawFrom: PartitionOffsets;
  let enrichedFrom: PartitionOffsets;
  beforeAll(async () => {
    client = cassandra();
    await client.connect();
    [rawFrom, enrichedFrom] = await Promise.all([
      topicEndOffsets(kafka, TOPICS.usersRaw),
      topicEndOffsets(kafka, TOPICS.usersEnriched),
    ]);
  });
  afterAll(() => client.shutdown());

  const userId = randomUUID();
  const inOneRequest = versionsOf(userId, 'many-versions-in-one-request', N);
  const acrossRequests = versionsOf(userId, 'many-versions-across-requests', N);
  /** The event ids ingestion gave the versions, in the order they were sent. */
  const sent: string[] = [];

  it(`keeps exactly the last of ${N} versions sent in one request, every column`, async () => {
    const res = await post('/v1/users', inOneRequest);
    expect(res.status).toBe(202);
    const eventIds = res.json['eventIds'] as string[];
    sent.push(...eventIds);
    await waitForBatch(res.json['batchId'] as string);
    const raws = await recordsOf(TOPICS.usersRaw, userId, rawFrom, eventIds);
    const times = raws.map((r) =>
      eventTimeMicros(RawUserEvent.parse(JSON.parse(r.value.toString('utf8'))).producedAt),
    );
    expect(new Set(times).size).toBe(N); // no two versions share a write timestamp
    const { row, writeTimes } = await stored(client, userId);
    expect(row).toEqual(expectedRow(raws));
    expect(row!['event_id']).toBe(eventIds[N - 1]); // last in the request is last in event order
    expect([...writeTimes]).toEqual([String(times.reduce((a, b) => (b > a ? b : a)))]);
    await expectOnlyCurrentEmail(client, userId, inOneRequest, String(row!['email']));
  });

  it(`keeps exactly the last of ${N} versions sent one request after another`, async () => {
    const eventIds: string[] = [];
    for (const version of acrossRequests) {
      const res = await post('/v1/users', version);
      expect(res.status).toBe(202);
      eventIds.push(...(res.json['eventIds'] as string[]));
      await waitForBatch(res.json['batchId'] as string);
    }
    sent.push(...eventIds);
    const raws = await recordsOf(TOPICS.usersRaw, userId, rawFrom, sent);
    const { row, writeTimes } = await stored(client, userId);
    expect(row).toEqual(expectedRow(raws));
    expect(row!['event_id']).toBe(eventIds[N - 1]);
    expect(writeTimes.size).toBe(1);
    await expectOnlyCurrentEmail(client, userId, [...inOneRequest, ...acrossRequests], String(row!['email']));
  });

  it('is not changed by every one of those events delivered again, raw and enriched, newest first', async () => {
    const before = await stored(client, userId);
    const raws = await recordsOf(TOPICS.usersRaw, userId, rawFrom, sent);
    const enriched = await recordsOf(TOPICS.usersEnriched, userId, enrichedFrom, sent);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      for (const r of [...enriched].reverse().concat([...raws].reverse())) {
        await producer.send({
          topic: r.topic,
          acks: -1,
          messages: [{ key: r.key, value: r.value, headers: r.headers }],
        });
      }
    } finally {
      await producer.disconnect();
    }
    await waitForNoLag(120_000);
    const after = await stored(client, userId);
    expect(after.row).toEqual(before.row);
    expect([...after.writeTimes]).toEqual([...before.writeTimes]);
    expect(after.row).toEqual(expectedRow(raws));
  });
});
