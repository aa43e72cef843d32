import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { KAFKA_ADMIN_USER, KAFKA_PRINCIPALS, TOPIC_SPECS } from '@sparkflow/contracts';
import { ensureAcls, ensureTopics } from '@sparkflow/kafka';
import type { StackConfig } from '../config';
import { findJava, resolveJars } from '../java';
import { launch, run } from '../processes';
import { type Component, dataDir, logFile, pidFile } from './component';

const files = (cfg: StackConfig) => {
  const dir = dataDir(cfg, 'kafka');
  return {
    dir,
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    properties: join(dir, 'server.properties'),
    /** The admin's static PLAIN login, for the Kafka tools `up` runs. */
    adminClient: join(dir, 'admin-client.properties'),
    /** Hash of the SCRAM credentials last written to the metadata log, so `up` writes them only when they change. */
    scramStamp: join(dir, 'scram-credentials.sha256'),
    pom: join(cfg.deployDir, 'kafka', 'pom.xml'),
    template: join(cfg.deployDir, 'kafka', 'server.properties.template'),
    log4j: join(cfg.deployDir, 'kafka', 'log4j2.yaml'),
  };
};

const logProps = (cfg: StackConfig) => [
  `-Dlog4j2.configurationFile=${files(cfg).log4j}`,
  `-Dkafka.logs.dir=${files(cfg).logs}`,
];

export const brokers = (cfg: StackConfig) => `127.0.0.1:${cfg.KAFKA_PORT}`;

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
  brokers: [brokers(cfg)],
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

export const kafka: Component = {
  name: 'kafka',
  kind: 'engine',
  stopSignal: 'SIGTERM',
  ports: (cfg) => [cfg.KAFKA_PORT, cfg.KAFKA_CONTROLLER_PORT],
  mainPort: (cfg) => cfg.KAFKA_PORT,
  startTimeoutMs: (cfg) => cfg.KAFKA_START_TIMEOUT_S * 1000,

  async prepare(cfg) {
    const f = files(cfg);
    findJava(cfg);
    resolveJars(cfg, 'kafka', f.pom);
    mkdirSync(f.logs, { recursive: true });
    const properties = readFileSync(f.template, 'utf8')
      .replaceAll('@@PORT@@', String(cfg.KAFKA_PORT))
      .replaceAll('@@CONTROLLER_PORT@@', String(cfg.KAFKA_CONTROLLER_PORT))
      .replaceAll('@@LOG_DIRS@@', f.data)
      .replaceAll('@@ADMIN_USER@@', KAFKA_ADMIN_USER)
      .replaceAll('@@ADMIN_PASSWORD@@', cfg.kafkaPasswords.admin);
    writeFileSync(f.properties, properties, { mode: 0o600 });
    // KRaft storage is formatted exactly once; meta.properties marks a formatted log dir. The SCRAM
    // users go into the first metadata records, so the admin can sign in on the first start.
    if (!existsSync(join(f.data, 'meta.properties'))) {
      const clusterId = runTool(cfg, ['kafka.tools.StorageTool', 'random-uuid']).trim();
      const scram = scramUsers(cfg).flatMap(([user, password]) => [
        '--add-scram',
        `SCRAM-SHA-512=[name=${user},password=${password}]`,
      ]);
      runTool(cfg, [
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        f.properties,
        '--standalone',
        ...scram,
      ]);
      writeFileSync(f.scramStamp, `${scramHash(cfg)}\n`);
    }
  },

  start(cfg) {
    const f = files(cfg);
    const jars = resolveJars(cfg, 'kafka', f.pom);
    return launch({
      command: findJava(cfg),
      args: [
        ...cfg.KAFKA_HEAP.split(/\s+/),
        '-cp',
        `${jars}/*`,
        ...logProps(cfg),
        'kafka.Kafka',
        f.properties,
      ],
      cwd: f.dir,
      logFile: logFile(cfg, 'kafka'),
      pidFile: pidFile(cfg, 'kafka'),
    });
  },

  async probe(cfg) {
    // The static login: the broker answers before `bootstrap` has written the SCRAM credentials.
    const admin = new Kafka({
      ...adminClientConfig(cfg, 'plain'),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2000,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker`;
    } finally {
      await admin.disconnect();
    }
  },

  async bootstrap(cfg) {
    const credentials = ensureScramCredentials(cfg);
    const client = new Kafka({ ...adminClientConfig(cfg), logLevel: logLevel.ERROR });
    const topics = await ensureTopics(client.admin(), TOPIC_SPECS);
    const acls = await ensureAcls(client.admin(), KAFKA_PRINCIPALS);
    const changes = [...credentials, ...topics, ...acls];
    return changes.length ? changes : ['topics, credentials and ACLs up to date'];
  },
};
