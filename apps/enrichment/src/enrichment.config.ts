import { httpPort, parseEnv, serviceBaseEnv } from '@sparkflow/service-kit';
import { z } from 'zod';
import { CONSUMER_GROUPS, eventTimeMaxSkewSetting } from '@sparkflow/contracts';

const Env = serviceBaseEnv('enrichment').extend({
  ENRICHMENT_HTTP_PORT: httpPort(3001),
  ENRICHMENT_GROUP_ID: z.string().min(1).default(CONSUMER_GROUPS.enrichment),
  /** How far ahead of when the broker took a record (its Kafka timestamp; this host's clock without one) its producedAt may be before it is dead-lettered. */
  ENRICHMENT_EVENT_TIME_MAX_SKEW_MS: eventTimeMaxSkewSetting(),
});
export type EnrichmentConfig = Readonly<z.infer<typeof Env>>;
export const ENRICHMENT_CONFIG = Symbol('ENRICHMENT_CONFIG');

/** `ConfigModule.forRoot`'s `validate`: the one parse of the environment, frozen; throws naming each bad variable. */
export const validateEnrichmentConfig = (raw: Record<string, unknown>): EnrichmentConfig =>
  parseEnv('enrichment', Env, raw);
