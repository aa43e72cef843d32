import { HttpEnv, KafkaEnv, httpPort, parseEnv } from '@sparkflow/service-kit';
import { z } from 'zod';

const Env = KafkaEnv.extend(HttpEnv.shape).extend({
  ENRICHMENT_HTTP_PORT: httpPort(3001),
  ENRICHMENT_GROUP_ID: z.string().min(1).default('sparkflow-enrichment'),
});
export type EnrichmentConfig = Readonly<z.infer<typeof Env>>;
export const ENRICHMENT_CONFIG = Symbol('ENRICHMENT_CONFIG');

export const loadEnrichmentConfig = (): EnrichmentConfig => parseEnv('enrichment', Env, process.env);
