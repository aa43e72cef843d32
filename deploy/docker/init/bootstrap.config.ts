import { CassandraEnv, KafkaEnv, PostgresEnv, parseEnv } from '@sparkflow/service-kit';
import { KAFKA_ADMIN_USER, TOPOLOGIES, devKafkaPassword } from '@sparkflow/contracts';
import { z } from 'zod';

/**
 * The one-shot bootstrap's settings: the services' variables plus the admin credentials the native
 * stack uses (`CASSANDRA_ADMIN_*`, `POSTGRES_ADMIN_*`), so Compose and `npm run stack` share one vocabulary.
 */
export const BootstrapEnv = KafkaEnv.extend(CassandraEnv.shape)
  .extend(PostgresEnv.shape)
  .extend({
    /** Kafka's super user: creates the topics and grants the ACLs of libs/contracts' KAFKA_PRINCIPALS. */
    KAFKA_USERNAME: z.string().min(1).default(KAFKA_ADMIN_USER),
    KAFKA_PASSWORD: z.string().min(1).default(devKafkaPassword(KAFKA_ADMIN_USER)),
    /** Create the topics of TOPIC_SPECS (off where an operator owns them, as Strimzi's topic operator does). */
    BOOTSTRAP_KAFKA_TOPICS: z.enum(['true', 'false']).default('true'),
    /** Copies of each partition of a topic this creates: TOPOLOGIES' topicReplicationFactor (3 on a cluster). */
    KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce
      .number()
      .int()
      .min(1)
      .default(TOPOLOGIES.single.topicReplicationFactor),
    /** Replicas that must have a write before it is acknowledged, set on each topic: TOPOLOGIES' minInsyncReplicas. */
    KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).default(TOPOLOGIES.single.minInsyncReplicas),
    /** Grant the ACLs of KAFKA_PRINCIPALS (off where an operator owns them, as Strimzi's user operator does). */
    BOOTSTRAP_KAFKA_ACLS: z.enum(['true', 'false']).default('true'),
    CASSANDRA_ADMIN_USER: z.string().min(1).default('cassandra'),
    CASSANDRA_ADMIN_PASSWORD: z.string().min(1).default('cassandra'),
    /** Copies of each row in the keyspace it creates: TOPOLOGIES' keyspaceReplicationFactor (3 on a cluster). */
    CASSANDRA_REPLICATION_FACTOR: z.coerce
      .number()
      .int()
      .min(1)
      .default(TOPOLOGIES.single.keyspaceReplicationFactor),
    POSTGRES_ADMIN_USER: z.string().min(1).default('postgres'),
    POSTGRES_ADMIN_PASSWORD: z.string().min(1).default('sparkflow-admin-dev'),
    POSTGRES_ADMIN_DB: z.string().min(1).default('postgres'),
    /** Owns the audit database and runs its migrations; POSTGRES_USER (the services') only reads and writes rows. */
    POSTGRES_OWNER_USER: z.string().min(1).default('sparkflow_owner'),
    POSTGRES_OWNER_PASSWORD: z.string().min(1).default('sparkflow-owner-dev'),
    /** How long to wait for each engine to answer before giving up. */
    BOOTSTRAP_TIMEOUT_S: z.coerce.number().int().min(1).default(300),
  });
export type BootstrapConfig = Readonly<z.infer<typeof BootstrapEnv>>;

export const loadBootstrapConfig = (): BootstrapConfig => parseEnv('bootstrap', BootstrapEnv, process.env);
