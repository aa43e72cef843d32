import type { Pool } from 'pg';
import { describeServiceConfig } from '@sparkflow/testing';
import { postgresSettings } from '@sparkflow/service-kit';
import { createBackfillPool } from '@sparkflow/backfill-store';
import { IdempotencyKeysRepository } from '@sparkflow/idempotency-store';
import { RateLimitRepository } from '@sparkflow/rate-limit-store';
import { validateIngestionConfig } from './ingestion.config';

/** The `max` a repository's pool was opened with (`BoundedPool` wraps pg's `Pool`). */
const maxOf = (repository: object) => (repository as { pool: { pool: Pool } }).pool.pool.options.max;

describeServiceConfig(
  'ingestion',
  validateIngestionConfig,
  {
    defaults: {
      KAFKA_BROKERS: '127.0.0.1:9092',
      INGESTION_HTTP_PORT: 3000,
      INGESTION_API_KEYS: ['dev-ingestion-key'],
      RANDOMUSER_URL: 'https://randomuser.me/api/',
      // Today's pools: 4 + 8 + 8.
      POSTGRES_POOL_MAX: 20,
      postgresPools: { 'sparkflow-backfills': 4, 'sparkflow-idempotency': 8, 'sparkflow-rate-limit': 8 },
    },
    invalid: {
      env: {
        INGESTION_HTTP_PORT: 'http',
        INGESTION_API_KEYS: 'short',
        RANDOMUSER_URL: 'randomuser.me/api',
        INGESTION_MAX_BODY: '0kb',
        INGESTION_BODIES_IN_FLIGHT: '20MB',
        KAFKA_BROKERS: 'kafka',
        POSTGRES_POOL_MAX: '2',
      },
      says: [
        /INGESTION_HTTP_PORT[\s\S]*INGESTION_API_KEYS[\s\S]*RANDOMUSER_URL: an http:\/\/ or https:\/\/ URL/,
        /INGESTION_MAX_BODY: a size above 0/,
        /INGESTION_BODIES_IN_FLIGHT: a size above 0 such as 20mb \(kb or mb, lower case\)/,
        /KAFKA_BROKERS: "kafka" is not host:port/,
        /POSTGRES_POOL_MAX: at least 3, one connection for each of the process's pools \(sparkflow-backfills, sparkflow-idempotency, sparkflow-rate-limit\)/,
      ],
    },
  },
  (loadWith) => {
    it('splits POSTGRES_POOL_MAX among its three pools, and each store opens its pool at its share', async () => {
      const c = loadWith({ POSTGRES_POOL_MAX: '8' });
      expect(c.postgresPools).toEqual({
        'sparkflow-backfills': 2,
        'sparkflow-idempotency': 3,
        'sparkflow-rate-limit': 3,
      });
      const s = postgresSettings(c);
      const backfills = createBackfillPool(s, () => undefined);
      const keys = new IdempotencyKeysRepository(s, 1000, () => undefined);
      const limiter = new RateLimitRepository(s, 500, () => undefined);
      try {
        expect([backfills.options.max, maxOf(keys), maxOf(limiter)]).toEqual([2, 3, 3]);
      } finally {
        await Promise.all([backfills.end(), keys.close(), limiter.close()]);
      }
    });

    it.each(['ten', '7.5', '0', '-4', '10001'])('refuses POSTGRES_POOL_MAX=%s, naming it', (value) => {
      expect(() => loadWith({ POSTGRES_POOL_MAX: value })).toThrow(
        /ingestion: invalid configuration\n {2}POSTGRES_POOL_MAX: /,
      );
    });
  },
);
