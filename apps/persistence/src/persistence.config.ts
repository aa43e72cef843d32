import { CassandraEnv, httpPort, parseEnv, serviceBaseEnv } from '@sparkflow/service-kit';
import { z } from 'zod';
import { CONSUMER_GROUPS, eventTimeMaxSkewSetting } from '@sparkflow/contracts';

const Env = serviceBaseEnv('persistence')
  .extend(CassandraEnv.shape)
  .extend({
    PERSISTENCE_HTTP_PORT: httpPort(3002),
    PERSISTENCE_GROUP_ID: z.string().min(1).default(CONSUMER_GROUPS.persistence),
    PERSISTENCE_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
    /** How far ahead of when the broker took a record (its Kafka timestamp; this host's clock without one) its producedAt may be before it is dead-lettered, never written. */
    PERSISTENCE_EVENT_TIME_MAX_SKEW_MS: eventTimeMaxSkewSetting(),
  });
export type PersistenceConfig = Readonly<z.infer<typeof Env>>;
export const PERSISTENCE_CONFIG = Symbol('PERSISTENCE_CONFIG');

/** `ConfigModule.forRoot`'s `validate`: the one parse of the environment, frozen; throws naming each bad variable. */
export const validatePersistenceConfig = (raw: Record<string, unknown>): PersistenceConfig =>
  parseEnv('persistence', Env, raw);
