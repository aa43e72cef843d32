import { join, resolve } from 'node:path';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import {
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  TOPOLOGIES,
  devKafkaPassword,
  kafkaPasswordVariable,
  localNodeAddresses,
} from '@sparkflow/contracts';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');

/**
 * Where integration tests find the real servers: the variables and defaults the services use,
 * which match what `npm run stack -- up` starts.
 */
const Env = z.object({
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).default('scram-sha-512'),
  /**
   * Tests sign in as the stack's admin: they make and delete topics of their own and reset the services'
   * groups. The stack's KAFKA_ADMIN_PASSWORD is this password; each service's own principal is checked
   * by the authentication spec.
   */
  KAFKA_USERNAME: z.string().default(KAFKA_ADMIN_USER),
  KAFKA_ADMIN_PASSWORD: z.string().default(devKafkaPassword(KAFKA_ADMIN_USER)),
  CASSANDRA_CONTACT_POINTS: z.string().default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().default('sparkflow'),
  CASSANDRA_USERNAME: z.string().default('sparkflow_app'),
  CASSANDRA_PASSWORD: z.string().default('sparkflow-app-dev'),
  POSTGRES_HOST: z.string().default('127.0.0.1'),
  POSTGRES_PORT: z.coerce.number().int().default(5432),
  POSTGRES_USER: z.string().default('sparkflow_app'),
  POSTGRES_PASSWORD: z.string().default('sparkflow-app-dev'),
  POSTGRES_DB: z.string().default('sparkflow'),
  /** Owns the database and runs the migrations; the services' POSTGRES_USER only reads and writes rows. */
  POSTGRES_OWNER_USER: z.string().default('sparkflow_owner'),
  POSTGRES_OWNER_PASSWORD: z.string().default('sparkflow-owner-dev'),
  INGESTION_HTTP_PORT: z.coerce.number().int().default(3000),
  AUDIT_HTTP_PORT: z.coerce.number().int().default(3003),
  /** The first of ingestion's accepted keys is the one tests send. */
  INGESTION_API_KEYS: z.string().default('dev-ingestion-key'),
  /** The first of the audit's accepted keys is the one tests send. */
  AUDIT_API_KEYS: z.string().default('dev-audit-key'),
  SPARKFLOW_HOME: z.string().default(join(REPO_ROOT, '.sparkflow')),
  POSTGRES_ADMIN_USER: z.string().default('postgres'),
  POSTGRES_ADMIN_PASSWORD: z.string().default('sparkflow-admin-dev'),
  CASSANDRA_ADMIN_USER: z.string().default('cassandra'),
  CASSANDRA_ADMIN_PASSWORD: z.string().default('cassandra'),
  AIRFLOW_ADMIN_PASSWORD: z.string().default('sparkflow-airflow-dev'),
  AIRFLOW_DB_PASSWORD: z.string().default('airflow-dev'),
});

export type IntegrationSettings = Readonly<z.infer<typeof Env>>;

export function integrationSettings(env: NodeJS.ProcessEnv = process.env): IntegrationSettings {
  // The stack is configured by port (KAFKA_PORT, CASSANDRA_PORT) and topology; the clients by the address
  // of every node.
  const cluster = env['SPARKFLOW_TOPOLOGY'] === 'cluster';
  const { kafkaNodes, cassandraNodes } = TOPOLOGIES[cluster ? 'cluster' : 'single'];
  const kafkaPort = env['KAFKA_PORT'] ?? (cluster ? '9092' : undefined);
  const cassandraPort = env['CASSANDRA_PORT'] ?? (cluster ? '9042' : undefined);
  const derived = {
    KAFKA_BROKERS: kafkaPort ? localNodeAddresses(kafkaNodes, kafkaPort) : undefined,
    CASSANDRA_CONTACT_POINTS: cassandraPort ? localNodeAddresses(cassandraNodes, cassandraPort) : undefined,
  };
  return Object.freeze(Env.parse({ ...derived, ...env }));
}

/** The headers a call to the audit's query API needs: the first of AUDIT_API_KEYS in `x-api-key`. */
export const auditHeaders = (s: IntegrationSettings): Record<string, string> => ({
  'x-api-key': s.AUDIT_API_KEYS.split(',')[0].trim(),
});

/** How the audit store's tests connect to the stack's PostgreSQL: as the services' role, or as the owner. */
export function postgresConnection(s: IntegrationSettings, role: 'app' | 'owner' = 'app') {
  return {
    host: s.POSTGRES_HOST,
    port: s.POSTGRES_PORT,
    username: role === 'owner' ? s.POSTGRES_OWNER_USER : s.POSTGRES_USER,
    password: role === 'owner' ? s.POSTGRES_OWNER_PASSWORD : s.POSTGRES_PASSWORD,
    database: s.POSTGRES_DB,
  };
}

/** The same login in the shape `pg`'s `new Client(…)` takes (`user`, where TypeORM says `username`). */
export function pgClientConfig(s: IntegrationSettings, role: 'app' | 'owner' = 'app') {
  const { username, ...rest } = postgresConnection(s, role);
  return { ...rest, user: username };
}

/** How tests and the bench reach the stack's Cassandra: as the services' application role. */
export function cassandraConnection(s: IntegrationSettings) {
  return {
    contactPoints: s.CASSANDRA_CONTACT_POINTS.split(','),
    localDataCenter: s.CASSANDRA_LOCAL_DC,
    username: s.CASSANDRA_USERNAME,
    password: s.CASSANDRA_PASSWORD,
    keyspace: s.CASSANDRA_KEYSPACE,
  };
}

/** How tests and the bench reach the stack's Kafka: brokers and SASL login, spread into `new Kafka({...})`. */
export function kafkaConnection(s: IntegrationSettings) {
  const sasl = {
    mechanism: s.KAFKA_SASL_MECHANISM,
    username: s.KAFKA_USERNAME,
    password: s.KAFKA_ADMIN_PASSWORD,
  };
  return { brokers: s.KAFKA_BROKERS.split(','), sasl: sasl as SASLOptions };
}

/** Each Kafka principal's password on the stack, by its variable (KAFKA_<ROLE>_PASSWORD), defaults included. */
export function kafkaPrincipalPasswords(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    KAFKA_PRINCIPALS.map((p) => {
      const name = kafkaPasswordVariable(p.role);
      return [name, env[name] ?? devKafkaPassword(p.user)];
    }),
  );
}
