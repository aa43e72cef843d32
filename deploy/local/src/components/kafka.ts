import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { KAFKA_ADMIN_USER, KAFKA_PRINCIPALS, TOPIC_SPECS } from '@sparkflow/contracts';
import { ensureAcls, ensureTopics } from '@sparkflow/kafka';
import type { StackConfig } from '../config';
import { findJava, resolveJars } from '../java';
import { launch, run } from '../processes';
import { TOPOLOGIES, type Topology } from '@sparkflow/contracts';
import { nodeHost, ordinals, topologyOf } from '../topology';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './component';

/** `kafka` in the single topology; `kafka-1`… in the cluster. */
const nodeName = (topology: Topology, node: number): ComponentName =>
  topology.kafkaNodes === 1 ? 'kafka' : `kafka-${node}`;

const files = (cfg: StackConfig, node = 1) => {
  const dir = dataDir(cfg, nodeName(topologyOf(cfg), node));
  return {
    dir,
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    properties: join(dir, 'server.properties'),
    /** The admin's static PLAIN login, for the Kafka tools `up` runs. */
    adminClient: join(dir, 'admin-client.properties'),
    /** Hash of the SCRAM credentials last written to the metadata log, so `up` writes them only when they change. */
    scramStamp: join(dir, 'scram-credentials.sha256'),
    /** The cluster id every node of a cluster is formatted with, made by the first to need it. */
    clusterId: join(cfg.home, 'kafka-cluster-id'),
    pom: join(cfg.deployDir, 'kafka', 'pom.xml'),
    template: join(cfg.deployDir, 'kafka', 'server.properties.template'),
    log4j: join(cfg.deployDir, 'kafka', 'log4j2.yaml'),
  };
};

const logProps = (cfg: StackConfig, node = 1) => [
  `-Dlog4j2.configurationFile=${files(cfg, node).log4j}`,
  `-Dkafka.logs.dir=${files(cfg, node).logs}`,
];

/** Every broker's address, comma-separated. */
export const brokers = (cfg: StackConfig) =>
  ordinals(topologyOf(cfg).kafkaNodes)
    .map((n) => `${nodeHost(n)}:${cfg.KAFKA_PORT}`)
    .join(',');

/** Every SCRAM user of the stack and its password: the admin, then each principal of KAFKA_PRINCIPALS. */
const scramUsers = (cfg: StackConfig): [string, string][] => [
  [KAFKA_ADMIN_USER, cfg.kafkaPasswords.admin],
  ...KAFKA_PRINCIPALS.map((p): [string, string] => [p.user, cfg.kafkaPasswords[p.role]]),
];

const scramHash = (cfg: StackConfig) =>
  createHash('sha256')
    .update(JSON.stringify(scramUsers(cfg)))
    .digest('hex');

/** Runs a Kafka tool whose arguments carry passwords; a failure is reported with them masked. */
function runTool(cfg: StackConfig, args: string[]): string {
  const f = files(cfg);
  const java = findJava(cfg);
  const jars = resolveJars(cfg, 'kafka', f.pom);
  try {
    return run(java, ['-cp', `${jars}/*`, ...logProps(cfg), ...args]);
  } catch (err) {
    let message = (err as Error).message;
    for (const [, password] of scramUsers(cfg)) message = message.replaceAll(password, '***');
    throw new Error(message);
  }
}

/**
 * The admin's client options: the super user, over SCRAM-SHA-512, or over its static PLAIN login when
 * the SCRAM credentials may not be written yet.
 */
export const adminClientConfig = (
  cfg: StackConfig,
  mechanism: 'scram-sha-512' | 'plain' = 'scram-sha-512',
): KafkaConfig => ({
  clientId: 'sparkflow-stack',
  brokers: brokers(cfg).split(','),
  // One branch per mechanism, so each literal narrows to one of kafkajs's SASL option types.
  sasl:
    mechanism === 'plain'
      ? { mechanism, username: KAFKA_ADMIN_USER, password: cfg.kafkaPasswords.admin }
      : { mechanism, username: KAFKA_ADMIN_USER, password: cfg.kafkaPasswords.admin },
});

/**
 * Writes every SCRAM credential into the metadata log, signed in with the admin's static PLAIN login,
 * which works before any SCRAM user exists: a data folder formatted before authentication, or a password
 * changed in the environment. Skipped when the stamp says they are already there.
 */
