import { randomUUID } from 'node:crypto';
import {
  type EventLineage,
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  type FullRandomUser,
} from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { topicEndOffsets, uniqueName } from '@sparkflow/testing';
import {
  AUDIT,
  AUDIT_HEADERS,
  cassandra,
  deadLettersOfBatch,
  kafka,
  post,
  userIdsPresent,
  waitForBatch,
} from './pipeline-client';
import { waitForNoLag } from './consumer-groups';

type Client = ReturnType<typeof cassandra>;

const envelope = (batchId: string, payload: unknown) => ({
  eventId: randomUUID(),
  schemaVersion: SCHEMA_VERSION,
  source: 'http-push',
  batchId,
  producedAt: new Date().toISOString(),
  payload,
});

/** Bad records, each with the reason (code and field) its dead letter must carry. */
interface BadRecord {
  name: string;
  /** Sent as-is (no envelope) … */
  bytes?: Buffer | string;
  /** … or wrapped in a valid envelope. */
  user?: unknown;
  code: string;
  path?: string;
}

function badCorpus(valid: FullRandomUser): BadRecord[] {
  const clone = () => structuredClone(valid) as unknown as Record<string, Record<string, unknown>>;
  const withLogin = (r: Record<string, Record<string, unknown>>) => {
    r['login']['uuid'] = randomUUID();
    return r;
  };
  const missingEmail = withLogin(clone());
  (missingEmail as Record<string, unknown>)['email'] = '';
  const mistypedAge = withLogin(clone());
  mistypedAge['dob'] = { date: valid.dob.date, age: 'forty' };
  const futureDob = withLogin(clone());
  futureDob['dob'] = { date: '2999-01-01T00:00:00.000Z', age: 0 };
  const impossibleDate = withLogin(clone());
  impossibleDate['registered'] = { date: '2021-02-30T25:61:00.000Z', age: 3 };
  const hugeName = withLogin(clone());
  hugeName['name'] = { ...hugeName['name'], first: 'A'.repeat(5000) };
  return [
    { name: 'malformed JSON', bytes: '{"eventId": "x", "payload": {', code: 'MALFORMED_JSON' },
    { name: 'not UTF-8', bytes: Buffer.from([0xc3, 0x28, 0xff, 0xfe]), code: 'MALFORMED_JSON' },
    { name: 'empty e-mail', user: missingEmail, code: 'SCHEMA_INVALID', path: 'payload.email' },
    { name: 'mistyped age', user: mistypedAge, code: 'SCHEMA_INVALID', path: 'payload.dob.age' },
    { name: 'birth in the future', user: futureDob, code: 'SEMANTIC_INVALID', path: 'payload.dob.date' },
    {
      name: 'impossible date',
      user: impossibleDate,
      code: 'SCHEMA_INVALID',
      path: 'payload.registered.date',
    },
    { name: 'oversized name', user: hugeName, code: 'SCHEMA_INVALID', path: 'payload.name.first' },
  ];
}

