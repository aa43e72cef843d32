import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { TOPICS } from '@sparkflow/contracts';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
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
 * database of the test's own): one push sent again and again under one Idempotency-Key, at once to
 * both replicas and one after the other, is one batch on users.raw and users.dlq, read back with a
 * real consumer.
 */
const s = integrationSettings();
const kafka = new Kafka({
  clientId: 'idempotent-push-it',
  ...kafkaConnection(s),
  logLevel: logLevel.WARN,
});
const API_KEY = 'idempotent-push-key';

describe('a push sent again under one Idempotency-Key, to two ingestion replicas', () => {
  let scratch: ScratchDatabase;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];

  async function replica(env: Record<string, string> = {}): Promise<string> {
    const app = await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY, ...env });
    replicas.push(app);
    return app.getUrl();
  }

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('ingestion_idem_it', [
      ...BACKFILL_MIGRATIONS,
      ...RATE_LIMIT_MIGRATIONS,
      ...IDEMPOTENCY_MIGRATIONS,
    ]);
    await scratch.ds.destroy();
    urls.push(await replica(), await replica());
  });
  afterAll(async () => {
    for (const app of replicas) await app.close();
    await scratch?.drop();
  });

  const push = async (url: string, body: string, key?: string) => {
    const res = await fetch(`${url}/v1/users`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [API_KEY_HEADER]: API_KEY,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body,
    });
    return { status: res.status, text: await res.text() };
  };

  /** Seeded people, two of them invalid (dead-lettered), as one `{results}` body. */
  const pushOf = (seed: string) => {
    const people: unknown[] = generateUsers({ seed, count: 40 });
    people[3] = { ...(people[3] as object), email: 42 };
    people[17] = { ...(people[17] as object), nat: 'GBR' };
    return JSON.stringify({ results: people });
  };

  it('is one batch of one event per person, each repeat identical, with byte-identical 202s; another body is 422; no key is a new batch', async () => {
    // Taken in the test, not in beforeAll: Jest refuses the requires kafkajs makes between the two.
    const mark = await markTopics(kafka);
    const body = pushOf(uniqueName('idem'));
    const key = uniqueName('push');

    // Four at once across both replicas, then three one after another, alternating.
    const answers = await Promise.all([0, 1, 0, 1].map((r) => push(urls[r], body, key)));
    for (const r of [1, 0, 1]) answers.push(await push(urls[r], body, key));

    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 7 }, () => 202));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    const receipt = JSON.parse(answers[0].text) as {
      batchId: string;
      accepted: number;
      eventIds: string[];
      rejected: { index: number; eventId: string }[];
    };
    expect(receipt.accepted).toBe(38);
    expect(receipt.rejected.map((r) => r.index)).toEqual([3, 17]);

    // The same key with another body: refused, nothing produced.
    const otherBody = pushOf(uniqueName('idem-other'));
    const refused = await push(urls[1], otherBody, key);
    expect(refused.status).toBe(422);
    const reused = JSON.parse(refused.text) as { message: string; code: string; reasons: unknown[] };
    expect(reused.message).toMatch(/Idempotency-Key/);
    expect([reused.code, reused.reasons]).toEqual([
      'SEMANTIC_INVALID',
      [{ code: 'SEMANTIC_INVALID', message: reused.message, path: 'Idempotency-Key' }],
    ]);

    // Without a key, the same body twice is two batches, as before.
    const [plainA, plainB] = [await push(urls[0], body), await push(urls[1], body)];
    const plain = [plainA, plainB].map((a) => JSON.parse(a.text) as { batchId: string; eventIds: string[] });
    expect(plain[0].batchId).not.toBe(plain[1].batchId);
    expect(plain[0].eventIds.filter((id) => plain[1].eventIds.includes(id))).toEqual([]);

    const seen = await producedSince(kafka, mark);

    // users.raw: exactly one event id per valid person, the receipt's; each of the 7 sends identical.
    const raw = ofBatch(seen, receipt.batchId, TOPICS.usersRaw);
    const rawIds = byEventId(raw);
    expect([...rawIds.keys()].sort()).toEqual([...receipt.eventIds].sort());
    for (const values of rawIds.values()) expect(values.size).toBe(1);
    expect(raw).toHaveLength(7 * 38);
    expect(new Set(raw.map((r) => r.event.payload.login?.uuid)).size).toBe(38);

    // users.dlq: one dead letter per refused person, each repeat identical.
    const letters = byEventId(ofBatch(seen, receipt.batchId, TOPICS.usersDlq));
    expect(letters.size).toBe(2);
    for (const values of letters.values()) expect(values.size).toBe(1);

    // The refused body produced nobody.
    const otherPeople = new Set(
      (JSON.parse(otherBody) as { results: { login: { uuid: string } }[] }).results.map((p) => p.login.uuid),
    );
    expect(seen.filter((r) => otherPeople.has(r.event.payload.login?.uuid ?? ''))).toEqual([]);

    // The keyless pushes: each its own batch of 38 events.
    for (const p of plain) expect(ofBatch(seen, p.batchId, TOPICS.usersRaw)).toHaveLength(38);
  });

  it('is refused with 503 and Retry-After, naming the idempotency store, by a replica that cannot reach PostgreSQL; a push without a key still goes through', async () => {
    const cut = await replica({ POSTGRES_PORT: '1' }); // nothing listens on port 1
    const body = pushOf(uniqueName('idem-cut'));
    const res = await fetch(`${cut}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [API_KEY_HEADER]: API_KEY, 'idempotency-key': 'k' },
      body,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const unanswered = (await res.json()) as { message: string; code: string };
    expect([unanswered.code, unanswered.message]).toEqual([
      'POSTGRES_UNAVAILABLE',
      expect.stringMatching(/^the idempotency store/),
    ]);
    expect((await push(cut, body)).status).toBe(202);
  });
});
