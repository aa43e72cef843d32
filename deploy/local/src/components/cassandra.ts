import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, auth, policies } from 'cassandra-driver';
import {
  cqlIdentifier,
  cqlMap,
  cqlPortOf,
  cqlString,
  keyspaceReplication,
  migrateKeyspace,
  sameReplication,
} from '@sparkflow/cassandra';
import { engineClientEnv, type StackConfig } from '../config';
import { SetupError, UsageError } from '../errors';
import { findJava, jarMatching, resolveJars } from '../java';
import { launch } from '../processes';
import { TOPOLOGIES, type Topology } from '@sparkflow/contracts';
import { nodeHost, ordinals, topologyOf } from '../topology';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './component';

export const LOCAL_DATA_CENTER = 'datacenter1';
const DEFAULT_SUPERUSER_PASSWORD = 'cassandra';

/** `cassandra` in the single topology; `cassandra-1`… in the cluster. */
const nodeName = (topology: Topology, node: number): ComponentName =>
  topology.cassandraNodes === 1 ? 'cassandra' : `cassandra-${node}`;

/** Node n's one token, the ring split evenly (Murmur3 tokens span −2⁶³ … 2⁶³−1); a single node keeps 0. */
export function initialToken(node: number, nodes: number): string {
  if (nodes === 1) return '0';
  return String(-(2n ** 63n) + (2n ** 64n / BigInt(nodes)) * BigInt(node - 1));
}

/**
 * The JVM option that logs every GC pause to `<logs>/gc.log`, beside system.log: the first place to look
 * when writes stall for a moment. The JVM keeps the live file and four older ones of 10 MB. The file name
 * is quoted, or a ':' in the home's path would end it and fail the start. The JVM has no escape for '"',
 * and it replaces '%p' and '%t' with its pid and start time (`%%` is not an escape), so such a path is
 * refused here rather than failing the start or logging elsewhere.
 */
export function gcLogOption(logs: string): string {
  const file = join(logs, 'gc.log');
  const refused = file.includes('"')
    ? `'"', for which it has no escape`
    : /%[pt]/.test(file) && `'${/%[pt]/.exec(file)?.[0]}', which it replaces with its pid or start time`;
  if (refused) {
    throw new SetupError(
      `Cassandra's GC log cannot be written to ${file}: the JVM does not take ${refused} in a file name; ` +
        'choose a SPARKFLOW_HOME without it.',
    );
  }
  return `-Xlog:gc:file="${file}":time,uptime:filecount=4,filesize=10m`;
}

/** Each node's JMX listens on 127.0.0.1, so the nodes take consecutive ports. */
const jmxPort = (cfg: StackConfig, node: number) => cfg.CASSANDRA_JMX_PORT + node - 1;

