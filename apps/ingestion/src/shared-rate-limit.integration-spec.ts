import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { type ScratchDatabase, integrationSettings, scratchPostgresDatabase } from '@sparkflow/testing';
import { INGESTION_CONFIG, validateIngestionConfig } from './ingestion.config';

/**
 * Two ingestion replicas (the whole IngestionModule, twice, each with its own HTTP server and its own
 * PostgreSQL pool) against the stack's Kafka and PostgreSQL: one API key's requests alternate between
 * them, and the limit is the one limit, not one per replica.
 */
const s = integrationSettings();
const RATE = 1;
const BURST = 6; // a window of 6 s: the test's requests all fall inside it

describe('the rate limit of two ingestion replicas', () => {
  // A database of its own: these replicas look for abandoned backfills too, and must find none of the stack's.
  let scratch: ScratchDatabase;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];

  async function replica(): Promise<string> {
    const config = validateIngestionConfig({
      KAFKA_BROKERS: s.KAFKA_BROKERS,
      POSTGRES_HOST: s.POSTGRES_HOST,
      POSTGRES_PORT: String(s.POSTGRES_PORT),
      POSTGRES_USER: scratch.admin.username,
      POSTGRES_PASSWORD: scratch.admin.password,
      POSTGRES_DB: scratch.database,
      INGESTION_API_KEYS: 'rate-limit-key-one,rate-limit-key-two',
      INGESTION_RATE_LIMIT_PER_SECOND: String(RATE),
      INGESTION_RATE_LIMIT_BURST: String(BURST),
      INGESTION_BACKFILL_POLL_MS: '600000',
    });
    // Imported here, not above: the module's ConfigModule writes its defaults into the environment when
    // loaded, which would hide the stack's ports from integrationSettings().
    const { IngestionModule } = await import('./ingestion.module');
    const module = await Test.createTestingModule({ imports: [IngestionModule] })
      .overrideProvider(INGESTION_CONFIG)
      .useValue(config)
      .compile();
    const app = module.createNestApplication({ logger: ['error', 'warn'] });
    replicas.push(app);
    await app.listen(0, '127.0.0.1');
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
      expect(await refused.json()).toEqual({
        statusCode: 429,
        message: expect.stringMatching(
          new RegExp(`^rate limit of ${RATE} requests/s \\(burst ${BURST}\\) exceeded; retry after \\d s$`),
        ) as unknown,
      });
      expect((await push(urls[(last + 1) % 2], key)).status).toBe(429);
    },
  );
});
