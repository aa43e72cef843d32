import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { TOPICS } from '@sparkflow/contracts';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
import { backfillEventId } from '@sparkflow/ingestion-core';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { generateUsers } from '@sparkflow/sources';
import {
  type ScratchDatabase,
  integrationSettings,
  kafkaConnection,
  scratchPostgresDatabase,
  uniqueName,
} from '@sparkflow/testing';
import { ingestionReplica } from './testing/ingestion-replica';
import { byEventId, markTopics, ofBatch, producedSince } from './testing/produced-since';

/**
 * Two ingestion replicas (the whole IngestionModule, twice) against the stack's Kafka and PostgreSQL (a
 * database of the test's own): one backfill request sent again and again under one Idempotency-Key, at
 * once to both replicas and one after the other, is one stored backfill, worked once, whose events reach
 * users.raw once each; the same key with another body is refused; without a key each request is a backfill.
 */
const s = integrationSettings();
const kafka = new Kafka({
  clientId: 'idempotent-backfill-it',
  ...kafkaConnection(s),
  logLevel: logLevel.WARN,
});
const API_KEY = 'idempotent-backfill-key';
const PER_DAY = 30;

interface Answer {
  status: number;
  body: {
    id: string;
    requestedAt: string;
    status: string;
    batches: { day: string; batchId: string; expected: number; produced: number }[];
    message?: string;
    code?: string;
    reasons?: { code: string; message: string; path: string | null }[];
  };
}