function ensureScramCredentials(cfg: StackConfig): string[] {
  const f = files(cfg);
  const hash = scramHash(cfg);
  if (existsSync(f.scramStamp) && readFileSync(f.scramStamp, 'utf8').trim() === hash) return [];
  writeFileSync(
    f.adminClient,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${KAFKA_ADMIN_USER}" password="${cfg.kafkaPasswords.admin}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const users = scramUsers(cfg);
  for (const [user, password] of users) {
    runTool(cfg, [
      'org.apache.kafka.tools.ConfigCommand',
      '--bootstrap-server',
      brokers(cfg),
      '--command-config',
      f.adminClient,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      user,
      '--add-config',
      `SCRAM-SHA-512=[password=${password}]`,
    ]);
  }
  writeFileSync(f.scramStamp, `${hash}\n`);
  return [`SCRAM credentials written for ${users.length} users`];
}

/**
 * The KRaft quorum: in the single topology the node bootstraps it alone (`--standalone`); in the cluster
 * the three voters are fixed in each node's properties, so the nodes can be formatted and started in any
 * order and elect a leader once two of them answer.
 */
function quorumLines(cfg: StackConfig): string {
  const nodes = topologyOf(cfg).kafkaNodes;
  if (nodes === 1) return `controller.quorum.bootstrap.servers=${nodeHost(1)}:${cfg.KAFKA_CONTROLLER_PORT}`;
  const voters = ordinals(nodes).map((n) => `${n}@${nodeHost(n)}:${cfg.KAFKA_CONTROLLER_PORT}`);
  return `controller.quorum.voters=${voters.join(',')}`;
}

function clusterId(cfg: StackConfig): string {
  const f = files(cfg);
  if (!existsSync(f.clusterId)) {
    writeFileSync(f.clusterId, `${runTool(cfg, ['kafka.tools.StorageTool', 'random-uuid']).trim()}\n`);
  }
  return readFileSync(f.clusterId, 'utf8').trim();
}

/** One Kafka node: the only one in the single topology, node 1–3 of the cluster. */
export function kafkaNode(name: ComponentName, node: number, topology: Topology): Component {
  const host = nodeHost(node);
  return {
    name,
    base: 'kafka',
    host,
    kind: 'engine',
    stopSignal: 'SIGTERM',
    ports: (c) => [c.KAFKA_PORT, c.KAFKA_CONTROLLER_PORT],
    mainPort: (c) => c.KAFKA_PORT,
    startTimeoutMs: (c) => c.KAFKA_START_TIMEOUT_S * 1000,

    async prepare(c) {
      const f = files(c, node);
      findJava(c);
      resolveJars(c, 'kafka', f.pom);
      mkdirSync(f.logs, { recursive: true });
      const properties = readFileSync(f.template, 'utf8')
        .replaceAll('@@NODE_ID@@', String(node))
        .replaceAll('@@HOST@@', host)
        .replaceAll('@@QUORUM@@', quorumLines(c))
        .replaceAll('@@REPLICATION_FACTOR@@', String(topology.topicReplicationFactor))
        .replaceAll('@@MIN_INSYNC_REPLICAS@@', String(topology.minInsyncReplicas))
        .replaceAll('@@PORT@@', String(c.KAFKA_PORT))
        .replaceAll('@@CONTROLLER_PORT@@', String(c.KAFKA_CONTROLLER_PORT))
        .replaceAll('@@LOG_DIRS@@', f.data)
        .replaceAll('@@ADMIN_USER@@', KAFKA_ADMIN_USER)
        .replaceAll('@@ADMIN_PASSWORD@@', c.kafkaPasswords.admin);
      writeFileSync(f.properties, properties, { mode: 0o600 });
      // KRaft storage is formatted exactly once; meta.properties marks a formatted log dir. The SCRAM
      // users go into the first metadata records, so the admin can sign in on the first start.
      if (!existsSync(join(f.data, 'meta.properties'))) {
        const id =
          topology.kafkaNodes === 1
            ? runTool(c, ['kafka.tools.StorageTool', 'random-uuid']).trim()
            : clusterId(c);
        const scram = scramUsers(c).flatMap(([user, password]) => [
          '--add-scram',
          `SCRAM-SHA-512=[name=${user},password=${password}]`,
        ]);
        const quorum = topology.kafkaNodes === 1 ? ['--standalone'] : [];
        runTool(c, ['kafka.tools.StorageTool', 'format', '-t', id, '-c', f.properties, ...quorum, ...scram]);
        writeFileSync(f.scramStamp, `${scramHash(c)}\n`);
      }
    },

    start(c) {
      const f = files(c, node);
      const jars = resolveJars(c, 'kafka', f.pom);
      return launch({
        command: findJava(c),
        args: [
          ...c.KAFKA_HEAP.split(/\s+/),
          '-cp',
          `${jars}/*`,
          ...logProps(c, node),
          'kafka.Kafka',
          f.properties,
        ],
        cwd: f.dir,
        logFile: logFile(c, name),
        pidFile: pidFile(c, name),
      });
    },

    async probe(c) {
      // The static login: the broker answers before `bootstrap` has written the SCRAM credentials. Only
      // this node is asked, so a node that is down is not hidden by the others answering.
      const admin = new Kafka({
        ...adminClientConfig(c, 'plain'),
        brokers: [`${host}:${c.KAFKA_PORT}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 2000,
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        const count = cluster.brokers.length;
        return `cluster ${cluster.clusterId}, ${count} broker${count === 1 ? '' : 's'}`;
      } finally {
        await admin.disconnect();
      }
    },

    // Topics, credentials and ACLs are cluster-wide: the first node applies them, through all brokers.
    bootstrap: node === 1 ? bootstrapKafka : undefined,
  };
}

async function bootstrapKafka(cfg: StackConfig): Promise<string[]> {
  const topology = topologyOf(cfg);
  const credentials = ensureScramCredentials(cfg);
  const client = new Kafka({ ...adminClientConfig(cfg), logLevel: logLevel.ERROR });
  const topics = await ensureTopics(client.admin(), TOPIC_SPECS, {
    replicationFactor: topology.topicReplicationFactor,
    minInsyncReplicas: topology.minInsyncReplicas,
  });
  const acls = await ensureAcls(client.admin(), KAFKA_PRINCIPALS);
  const changes = [...credentials, ...topics, ...acls];
  return changes.length ? changes : ['topics, credentials and ACLs up to date'];
}

/** Every Kafka node of the stack's topology. */
export const kafkaNodes = (topology: Topology): Component[] =>
  ordinals(topology.kafkaNodes).map((n) => kafkaNode(nodeName(topology, n), n, topology));

/** The single topology's node. */
export const kafka: Component = kafkaNode('kafka', 1, TOPOLOGIES.single);
