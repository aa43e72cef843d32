import { setTimeout as sleep } from 'node:timers/promises';
import { KAFKA_PRINCIPALS, TOPIC_SPECS } from '@sparkflow/contracts';
import { createKafka, ensureAcls, ensureTopics, kafkaCredentials } from '@sparkflow/kafka';
import {
  cqlIdentifier,
  cqlMap,
  cqlString,
  createCassandraClient,
  keyspaceReplication,
  migrateKeyspace,
} from '@sparkflow/cassandra';
import { provisionPostgres } from '@sparkflow/postgres';
import { splitList } from '@sparkflow/service-kit';
import { loadBootstrapConfig, type BootstrapConfig } from './bootstrap.config';

/**
 * Compose's one-shot `init` service: what `npm run stack -- up` does after the engines answer —
 * Kafka topics from libs/contracts, the Cassandra keyspace, migrations and the app role, the audit
 * database with its owner and app roles and TypeORM migrations (libs/postgres's provisionPostgres,
 * the same call as the native stack's). Idempotent; exits 0 when everything is in place.
 * (The Kafka and Cassandra steps repeat deploy/local's because that ops app cannot be imported; see deploy/docker/README.md.)
 */
const IDENT = /^[a-z_][a-z0-9_]*$/;

async function retry<T>(what: string, timeoutS: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what}: still failing after ${timeoutS}s: ${(err as Error).message}`);
      console.log(`${what}: not ready (${(err as Error).message.split('\n')[0]}), retrying`);
      await sleep(3000);
    }
  }
}

async function kafkaTopics(cfg: BootstrapConfig): Promise<string[]> {
  const kafka = createKafka({
    clientId: 'sparkflow-bootstrap',
    brokers: splitList(cfg.KAFKA_BROKERS),
    credentials: kafkaCredentials(cfg),
  });
  return retry('kafka', cfg.BOOTSTRAP_TIMEOUT_S, async () => [
    ...(cfg.BOOTSTRAP_KAFKA_TOPICS === 'true'
      ? await ensureTopics(kafka.admin(), TOPIC_SPECS, {
          replicationFactor: cfg.KAFKA_TOPIC_REPLICATION_FACTOR,
          minInsyncReplicas: cfg.KAFKA_MIN_INSYNC_REPLICAS,
        })
      : []),
    ...(cfg.BOOTSTRAP_KAFKA_ACLS === 'true' ? await ensureAcls(kafka.admin(), KAFKA_PRINCIPALS) : []),
  ]);
}

async function cassandraSchema(cfg: BootstrapConfig): Promise<string[]> {
  const role = cfg.CASSANDRA_USERNAME;
  if (!IDENT.test(role)) throw new Error(`CASSANDRA_USERNAME "${role}" must be a lower-case identifier`);
  return retry('cassandra', cfg.BOOTSTRAP_TIMEOUT_S, async () => {
    const client = createCassandraClient({
      contactPoints: splitList(cfg.CASSANDRA_CONTACT_POINTS),
      localDataCenter: cfg.CASSANDRA_LOCAL_DC,
      username: cfg.CASSANDRA_ADMIN_USER,
      password: cfg.CASSANDRA_ADMIN_PASSWORD,
    });
    try {
      const changes: string[] = [];
      if (cfg.CASSANDRA_REPLICATION_FACTOR > 1) {
        // The roles' own keyspace as many times over as the data, or a sign-in fails whenever the one
        // node holding the role is down; each role written below then lands on every replica.
        const copies = keyspaceReplication(cfg.CASSANDRA_REPLICATION_FACTOR, cfg.CASSANDRA_LOCAL_DC);
        await client.execute(`ALTER KEYSPACE system_auth WITH replication = ${cqlMap(copies)}`);
        await client.execute(
          `ALTER ROLE ${cqlIdentifier(cfg.CASSANDRA_ADMIN_USER)} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_ADMIN_PASSWORD)}`,
        );
      }
      changes.push(
        ...(await migrateKeyspace(client, cfg.CASSANDRA_KEYSPACE, {
          replicationFactor: cfg.CASSANDRA_REPLICATION_FACTOR,
          dataCenter: cfg.CASSANDRA_LOCAL_DC,
        })),
      );
      const existing = await client.execute('SELECT role FROM system_auth.roles WHERE role = ?', [role], {
        prepare: true,
      });
      const verb = existing.rowLength ? 'ALTER' : 'CREATE';
      await client.execute(
        `${verb} ROLE ${role} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_PASSWORD)} AND LOGIN = true`,
      );
      if (verb === 'CREATE') changes.push(`created role ${role}`);
      // Least privilege, as on the native stack: the services read and write rows, never change schema.
      for (const permission of ['SELECT', 'MODIFY']) {
        await client.execute(`GRANT ${permission} ON KEYSPACE ${cfg.CASSANDRA_KEYSPACE} TO ${role}`);
      }
      return changes;
    } finally {
      await client.shutdown();
    }
  });
}

async function auditDatabase(cfg: BootstrapConfig): Promise<string[]> {
  return retry('postgres', cfg.BOOTSTRAP_TIMEOUT_S, () =>
    provisionPostgres({
      host: cfg.POSTGRES_HOST,
      port: cfg.POSTGRES_PORT,
      database: cfg.POSTGRES_DB,
      admin: {
        username: cfg.POSTGRES_ADMIN_USER,
        password: cfg.POSTGRES_ADMIN_PASSWORD,
        maintenanceDatabase: cfg.POSTGRES_ADMIN_DB,
      },
      owner: { username: cfg.POSTGRES_OWNER_USER, password: cfg.POSTGRES_OWNER_PASSWORD },
      app: { username: cfg.POSTGRES_USER, password: cfg.POSTGRES_PASSWORD },
    }),
  );
}

async function main(): Promise<void> {
  const cfg = loadBootstrapConfig();
  const [topics, cql, audit] = await Promise.all([
    kafkaTopics(cfg),
    cassandraSchema(cfg),
    auditDatabase(cfg),
  ]);
  for (const [part, changes] of [
    ['kafka', topics],
    ['cassandra', cql],
    ['postgres', audit],
  ] as const) {
    console.log(`${part}: ${changes.length ? changes.join('; ') : 'up to date'}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bootstrap failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
