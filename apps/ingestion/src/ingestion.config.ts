import { HttpEnv, KafkaEnv, apiKeysEnv, httpPort, parseEnv } from '@sparkflow/service-kit';
import { z } from 'zod';

const Env = KafkaEnv.extend(HttpEnv.shape).extend({
  INGESTION_HTTP_PORT: httpPort(3000),
  /** Comma-separated keys accepted in the `x-api-key` header of write endpoints. */
  INGESTION_API_KEYS: apiKeysEnv('dev-ingestion-key'),
  INGESTION_MAX_BODY: z.string().regex(/^\d+(kb|mb)$/, 'a size such as 5mb or 512kb').default('5mb'),
  /** Request bodies read and parsed at once (their heap is several times their size); beyond it 503. */
  INGESTION_BODIES_IN_FLIGHT: z.string().regex(/^\d+(kb|mb)$/, 'a size such as 20mb').default('20mb'),
  INGESTION_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(200),
  INGESTION_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(400),
  INGESTION_MAX_USERS_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(5000),
  RANDOMUSER_URL: z.url().default('https://randomuser.me/api/'),
  RANDOMUSER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RANDOMUSER_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
});
export type IngestionConfig = Readonly<z.infer<typeof Env>>;
export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');

export const loadIngestionConfig = (): IngestionConfig => parseEnv('ingestion', Env, process.env);
