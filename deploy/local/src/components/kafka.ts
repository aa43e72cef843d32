import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TOPIC_SPECS } from '@sparkflow/contracts';
import { ensureTopics } from '@sparkflow/kafka';
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

export const kafka: Component = {
  name: 'kafka',
  kind: 'engine',
  stopSignal: 'SIGTERM',
  ports: (cfg) => [cfg.KAFKA_PORT, cfg.KAFKA_CONTROLLER_PORT],
  mainPort: (cfg) => cfg.KAFKA_PORT,
  startTimeoutMs: (cfg) => cfg.KAFKA_START_TIMEOUT_S * 1000,

  async prepare(cfg) {
    const f = files(cfg);
    const java = findJava(cfg);
    const jars = resolveJars(cfg, 'kafka', f.pom);
    mkdirSync(f.logs, { recursive: true });
    const properties = readFileSync(f.template, 'utf8')
      .replaceAll('@@PORT@@', String(cfg.KAFKA_PORT))
      .replaceAll('@@CONTROLLER_PORT@@', String(cfg.KAFKA_CONTROLLER_PORT))
      .replaceAll('@@LOG_DIRS@@', f.data);
    writeFileSync(f.properties, properties);
    // KRaft storage is formatted exactly once; meta.properties marks a formatted log dir.
    if (!existsSync(join(f.data, 'meta.properties'))) {
      const cp = ['-cp', `${jars}/*`, ...logProps(cfg)];
      const clusterId = run(java, [...cp, 'kafka.tools.StorageTool', 'random-uuid']).trim();
      run(java, [...cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', f.properties, '--standalone']);
    }
  },

  start(cfg) {
    const f = files(cfg);
    const jars = resolveJars(cfg, 'kafka', f.pom);
    return launch({
      command: findJava(cfg),
      args: [...cfg.KAFKA_HEAP.split(/\s+/), '-cp', `${jars}/*`, ...logProps(cfg), 'kafka.Kafka', f.properties],
      cwd: f.dir,
      logFile: logFile(cfg, 'kafka'),
      pidFile: pidFile(cfg, 'kafka'),
    });
  },

  async probe(cfg) {
    const admin = new Kafka({
      clientId: 'sparkflow-stack',
      brokers: [brokers(cfg)],
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
    const client = new Kafka({ clientId: 'sparkflow-stack', brokers: [brokers(cfg)], logLevel: logLevel.ERROR });
    const changes = await ensureTopics(client.admin(), TOPIC_SPECS);
    return changes.length ? changes : ['topics up to date'];
  },
};