describe('a backfill requested again under one Idempotency-Key, to two ingestion replicas', () => {
  let scratch: ScratchDatabase;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('ingestion_idem_backfill_it', [
      ...BACKFILL_MIGRATIONS,
      ...RATE_LIMIT_MIGRATIONS,
      ...IDEMPOTENCY_MIGRATIONS,
    ]);
    for (let i = 0; i < 2; i++) {
      const app = await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY });
      replicas.push(app);
      urls.push(await app.getUrl());
    }
  });
  afterAll(async () => {
    for (const app of replicas) await app.close();
    await scratch?.drop();
  });

  const post = async (url: string, path: string, body: unknown, key?: string) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [API_KEY_HEADER]: API_KEY,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Answer['body'],
    };
  };
  const backfill = (url: string, body: unknown, key?: string) => post(url, '/v1/backfills', body, key);

  /** Yesterday and today (UTC): days a backfill requested now may cover. */
  const days = () => {
    const today = new Date();
    const yesterday = new Date(today.getTime() - 86_400_000);
    return { from: yesterday.toISOString().slice(0, 10), to: today.toISOString().slice(0, 10) };
  };

  /** The stored backfills of `seed`, with their batches, as PostgreSQL holds them. */
  const storedOf = async (seed: string) =>
    (await scratch.ds.query(
      `SELECT b.id::text AS id, b.status, b.attempts, b.requested_at AS "requestedAt",
              json_agg(json_build_object('batchId', x.batch_id, 'expected', x.expected, 'produced', x.produced)
                       ORDER BY x.position) AS batches
       FROM ingestion.backfills b JOIN ingestion.backfill_batches x ON x.backfill_id = b.id
       WHERE b.request->>'seed' = $1 GROUP BY b.id ORDER BY b.requested_at`,
      [seed],
    )) as {
      id: string;
      status: string;
      attempts: number;
      requestedAt: Date;
      batches: { batchId: string; expected: number; produced: number }[];
    }[];

  /** Resolves once every backfill of `seed` is no longer running, as stored. */
  const settled = async (seed: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stored = await storedOf(seed);
      if (stored.length > 0 && stored.every((b) => b.status !== 'running')) return stored;
      if (Date.now() > deadline)
        throw new Error(`the backfills of ${seed} did not finish: ${JSON.stringify(stored)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('is one backfill, worked once, whose events reach users.raw once each, for every request under the key', async () => {
    // Taken in the test, not in beforeAll: Jest refuses the requires kafkajs makes between the two.
    const mark = await markTopics(kafka);
    const seed = uniqueName('idem-backfill');
    const body = { ...days(), perDay: PER_DAY, seed };
    const key = uniqueName('backfill');

    // Four at once across both replicas (the retry racing the first), then three one after another.
    const answers: Answer[] = await Promise.all([0, 1, 0, 1].map((r) => backfill(urls[r], body, key)));
    for (const r of [1, 0, 1]) answers.push(await backfill(urls[r], body, key));

    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 7 }, () => 202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(new Set(answers.map((a) => a.body.requestedAt)).size).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a.body.batches.map((b) => b.batchId)))).size).toBe(1);

    // PostgreSQL holds one backfill of this seed, taken up once, every batch produced once.
    const stored = await settled(seed);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id, status: 'produced', attempts: 1 });
    expect(stored[0].requestedAt.toISOString()).toBe(answers[0].body.requestedAt);
    expect(stored[0].batches).toEqual(
      answers[0].body.batches.map((b) => ({ batchId: b.batchId, expected: PER_DAY, produced: PER_DAY })),
    );
    const [{ keys }] = (await scratch.ds.query(
      `SELECT count(*)::int AS keys FROM ingestion.idempotency_keys WHERE batch_id = $1`,
      [id],
    )) as { keys: number }[];
    expect(keys).toBe(1);

    // users.raw: each batch's people once, under the one backfill's event ids.
    const seen = await producedSince(kafka, mark);
    for (const batch of stored[0].batches) {
      const raw = ofBatch(seen, batch.batchId, TOPICS.usersRaw);
      expect(raw).toHaveLength(PER_DAY);
      expect([...byEventId(raw).keys()].sort()).toEqual(
        Array.from({ length: PER_DAY }, (_, i) => backfillEventId(id, batch.batchId, i)).sort(),
      );
    }

    // A later retry answers the same backfill, as it stands now.
    const later = await backfill(urls[0], body, key);
    expect(later).toMatchObject({ status: 202, body: { id, status: 'produced' } });
    expect(await storedOf(seed)).toHaveLength(1);
  });

  it('refuses the same key with another body as 422 naming the header, and starts nothing', async () => {
    const key = uniqueName('backfill');
    const seed = uniqueName('idem-backfill');
    const first = await backfill(urls[0], { ...days(), perDay: PER_DAY, seed }, key);
    expect(first.status).toBe(202);
    const otherSeed = uniqueName('idem-backfill-other');
    const refused = await backfill(urls[1], { ...days(), perDay: PER_DAY, seed: otherSeed }, key);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'Idempotency-Key was already used for a different request body; nothing was started (use a new key for a new backfill)',
    );
    expect([refused.body.code, refused.body.reasons]).toEqual([
      'SEMANTIC_INVALID',
      [{ code: 'SEMANTIC_INVALID', message: refused.body.message, path: 'Idempotency-Key' }],
    ]);
    expect(await storedOf(otherSeed)).toEqual([]);
    expect(await settled(seed)).toHaveLength(1);
  });

  it('starts a backfill per request without the key, as before; a push under a backfill key is a push of its own', async () => {
    const seed = uniqueName('idem-backfill-plain');
    const body = { ...days(), perDay: PER_DAY, seed };
    const [a, b] = [await backfill(urls[0], body), await backfill(urls[1], body)];
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).not.toBe(b.body.id);
    expect((await settled(seed)).map((x) => x.id).sort()).toEqual([a.body.id, b.body.id].sort());

    const key = uniqueName('shared');
    expect((await backfill(urls[0], { ...body, seed: uniqueName('idem-backfill') }, key)).status).toBe(202);
    const pushed = await post(urls[1], '/v1/users', generateUsers({ seed: key, count: 1 })[0], key);
    expect(pushed.status).toBe(202);
  });

  it('is refused with 503 and Retry-After, naming the idempotency store, by a replica that cannot reach PostgreSQL', async () => {
    const app = await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY, POSTGRES_PORT: '1' }); // nothing listens on port 1
    replicas.push(app);
    const seed = uniqueName('idem-backfill-cut');
    const res = await backfill(await app.getUrl(), { ...days(), perDay: PER_DAY, seed }, 'k');
    expect([res.status, res.retryAfter]).toEqual([503, '1']);
    expect(res.body.message).toMatch(
      /^the idempotency store \(PostgreSQL\) did not answer, so this backfill was not started/,
    );
    expect(res.body.code).toBe('POSTGRES_UNAVAILABLE');
    expect(await storedOf(seed)).toEqual([]);
  });
});
