import type { INestApplication } from '@nestjs/common';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { type ScratchDatabase, scratchPostgresDatabase } from '@sparkflow/testing';
import { ingestionReplica } from './testing/ingestion-replica';

/**
 * Two ingestion replicas (the whole IngestionModule, twice, each with its own HTTP server and its own
 * PostgreSQL pool) against the stack's Kafka and PostgreSQL: one API key's requests alternate between
 * them, and the limit is the one limit, not one per replica.
 */
const RATE = 1;
const BURST = 6; // a window of 6 s: the test's requests all fall inside it

describe('the rate limit of two ingestion replicas', () => {
  // A database of its own: these replicas look for abandoned backfills too, and must find none of the stack's.
  let scratch: ScratchDatabase;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];

  async function replica(): Promise<string> {
    const app = await ingestionReplica(scratch, {
      INGESTION_API_KEYS: 'rate-limit-key-one,rate-limit-key-two',
      INGESTION_RATE_LIMIT_PER_SECOND: String(RATE),
      INGESTION_RATE_LIMIT_BURST: String(BURST),
    });
    replicas.push(app);
    return app.getUrl();
  }

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('ingestion_rl_it', [
      ...BACKFILL_MIGRATIONS,
      ...RATE_LIMIT_MIGRATIONS,
    ]);
    await scratch.ds.destroy();
    urls.push(await replica(), await replica());
  });
  afterAll(async () => {
    for (const app of replicas) await app.close();
    await scratch?.drop();
  });

  // An empty list is refused (400) by the route, after the limit counted it: nothing reaches Kafka.
  const push = (url: string, key: string) =>
    fetch(`${url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [API_KEY_HEADER]: key },
      body: '[]',
    });

  it.each([0, 1])(
    'refuses the (BURST+1)th request of a key in the window with 429 when it reaches replica %i',
    async (last) => {
      const key = last === 0 ? 'rate-limit-key-one' : 'rate-limit-key-two';
      // BURST requests alternate between the replicas, so each saw only half of them…
      const statuses: number[] = [];
      for (let i = 0; i < BURST; i++) statuses.push((await push(urls[(i + last + 1) % 2], key)).status);
      expect(statuses).toEqual(Array.from({ length: BURST }, () => 400));
      // …and the next one is refused whichever replica it reaches.
      const refused = await push(urls[last], key);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(BURST / RATE);
      const message = expect.stringMatching(
        new RegExp(`^rate limit of ${RATE} requests/s \\(burst ${BURST}\\) exceeded; retry after \\d s$`),
      ) as unknown;
      expect(await refused.json()).toEqual({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message,
        reasons: [{ code: 'RATE_LIMITED', message, path: 'x-api-key' }],
        errors: [{ path: 'x-api-key', message }],
      });
      expect((await push(urls[(last + 1) % 2], key)).status).toBe(429);
    },
  );
});