const files = (cfg: StackConfig, node = 1) => {
  const dir = dataDir(cfg, nodeName(topologyOf(cfg), node));
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

/** A client of the whole cluster, or with `onlyNode` of that node alone (a probe must not be answered by another). */
function client(cfg: StackConfig, user: string, password: string, onlyNode?: number): Client {
  const all = engineClientEnv(cfg).CASSANDRA_CONTACT_POINTS.split(',');
  const contactPoints = onlyNode ? [`${nodeHost(onlyNode)}:${cfg.CASSANDRA_PORT}`] : all;
  return new Client({
    contactPoints,
    // The port the nodes learnt from peers are reached at: the cluster's, never another stack's 9042.
    protocolOptions: { port: cqlPortOf(contactPoints) },
    localDataCenter: LOCAL_DATA_CENTER,
    ...(onlyNode && {
      policies: {
        loadBalancing: new policies.loadBalancing.AllowListPolicy(
          new policies.loadBalancing.DCAwareRoundRobinPolicy(LOCAL_DATA_CENTER),
          contactPoints,
        ),
      },
    }),
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

const authFailed = (err: unknown) =>
  (err as Error).message.includes('Provided username') || (err as Error).name === 'AuthenticationError';

/** Whether `user` signs in with `password`: a role that already does is not altered again. */
async function signsIn(cfg: StackConfig, user: string, password: string): Promise<boolean> {
  try {
    await withClient(client(cfg, user, password), (c) =>
      c.execute('SELECT release_version FROM system.local'),
    );
    return true;
  } catch (err) {
    if (authFailed(err)) return false;
    throw err;
  }
}

/** Connects as the configured superuser; on a fresh node that still has the default password, rotates it first. */
async function withAdmin<T>(cfg: StackConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  try {
    return await withClient(client(cfg, cfg.CASSANDRA_ADMIN_USER, cfg.CASSANDRA_ADMIN_PASSWORD), fn);
  } catch (err) {
    if (!authFailed(err) || cfg.CASSANDRA_ADMIN_PASSWORD === DEFAULT_SUPERUSER_PASSWORD) throw err;
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

/**
 * Cassandra's own `nodetool` for one node of this stack (`cassandra`, or `cassandra-1`… in the cluster):
 * the class from the jars the node runs, over the node's JMX port on 127.0.0.1.
 */
export function nodetoolCommand(
  cfg: StackConfig,
  name: string,
  args: readonly string[],
): { command: string; args: string[] } {
  const topology = topologyOf(cfg);
  const node = ordinals(topology.cassandraNodes).find((n) => nodeName(topology, n) === name);
  if (node === undefined) {
    const names = ordinals(topology.cassandraNodes).map((n) => nodeName(topology, n));
    throw new UsageError(
      `nodetool: the first argument names a Cassandra node of this ${cfg.SPARKFLOW_TOPOLOGY} stack ` +
        `(${names.join(', ')}), got ${name ? `"${name}"` : 'nothing'}`,
    );
  }
  const f = files(cfg, node);
  const jars = resolveJars(cfg, 'cassandra', f.pom);
  // The tool touches the same JDK internals as the node (Cassandra's jvm17-clients.options).
  const modules = readFileSync(f.jvmOptions, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('--add-'));
  return {
    command: findJava(cfg),
    args: [
      ...modules,
      '-Xmx256m',
      `-Dlogback.configurationFile=file://${join(cfg.deployDir, 'cassandra', 'logback-tools.xml')}`,
      '-cp',
      `${jars}/*`,
      'org.apache.cassandra.tools.NodeTool',
      '-h',
      '127.0.0.1',
      '-p',
      String(jmxPort(cfg, node)),
      ...args,
    ],
  };
}

/** One Cassandra node: the only one in the single topology, node 1–3 of the cluster. */
export function cassandraNode(name: ComponentName, node: number, topology: Topology): Component {
  const host = nodeHost(node);
  return {
    name,
    base: 'cassandra',
    host,
    kind: 'engine',
    stopSignal: 'SIGTERM',
    ports: (c) => [c.CASSANDRA_PORT, c.CASSANDRA_STORAGE_PORT, jmxPort(c, node)],
    mainPort: (c) => c.CASSANDRA_PORT,
    startTimeoutMs: (c) => c.CASSANDRA_START_TIMEOUT_S * 1000,

    async prepare(c) {
      const f = files(c, node);
      findJava(c);
      resolveJars(c, 'cassandra', f.pom);
      mkdirSync(f.logs, { recursive: true });
      mkdirSync(f.triggers, { recursive: true });
      const seeds = ordinals(topology.cassandraNodes).map(
        (n) => `${nodeHost(n)}:${c.CASSANDRA_STORAGE_PORT}`,
      );
      const yaml = readFileSync(f.template, 'utf8')
        .replaceAll('@@DATA_DIR@@', f.dir)
        .replaceAll('@@HOST@@', host)
        .replaceAll('@@SEEDS@@', seeds.join(','))
        .replaceAll('@@INITIAL_TOKEN@@', initialToken(node, topology.cassandraNodes))
        .replaceAll('@@HINTED_HANDOFF@@', String(topology.cassandraNodes > 1))
        .replaceAll('@@CQL_PORT@@', String(c.CASSANDRA_PORT))
        .replaceAll('@@STORAGE_PORT@@', String(c.CASSANDRA_STORAGE_PORT));
      writeFileSync(f.yaml, yaml);
    },

    start(c) {
      const f = files(c, node);
      const jars = resolveJars(c, 'cassandra', f.pom);
      const jvmOptions = readFileSync(f.jvmOptions, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      return launch({
        command: findJava(c),
        args: [
          ...c.CASSANDRA_HEAP.split(/\s+/),
          ...jvmOptions,
          gcLogOption(f.logs),
          `-javaagent:${jarMatching(jars, /^jamm-.*\.jar$/)}`,
          '-Dcassandra-foreground=yes',
          `-Dcassandra.config=file://${f.yaml}`,
          `-Dcassandra.storagedir=${f.dir}`,
          `-Dcassandra.logdir=${f.logs}`,
          `-Dcassandra.triggers_dir=${f.triggers}`,
          `-Dlogback.configurationFile=file://${f.logback}`,
          `-Dcassandra.jmx.local.port=${jmxPort(c, node)}`,
          // Without this the JMX RMI server takes a random second port.
          `-Dcom.sun.management.jmxremote.rmi.port=${jmxPort(c, node)}`,
          '-cp',
          `${jars}/*`,
          'org.apache.cassandra.service.CassandraDaemon',
        ],
        cwd: f.dir,
        logFile: logFile(c, name),
        pidFile: pidFile(c, name),
      });
    },

    async probe(c) {
      // The default superuser appears a moment after CQL opens; a fresh node answers as cassandra/cassandra,
      // a bootstrapped one only with the configured password.
      const attempt = (password: string) =>
        withClient(client(c, c.CASSANDRA_ADMIN_USER, password, node), async (cl) => {
          const rs = await cl.execute('SELECT release_version FROM system.local');
          const where = topology.cassandraNodes === 1 ? '' : ` on ${host}`;
          return `Cassandra ${rs.first()['release_version'] as string}${where}`;
        });
      try {
        return await attempt(c.CASSANDRA_ADMIN_PASSWORD);
      } catch (err) {
        if (c.CASSANDRA_ADMIN_PASSWORD === DEFAULT_SUPERUSER_PASSWORD) throw err;
        return attempt(DEFAULT_SUPERUSER_PASSWORD);
      }
    },

    // Keyspace, roles and grants are cluster-wide: the first node applies them, through all nodes.
    bootstrap: node === 1 ? bootstrapCassandra : undefined,
  };
}

/**
 * The keyspace at the topology's replication in the one data centre, and the roles. In a cluster the
 * roles' own keyspace (system_auth, one copy by default) gets as many copies as the data: otherwise a
 * sign-in fails whenever the one node holding the role is down. Each role is then written again, which
 * puts it on every replica.
 *
 * A role is altered only when that is needed (its password is not the configured one, or system_auth was
 * just given its copies): Cassandra refuses a second password change of a role within
 * `cassandra.role_password_update_min_interval_in_ms` (5 s), which failed a `stack up` run right after another.
 */
async function bootstrapCassandra(cfg: StackConfig): Promise<string[]> {
  const topology = topologyOf(cfg);
  return withAdmin(cfg, async (c) => {
    const changes: string[] = [];
    let rewriteRoles = false;
    if (topology.cassandraNodes > 1) {
      const replication = keyspaceReplication(topology.keyspaceReplicationFactor, LOCAL_DATA_CENTER);
      const current = await c.execute(
        "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'",
      );
      if (!sameReplication(current.first()['replication'] as Record<string, string>, replication)) {
        await c.execute(`ALTER KEYSPACE system_auth WITH replication = ${cqlMap(replication)}`);
        await c.execute(
          `ALTER ROLE ${cqlIdentifier(cfg.CASSANDRA_ADMIN_USER)} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_ADMIN_PASSWORD)}`,
        );
        rewriteRoles = true;
        changes.push(`system_auth kept on ${topology.keyspaceReplicationFactor} nodes`);
      }
    }
    changes.push(
      ...(await migrateKeyspace(c, cfg.CASSANDRA_KEYSPACE, {
        replicationFactor: topology.keyspaceReplicationFactor,
        dataCenter: LOCAL_DATA_CENTER,
      })),
    );
    const role = cfg.CASSANDRA_USERNAME;
    const existing = await c.execute('SELECT role FROM system_auth.roles WHERE role = ?', [role], {
      prepare: true,
    });
    // Role DDL takes no bind markers; names are validated identifiers and the password is quoted.
    if (!/^[a-z][a-z0-9_]*$/.test(role))
      throw new Error(`CASSANDRA_USERNAME "${role}" must be a lower-case identifier`);
    if (existing.rowLength === 0) {
      await c.execute(
        `CREATE ROLE ${role} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_PASSWORD)} AND LOGIN = true AND SUPERUSER = false`,
      );
      changes.push(`created role ${role}`);
    } else if (rewriteRoles || !(await signsIn(cfg, role, cfg.CASSANDRA_PASSWORD))) {
      await c.execute(
        `ALTER ROLE ${role} WITH PASSWORD = ${cqlString(cfg.CASSANDRA_PASSWORD)} AND LOGIN = true`,
      );
      changes.push(`set role ${role}'s password`);
    }
    // Least privilege: the services read and write rows; only the stack's admin role changes schema.
    for (const permission of ['SELECT', 'MODIFY']) {
      await c.execute(`GRANT ${permission} ON KEYSPACE ${cfg.CASSANDRA_KEYSPACE} TO ${role}`);
    }
    return changes.length ? changes : ['schema and roles up to date'];
  });
}

/** Every Cassandra node of the stack's topology. */
export const cassandraNodes = (topology: Topology): Component[] =>
  ordinals(topology.cassandraNodes).map((n) => cassandraNode(nodeName(topology, n), n, topology));

/** The single topology's node. */
export const cassandra: Component = cassandraNode('cassandra', 1, TOPOLOGIES.single);
