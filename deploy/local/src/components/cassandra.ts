import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, auth } from 'cassandra-driver';
import { migrateKeyspace } from '@sparkflow/cassandra';
import type { StackConfig } from '../config';
import { findJava, jarMatching, resolveJars } from '../java';
import { launch } from '../processes';
import { type Component, dataDir, logFile, pidFile } from './component';

export const LOCAL_DATA_CENTER = 'datacenter1';
const DEFAULT_SUPERUSER_PASSWORD = 'cassandra';

const files = (cfg: StackConfig) => {
  const dir = dataDir(cfg, 'cassandra');
  const conf = join(cfg.deployDir, 'cassandra');
  return {
    dir,
    logs: join(dir, 'logs'),
    triggers: join(dir, 'triggers'),
    yaml: join(dir, 'cassandra.yaml'),
    pom: join(conf, 'pom.xml'),
    template: join(conf, 'cassandra.yaml.template'),
    jvmOptions: join(conf, 'jvm17.options'),
    logback: join(conf, 'logback.xml'),
  };
};

function client(cfg: StackConfig, user: string, password: string): Client {
  return new Client({
    contactPoints: [`127.0.0.1:${cfg.CASSANDRA_PORT}`],
    localDataCenter: LOCAL_DATA_CENTER,
    authProvider: new auth.PlainTextAuthProvider(user, password),
    socketOptions: { connectTimeout: 3000, readTimeout: 20000 },
  });
}

async function withClient<T>(c: Client, fn: (c: Client) => Promise<T>): Promise<T> {
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.shutdown();
  }
}

/** Connects as the configured superuser; on a fresh node that still has the default password, rotates it first. */
async function withAdmin<T>(cfg: StackConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  try {
    return await withClient(client(cfg, cfg.CASSANDRA_ADMIN_USER, cfg.CASSANDRA_ADMIN_PASSWORD), fn);
  } catch (err) {
    const authFailed = (err as Error).message.includes('Provided username') || (err as Error).name === 'AuthenticationError';
    if (!authFailed || cfg.CASSANDRA_ADMIN_PASSWORD === DEFAULT_SUPERUSER_PASSWORD) throw err;
    await withClient(client(cfg, 'cassandra', DEFAULT_SUPERUSER_PASSWORD), (c) =>
      c.execute(`ALTER ROLE cassandra WITH PASSWORD = ${cqlString(cfg.CASSANDRA_ADMIN_PASSWORD)}`),
    );
    // The credentials cache keeps the old password valid for up to `credentials_validity` (2 s here).
    for (let attempt = 1; ; attempt++) {
      try {
        return await withClient(client(cfg, cfg.CASSANDRA_ADMIN_USER, cfg.CASSANDRA_ADMIN_PASSWORD), fn);
      } catch (retryErr) {
        if (attempt >= 10) throw retryErr;
        await sleep(500);
      }
    }
  }
}

const cqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

export const cassandra: Component = {
  name: 'cassandra',
  kind: 'engine',
  stopSignal: 'SIGTERM',
  ports: (cfg) => [cfg.CASSANDRA_PORT, cfg.CASSANDRA_STORAGE_PORT, cfg.CASSANDRA_JMX_PORT],
  mainPort: (cfg) => cfg.CASSANDRA_PORT,
  startTimeoutMs: (cfg) => cfg.CASSANDRA_START_TIMEOUT_S * 1000,

  async prepare(cfg) {
    const f = files(cfg);
    findJava(cfg);
    resolveJars(cfg, 'cassandra', f.pom);
    mkdirSync(f.logs, { recursive: true });
    mkdirSync(f.triggers, { recursive: true });
    const yaml = readFileSync(f.template, 'utf8')
      .replaceAll('@@DATA_DIR@@', f.dir)
      .replaceAll('@@CQL_PORT@@', String(cfg.CASSANDRA_PORT))
      .replaceAll('@@STORAGE_PORT@@', String(cfg.CASSANDRA_STORAGE_PORT));
    writeFileSync(f.yaml, yaml);
  },

  start(cfg) {
    const f = files(cfg);
    const jars = resolveJars(cfg, 'cassandra', f.pom);
    const jvmOptions = readFileSync(f.jvmOptions, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    return launch({
      command: findJava(cfg),
      args: [
        ...cfg.CASSANDRA_HEAP.split(/\s+/),
        ...jvmOptions,
        `-javaagent:${jarMatching(jars, /^jamm-.*\.jar$/)}`,
        '-Dcassandra-foreground=yes',
        `-Dcassandra.config=file://${f.yaml}`,
        `-Dcassandra.storagedir=${f.dir}`,
        `-Dcassandra.logdir=${f.logs}`,
        `-Dcassandra.triggers_dir=${f.triggers}`,
        `-Dlogback.configurationFile=file://${f.logback}`,
        `-Dcassandra.jmx.local.port=${cfg.CASSANDRA_JMX_PORT}`,
        // Without this the JMX RMI server takes a random second port.
        `-Dcom.sun.management.jmxremote.rmi.port=${cfg.CASSANDRA_JMX_PORT}`,
        '-cp',
        `${jars}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      cwd: f.dir,
      logFile: logFile(cfg, 'cassandra'),
      pidFile: pidFile(cfg, 'cassandra'),
    });
  },

  async probe(cfg) {
    // The default superuser appears a moment after CQL opens; a fresh node answers as cassandra/cassandra,
    // a bootstrapped one only with the configured password.
    const attempt = (password: string) =>
      withClient(client(cfg, cfg.CASSANDRA_ADMIN_USER, password), async (c) => {
        const rs = await c.execute('SELECT release_version FROM system.local');
        return `Cassandra ${rs.first()['release_version'] as string}`;
      });
    try {
      return await attempt(cfg.CASSANDRA_ADMIN_PASSWORD);
    } catch (err) {
      if (cfg.CASSANDRA_ADMIN_PASSWORD === DEFAULT_SUPERUSER_PASSWORD) throw err;
      return attempt(DEFAULT_SUPERUSER_PASSWORD);
    }
  },

  async bootstrap(cfg) {
    return withAdmin(cfg, async (c) => {
      const changes = await migrateKeyspace(c, cfg.CASSANDRA_KEYSPACE);
      const role = cfg.CASSANDRA_USERNAME;
      const existing = await c.execute('SELECT role FROM system_auth.roles WHERE role = ?', [role], { prepare: true });
      // Role DDL takes no bind markers; names are validated identifiers and the password is quoted.
      if (!/^[a-z][a-z0-9_]*$/.test(role)) throw new Error(`CASSANDRA_USERNAME "${role}" must be a lower-case identifier`);
      if (existing.rowLength === 0) {
        await c.execute(`CREATE ROLE ${role} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_PASSWORD)} AND LOGIN = true AND SUPERUSER = false`);
        changes.push(`created role ${role}`);
      } else {
        await c.execute(`ALTER ROLE ${role} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_PASSWORD)} AND LOGIN = true`);
      }
      // Least privilege: the services read and write rows; only the stack's admin role changes schema.
      for (const permission of ['SELECT', 'MODIFY']) {
        await c.execute(`GRANT ${permission} ON KEYSPACE ${cfg.CASSANDRA_KEYSPACE} TO ${role}`);
      }
      return changes.length ? changes : ['schema and roles up to date'];
    });
  },
};
