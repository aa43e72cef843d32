import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { TOPIC_SPECS } from '@sparkflow/contracts';
import { ensureTopics } from '@sparkflow/kafka';
import { createCassandraClient, migrateKeyspace } from '@sparkflow/cassandra';
import { migrateAuditStore } from '@sparkflow/audit-store';
import { splitList } from '@sparkflow/service-kit';
import { loadBootstrapConfig, type BootstrapConfig } from './bootstrap.config';

/**
 * Compose's one-shot `init` service: what `npm run stack -- up` does after the engines answer —
 * Kafka topics from libs/contracts, the Cassandra keyspace, migrations and the app role, the audit
 * database, its role and TypeORM migrations. Idempotent; exits 0 when everything is in place.
 * (It repeats deploy/local's bootstrap steps because that ops app cannot be imported; see deploy/docker/README.md.)
 */
const IDENT = /^[a-z_][a-z0-9_]*$/;
const cqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

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
  const kafka = new Kafka({
    clientId: 'sparkflow-bootstrap',
    brokers: splitList(cfg.KAFKA_BROKERS),
    logLevel: logLevel.ERROR,
  });
  return retry('kafka', cfg.BOOTSTRAP_TIMEOUT_S, () => ensureTopics(kafka.admin(), TOPIC_SPECS));
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
      const changes = await migrateKeyspace(client, cfg.CASSANDRA_KEYSPACE, {
        replicationFactor: cfg.CASSANDRA_REPLICATION_FACTOR,
      });
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
  const changes: string[] = [];
  await retry('postgres', cfg.BOOTSTRAP_TIMEOUT_S, async () => {
    const admin = new PgClient({
      host: cfg.POSTGRES_HOST,
      port: cfg.POSTGRES_PORT,
      user: cfg.POSTGRES_ADMIN_USER,
      password: cfg.POSTGRES_ADMIN_PASSWORD,
      database: cfg.POSTGRES_ADMIN_DB,
    });
    await admin.connect();
    try {
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.POSTGRES_USER]);
      const verb = role.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(
        `${verb} ROLE ${sqlIdent(cfg.POSTGRES_USER)} LOGIN PASSWORD ${sqlLiteral(cfg.POSTGRES_PASSWORD)}`,
      );
      if (verb === 'CREATE') changes.push(`created role ${cfg.POSTGRES_USER}`);
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.POSTGRES_DB]);
      if (!db.rowCount) {
        await admin.query(
          `CREATE DATABASE ${sqlIdent(cfg.POSTGRES_DB)} OWNER ${sqlIdent(cfg.POSTGRES_USER)}`,
        );
        changes.push(`created database ${cfg.POSTGRES_DB}`);
      }
    } finally {
      await admin.end();
    }
  });
  const applied = await migrateAuditStore({
    host: cfg.POSTGRES_HOST,
    port: cfg.POSTGRES_PORT,
    username: cfg.POSTGRES_USER,
    password: cfg.POSTGRES_PASSWORD,
    database: cfg.POSTGRES_DB,
  });
  return [...changes, ...applied.map((m) => `applied migration ${m}`)];
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