describe('the pipeline on the real stack', () => {
  let client: Client;
  beforeAll(async () => {
    client = cassandra();
    await client.connect();
  });
  afterAll(() => client.shutdown());

  describe('10,000 synthetic users', () => {
    const seed = uniqueName('e2e');
    const expected = generateUsers({ seed, count: 10_000 });
    const ids = expected.map((u) => u.login.uuid.toLowerCase());
    let batchId: string;

    it('all reach Cassandra, once each, and the audit reports the batch complete', async () => {
      const res = await post('/v1/synthetic', { count: 10_000, seed });
      expect(res.status).toBe(202);
      batchId = res.json['batchId'] as string;
      const counts = await waitForBatch(batchId);
      expect(counts).toMatchObject({
        expected: 10_000,
        ingested: 10_000,
        enriched: 10_000,
        persisted: 10_000,
        deadLettered: 0,
      });
      expect((await userIdsPresent(client, ids)).size).toBe(new Set(ids).size);
    });

    it('keeps one row per person and counts each once when the same request is sent again (tutorial: a fresh uuid4 per pull duplicated people)', async () => {
      const sample = ids.slice(0, 50);
      const before = await client.execute(
        'SELECT user_id, email, postcode FROM users WHERE user_id IN ?',
        [sample],
        { prepare: true },
      );
      const again = await post('/v1/synthetic', { count: 10_000, seed });
      expect(again.json['batchId']).toBe(batchId);
      // The same request is the same events (a client's retry is one): once every stage has worked
      // them, the audit has counted none of them twice and Cassandra has the same rows.
      await waitForNoLag(5 * 60_000);
      const counts = await waitForBatch(batchId);
      expect(counts).toMatchObject({ ingested: 10_000, persisted: 10_000, deadLettered: 0 });
      const after = await client.execute(
        'SELECT user_id, email, postcode FROM users WHERE user_id IN ?',
        [sample],
        { prepare: true },
      );
      expect(after.rows.map((r) => ({ ...r }))).toEqual(before.rows.map((r) => ({ ...r })));
      const history = (await (
        await fetch(`${AUDIT}/v1/users/${ids[0]}/history`, { headers: AUDIT_HEADERS })
      ).json()) as { events: { outcome: string }[] };
      expect(history.events.filter((e) => e.outcome === 'persisted')).toHaveLength(1);
    });

    it('stores every postcode and registration date (tutorial: post_code/registered_date were always null, INT lost "EC1A 1BB")', async () => {
      const alphanumeric = expected
        .filter((u) => typeof u.location.postcode === 'string' && /[A-Z]/i.test(u.location.postcode))
        .slice(0, 50);
      expect(alphanumeric.length).toBeGreaterThan(0);
      const rs = await client.execute(
        'SELECT user_id, postcode, registered_at FROM users WHERE user_id IN ?',
        [alphanumeric.map((u) => u.login.uuid.toLowerCase())],
        { prepare: true },
      );
      expect(rs.rowLength).toBe(alphanumeric.length);
      for (const row of rs.rows) {
        const source = alphanumeric.find((u) => u.login.uuid.toLowerCase() === String(row['user_id']))!;
        expect(row['postcode']).toBe(
          String(source.location.postcode).trim().toUpperCase().replace(/\s+/g, ' '),
        );
        expect((row['registered_at'] as Date).toISOString()).toBe(
          new Date(source.registered.date).toISOString(),
        );
      }
    });
  });

  describe('bad records mixed into a batch', () => {
    it('dead-letters each with its reason, persists the rest once, and settles the batch (tutorial: exceptions vanished)', async () => {
      const batchId = uniqueName('e2e-mixed');
      const good = generateUsers({ seed: batchId, count: 200 });
      const bad = badCorpus(good[0]);
      const duplicate = good[7];
      const records = [
        ...good.map((u) => ({ key: u.login.uuid, value: JSON.stringify(envelope(batchId, u)) })),
        { key: duplicate.login.uuid, value: JSON.stringify(envelope(batchId, duplicate)) },
        ...bad.map((b) => ({
          key: randomUUID(),
          value: b.bytes ?? JSON.stringify(envelope(batchId, b.user)),
        })),
      ];
      const dlqFrom = await topicEndOffsets(kafka, TOPICS.usersDlq);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({
        topic: TOPICS.usersRaw,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          headers: {
            [HEADERS.eventId]: randomUUID(),
            [HEADERS.batchId]: batchId,
            [HEADERS.source]: 'http-push',
            [HEADERS.batchSize]: String(records.length),
          },
        })),
      });
      await producer.disconnect();

      const counts = await waitForBatch(batchId);
      expect(counts).toMatchObject({ ingested: records.length, persisted: 201, deadLettered: bad.length });

      const dead = await deadLettersOfBatch(batchId, bad.length, { from: dlqFrom });
      expect(dead).toHaveLength(bad.length);
      for (const b of bad) {
        const match = dead.find((d) =>
          d.payload.reasons.some((r) => r.code === b.code && (b.path === undefined || r.path === b.path)),
        );
        expect({ record: b.name, found: Boolean(match) }).toEqual({ record: b.name, found: true });
        expect(match!.payload).toMatchObject({ stage: 'enrichment', originalTopic: TOPICS.usersRaw });
      }
      const present = await userIdsPresent(
        client,
        good.map((u) => u.login.uuid.toLowerCase()),
      );
      expect(present.size).toBe(200);
    });
  });

  describe('HTTP push', () => {
    it('answers 401 without a valid API key', async () => {
      expect((await post('/v1/users', {}, { 'x-api-key': 'wrong-key-123' })).status).toBe(401);
    });

    it('answers 400 for malformed JSON', async () => {
      expect((await post('/v1/users', '{"results": [')).status).toBe(400);
    });

    it('answers 400 naming every bad field of every user', async () => {
      const [a, b] = generateUsers({ seed: uniqueName('e2e-bad'), count: 2 });
      const body = {
        results: [
          { ...a, email: 42 },
          { ...b, login: { ...b.login, uuid: 'nope' } },
        ],
      };
      const res = await post('/v1/users', body);
      expect(res.status).toBe(400);
      expect(res.json['code']).toBe('SCHEMA_INVALID');
      expect((res.json['reasons'] as { code: string; path: string }[]).map((r) => [r.code, r.path])).toEqual([
        ['SCHEMA_INVALID', 'results.0.email'],
        ['SCHEMA_INVALID', 'results.1.login.uuid'],
      ]);
    });

    it('answers 413 above the size limit', async () => {
      expect((await post('/v1/users', { padding: 'x'.repeat(6 * 1024 * 1024) })).status).toBe(413);
    });

    it('answers 202 only after Kafka has the users, and they reach Cassandra', async () => {
      const users = generateUsers({ seed: uniqueName('e2e-push'), count: 3 });
      const res = await post('/v1/users', {
        results: users,
        info: { seed: 'x', results: 3, page: 1, version: '1.4' },
      });
      expect(res.status).toBe(202);
      await waitForBatch(res.json['batchId'] as string);
      expect(
        (
          await userIdsPresent(
            client,
            users.map((u) => u.login.uuid.toLowerCase()),
          )
        ).size,
      ).toBe(3);
      // Each step of each event's lineage is timed by the one clock, the broker's, in the order it took.
      for (const eventId of res.json['eventIds'] as string[]) {
        const lineage = (await (
          await fetch(`${AUDIT}/v1/events/${eventId}`, { headers: AUDIT_HEADERS })
        ).json()) as EventLineage;
        const steps = lineage.stages.map((st) => [
          st.topic,
          st.appendedAt === null ? null : Date.parse(st.appendedAt),
        ]);
        expect(steps.map(([topic]) => topic)).toEqual([
          TOPICS.usersRaw,
          TOPICS.usersEnriched,
          TOPICS.usersPersisted,
        ]);
        const times = steps.map(([, t]) => t as number);
        expect(times.every((t) => Number.isFinite(t))).toBe(true);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
      }
    });
  });
});
