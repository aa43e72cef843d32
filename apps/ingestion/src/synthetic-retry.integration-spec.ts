import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { createCassandraClient } from '@sparkflow/cassandra';
import { CONSUMER_GROUPS, kafkaPrincipal, type BatchCounts } from '@sparkflow/contracts';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { generateUsers } from '@sparkflow/sources';
import {
  type ScratchDatabase,
  auditHeaders,
  cassandraConnection,
  integrationSettings,
  kafkaConnection,
  plainRow,
  scratchPostgresDatabase,
  uniqueName,
} from '@sparkflow/testing';
import { ingestionReplica } from './testing/ingestion-replica';

/**
 * The user's path, through two ingestion replicas of this code (the whole IngestionModule, in this process,
 * their event times kept in a PostgreSQL database of the test's own) and the stack's Kafka, enrichment,
 * persistence, Cassandra and audit: `POST /v1/synthetic`, then a push updating some of its people, then the
 * same synthetic request again, on the other replica, then at once on both. The invariant: a retry changes
 * no cell. Every Cassandra cell of every person of the batch (every column of `users`, its write time, and
 * the person's rows in `users_by_email` and `users_by_country_day`) is what it was after the update, and the
 * audit still counts the batch's N people once.
 */
const s = integrationSettings();
const kafka = new Kafka({ clientId: 'synthetic-retry-it', ...kafkaConnection(s), logLevel: logLevel.WARN });
const API_KEY = 'synthetic-retry-key';
const AUDIT = `http://127.0.0.1:${s.AUDIT_HTTP_PORT}`;
const TIMEOUT_MS = 120_000;

/** Polls `read` until `done` holds for what it answered, or fails naming the last answer at the deadline. */
async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await sleep(250);
  }
}

async function batchCounts(batchId: string): Promise<BatchCounts | null> {
  const res = await fetch(`${AUDIT}/v1/batches/${encodeURIComponent(batchId)}`, { headers: auditHeaders(s) });
  return res.ok ? ((await res.json()) as BatchCounts) : null;
}

/**
 * Waits until each of the stack's services, upstream first, has committed every record written to the
 * topics it reads before it was looked at: then everything produced so far is enriched, persisted and
 * audited. (The stack is shared: other records may arrive meanwhile, and are not waited for.)
 */
