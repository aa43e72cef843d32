import {
  apiKeysEnv,
  httpPort,
  parseEnv,
  PostgresEnv,
  serviceBaseEnv,
  postgresPoolEnv,
  postgresPoolSplit,
} from '@sparkflow/service-kit';
import { z } from 'zod';
import { DEFAULT_MAX_GENERATED_USERS, DEFAULT_MAX_PERSON_BYTES } from '@sparkflow/ingestion-core';
import { BACKFILL_POOL, BACKFILL_POOL_MAX } from '@sparkflow/backfill-store';
import { IDEMPOTENCY_POOL, IDEMPOTENCY_POOL_MAX } from '@sparkflow/idempotency-store';
import { RATE_LIMIT_POOL, RATE_LIMIT_POOL_MAX } from '@sparkflow/rate-limit-store';

/**
 * Ingestion's PostgreSQL pools at their default sizes (4 + 8 + 8): `POSTGRES_POOL_MAX` (default 20) is
 * split among them in these proportions.
 */
export const INGESTION_POSTGRES_POOLS = {
  [BACKFILL_POOL]: BACKFILL_POOL_MAX,
  [IDEMPOTENCY_POOL]: IDEMPOTENCY_POOL_MAX,
  [RATE_LIMIT_POOL]: RATE_LIMIT_POOL_MAX,
};

const Env = serviceBaseEnv('ingestion')
  // Backfills and their progress, the rate limit and Idempotency-Keys live in PostgreSQL, where every replica reads them.
  .extend(PostgresEnv.shape)
  .extend({
    /** How long a replica's hold on a backfill lasts without progress; then another replica takes it over. */
    INGESTION_BACKFILL_LEASE_S: z.coerce.number().min(1).max(3600).default(15),
    /** How often a replica looks for a backfill whose replica is gone. */
    INGESTION_BACKFILL_POLL_MS: z.coerce.number().int().min(100).default(2000),
    INGESTION_HTTP_PORT: httpPort(3000),
    /** Comma-separated keys accepted in the `x-api-key` header of every endpoint but health and metrics. */
    INGESTION_API_KEYS: apiKeysEnv('dev-ingestion-key'),
    INGESTION_MAX_BODY: z
      .string()
      .regex(/^[1-9]\d*(kb|mb)$/, 'a size above 0 such as 5mb or 512kb (kb or mb, lower case)')
      .default('5mb'),
    /** Request bodies read and parsed at once (their heap is several times their size); beyond it 503. */
    INGESTION_BODIES_IN_FLIGHT: z
      .string()
      .regex(/^[1-9]\d*(kb|mb)$/, 'a size above 0 such as 20mb (kb or mb, lower case)')
      .default('20mb'),
    INGESTION_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(200),
    INGESTION_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(400),
    /**
     * The limit is kept in PostgreSQL, shared by every replica; a request whose statement (a connection
     * included) has no answer within this is limited in process instead. PostgreSQL cancels the statement
     * at the same time; a connection being opened goes on opening for the next request.
     */
    INGESTION_RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
    /**
     * A push with an Idempotency-Key waits at most this for PostgreSQL, where keys are kept (a connection
     * included); then 503 + Retry-After, and nothing is produced.
     */
    INGESTION_IDEMPOTENCY_STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(1000),
    /** People one `POST /v1/users` may hold; beyond it 400 naming `results` (the body, for an array). */
    INGESTION_MAX_USERS_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(5000),
    /** Bytes of JSON one person may take (default 256 KB, a quarter of Kafka's 1 MB message); beyond it 413. */
    INGESTION_MAX_PERSON_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1_048_576)
      .default(DEFAULT_MAX_PERSON_BYTES),
    /** People one `synthetic` or `pulls` request makes, produced in chunks of 500; beyond it 400 (backfills do more). */
    INGESTION_MAX_GENERATED_USERS: z.coerce.number().int().min(1).default(DEFAULT_MAX_GENERATED_USERS),
    /** Time a client has to send its request headers (Node's `headersTimeout`); then 408 and the connection closes. */
    INGESTION_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10_000),
    /** Time a client has to send its whole request (Node's `requestTimeout`, checked every 30 s). */
    INGESTION_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
    /** A body that stays silent this long is cut off (408) and its share of the body budget released. */
    INGESTION_BODY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    RANDOMUSER_URL: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .default('https://randomuser.me/api/'),
    RANDOMUSER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    RANDOMUSER_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  })
  .extend(postgresPoolEnv(INGESTION_POSTGRES_POOLS).shape)
  .refine((c) => c.INGESTION_HEADERS_TIMEOUT_MS <= c.INGESTION_REQUEST_TIMEOUT_MS, {
    message: 'must not be longer than INGESTION_REQUEST_TIMEOUT_MS',
    path: ['INGESTION_HEADERS_TIMEOUT_MS'],
  })
  .transform(postgresPoolSplit(INGESTION_POSTGRES_POOLS));
export type IngestionConfig = Readonly<z.infer<typeof Env>>;
export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');

/** `ConfigModule.forRoot`'s `validate`: the one parse of the environment, frozen; throws naming each bad variable. */
export const validateIngestionConfig = (raw: Record<string, unknown>): IngestionConfig =>
  parseEnv('ingestion', Env, raw);