async function pipelineCaughtUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const service of ['enrichment', 'persistence', 'audit'] as const) {
      const topics = [...kafkaPrincipal(service).consumes];
      const ends = new Map<string, bigint>();
      for (const topic of topics)
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}/${p.partition}`, BigInt(p.high));
      await until(
        `${service} has not committed up to ${JSON.stringify([...ends].map(([k, v]) => `${k}@${v}`))}`,
        async () => {
          const committed = await admin.fetchOffsets({ groupId: CONSUMER_GROUPS[service], topics });
          return [...ends].filter(([key, end]) => {
            const [topic, partition] = key.split('/');
            const c = committed
              .find((t) => t.topic === topic)
              ?.partitions.find((q) => q.partition === Number(partition));
            return end > 0n && (c === undefined || BigInt(c.offset) < end);
          });
        },
        (behind) => behind.length === 0,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

type Client = ReturnType<typeof createCassandraClient>;

/**
 * Every cell of one person: their `users` row and `users_by_country_day` row (the partition the users row
 * names), each column with its write time, and who each of their e-mails finds (the index follows the row).
 */
async function cellsOf(client: Client, userId: string, columns: WriteTimeColumns, emails: readonly string[]) {
  const read = async (cql: string, params: unknown[]) =>
    (await client.execute(cql, params, { prepare: true })).rows.map(plainRow);
  const writeTimesOf = (table: keyof WriteTimeColumns) =>
    columns[table].map((c) => `WRITETIME(${c}) AS ${c}`).join(', ');
  const [row] = await read('SELECT * FROM users WHERE user_id = ?', [userId]);
  const [writeTimes] = await read(`SELECT ${writeTimesOf('users')} FROM users WHERE user_id = ?`, [userId]);
  const byCountryDay = row
    ? await read(
        `SELECT ${writeTimesOf('users_by_country_day')} FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?`,
        [row['country_code'], row['event_day'], userId],
      )
    : [];
  const byCountryDayRow = row
    ? await read(
        'SELECT * FROM users_by_country_day WHERE country_code = ? AND event_day = ? AND user_id = ?',
        [row['country_code'], row['event_day'], userId],
      )
    : [];
  const found: Record<string, boolean> = {};
  for (const email of new Set(emails)) {
    const ids = await read('SELECT user_id FROM users WHERE email = ?', [email]);
    found[email] = ids.some((r) => r['user_id'] === userId);
  }
  return { users: row ?? null, writeTimes, byCountryDayRow, byCountryDay, found };
}

/** The regular columns of each table whose write time can be read (all but unfrozen collections). */
type WriteTimeColumns = Record<'users' | 'users_by_country_day', string[]>;

describe('a synthetic request sent again after a push updated some of its people', () => {
  let scratch: ScratchDatabase;
  let client: Client;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];
  const columns: WriteTimeColumns = { users: [], users_by_country_day: [] };

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('ingestion_synthetic_it', [
      ...BACKFILL_MIGRATIONS,
      ...RATE_LIMIT_MIGRATIONS,
      ...IDEMPOTENCY_MIGRATIONS,
    ]);
    await scratch.ds.destroy();
    for (let i = 0; i < 2; i++) {
      const app = await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY });
      replicas.push(app);
      urls.push(await app.getUrl());
    }
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    const rs = await client.execute(
      'SELECT table_name, column_name, kind, type FROM system_schema.columns WHERE keyspace_name = ?',
      [s.CASSANDRA_KEYSPACE],
      { prepare: true },
    );
    for (const table of ['users', 'users_by_country_day'] as const)
      columns[table] = rs.rows
        .filter((r) => r['table_name'] === table)
        .filter((r) => r['kind'] === 'regular' && !/^(list|set|map)</.test(String(r['type'])))
        .map((r) => String(r['column_name']));
    expect(columns.users.length).toBeGreaterThan(30);
    expect(columns.users_by_country_day.length).toBeGreaterThan(3);
  });
  afterAll(async () => {
    for (const app of replicas) await app.close();
    await client?.shutdown();
    await scratch?.drop();
  });

  const post = async (url: string, path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [API_KEY_HEADER]: API_KEY },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { batchId: string; accepted: number } };
  };

  it('changes no cell of any person, on either replica, at once or in turn, and the audit counts N', async () => {
    const cases = fc.sample(
      fc.integer({ min: 8, max: 40 }).chain((count) =>
        fc.record({
          count: fc.constant(count),
          page: fc.integer({ min: 1, max: 3 }),
          updated: fc.uniqueArray(fc.integer({ min: 0, max: count - 1 }), { minLength: 1, maxLength: count }),
        }),
      ),
      { seed: 20261202, numRuns: 2 },
    );
    for (const { count, page, updated } of cases) {
      const seed = uniqueName('syn-retry');
      const request = { count, seed, page };

      const first = await post(urls[0], '/v1/synthetic', request);
      expect(first.status).toBe(202);
      const { batchId } = first.json;
      await until(
        `batch ${batchId} complete`,
        () => batchCounts(batchId),
        (b) => b?.complete === true,
      );

      // A push with a new e-mail for some of the batch's people: newer versions of them.
      const people = generateUsers({ seed, page, count });
      const tag = uniqueName('upd')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '');
      const update = updated.map((i) => ({ ...people[i], email: `${tag}.${i}@example.org` }));
      const pushed = await post(urls[0], '/v1/users', { results: update });
      expect(pushed.status).toBe(202);
      await until(
        `push ${pushed.json.batchId} complete`,
        () => batchCounts(pushed.json.batchId),
        (b) => b?.complete === true,
      );

      const emailsOf = (i: number) => [
        String(people[i].email).trim().toLowerCase(),
        `${tag}.${i}@example.org`,
      ];
      const snapshot = async () =>
        Promise.all(people.map((p, i) => cellsOf(client, p.login.uuid, columns, emailsOf(i))));
      const afterUpdate = await snapshot();
      // The update is there: the pushed e-mail, and a row for every person of the batch.
      for (const i of updated) expect(afterUpdate[i].users?.['email']).toBe(`${tag}.${i}@example.org`);
      expect(afterUpdate.filter((c) => c.users === null)).toEqual([]);

      // The same request again on the other replica, then at once on both.
      const again = [await post(urls[1], '/v1/synthetic', request)];
      again.push(...(await Promise.all(urls.map((url) => post(url, '/v1/synthetic', request)))));
      expect(again.map((a) => [a.status, a.json])).toEqual(
        again.map(() => [202, { batchId, accepted: count }]),
      );
      await pipelineCaughtUp();

      expect(await snapshot()).toEqual(afterUpdate);
      const counts = await batchCounts(batchId);
      expect([
        counts?.expected,
        counts?.ingested,
        counts?.enriched,
        counts?.persisted,
        counts?.deadLettered,
      ]).toEqual([count, count, count, count, 0]);
    }
  });

  it('is refused with 503 POSTGRES_UNAVAILABLE and Retry-After, producing nothing, by a replica that cannot reach PostgreSQL', async () => {
    const cut = await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY, POSTGRES_PORT: '1' }); // nothing listens on port 1
    replicas.push(cut);
    const request = { count: 5, seed: uniqueName('syn-cut') };
    const res = await fetch(`${await cut.getUrl()}/v1/synthetic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [API_KEY_HEADER]: API_KEY },
      body: JSON.stringify(request),
    });
    const body = (await res.json()) as { code: string; message: string };
    expect([res.status, res.headers.get('retry-after'), body.code]).toEqual([
      503,
      '1',
      'POSTGRES_UNAVAILABLE',
    ]);
    expect(body.message).toContain(`synthetic batch synthetic-${request.seed}-p1-n5`);
    expect(await batchCounts(`synthetic-${request.seed}-p1-n5`)).toBeNull();
  });
});
