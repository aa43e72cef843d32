import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import {
  CONSUMER_GROUPS,
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  TOPICS,
  topicSpec,
  type KafkaPrincipal,
  type TopicName,
} from '@sparkflow/contracts';
import { uniqueName } from '@sparkflow/testing';
import { brokers } from './components/kafka';
import { loadStackConfig } from './config';
import { findJava, resolveJars } from './java';

/**
 * Kafka on the native stack refuses anyone who does not sign in, and each principal can do exactly what
 * libs/contracts' KAFKA_PRINCIPALS grants it: the checks below are generated from that declaration.
 * Nothing here writes a record to a pipeline topic: a permitted write is proven by the broker getting
 * past authorization to its size check (a record over the topic's max.message.bytes is refused as too
 * large, never stored), a permitted read by Kafka's console consumer reading by partition, without a group.
 */
const cfg = loadStackConfig();
const BROKERS = [brokers(cfg)];
const PIPELINE_TOPICS = Object.values(TOPICS) as TopicName[];
const SERVICE_GROUPS = Object.values(CONSUMER_GROUPS) as string[];

const scram = (username: string, password: string): SASLOptions => ({
  mechanism: 'scram-sha-512',
  username,
  password,
});
const loginOf = (p: KafkaPrincipal) => scram(p.user, cfg.kafkaPasswords[p.role]);

const client = (sasl?: SASLOptions) =>
  new Kafka({
    clientId: uniqueName('kafka-auth-it'),
    brokers: BROKERS,
    sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 0 },
  });

/** The error's kafkajs type (e.g. TOPIC_AUTHORIZATION_FAILED) or name, or 'ok' when the call succeeded. */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    for (let e: unknown = err, i = 0; e instanceof Error && i < 5; i++) {
      const type = (e as { type?: string }).type;
      if (type && type !== 'UNKNOWN') return type;
      if (e.name === 'KafkaJSSASLAuthenticationError') return e.name;
      e = e.cause ?? (e as { originalError?: unknown }).originalError;
    }
    return err instanceof Error ? err.name : String(err);
  }
}

/** Sends one record just over the topic's limit: refused for size when writing is allowed, for authorization when not. */
async function writeOutcome(sasl: SASLOptions, topic: string): Promise<string> {
  const producer = client(sasl).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    const tooLarge = 'x'.repeat(topicSpec(topic as TopicName).maxMessageBytes + 1024);
    return await outcome(() => producer.send({ topic, acks: -1, messages: [{ value: tooLarge }] }));
  } finally {
    await producer.disconnect();
  }
}

/**
 * Fetches a group's committed offsets on a topic the principal may see: 'ok', or 'refused' when the
 * broker will not tell it the group's coordinator. kafkajs reports that refusal
 * (GROUP_AUTHORIZATION_FAILED on FindCoordinator) as KafkaJSGroupCoordinatorNotFound, without the code;
 * the same call for a granted group on the same broker succeeding shows it is the ACL, not the broker.
 * The console consumer check below shows Kafka's own GroupAuthorizationException.
 */
async function groupOutcome(sasl: SASLOptions, groupId: string, topic: string): Promise<string> {
  const admin = client(sasl).admin();
  await admin.connect();
  try {
    // Loads the cluster's metadata, which kafkajs' coordinator look-up needs and admin.connect() leaves empty.
    await admin.fetchTopicMetadata({ topics: [topic] });
    const result = await outcome(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    return result === 'KafkaJSGroupCoordinatorNotFound' ? 'refused' : result;
  } finally {
    await admin.disconnect();
  }
}

// Kafka's own tools, from the jars the stack runs.
const java = findJava(cfg);
const jars = resolveJars(cfg, 'kafka', join(cfg.deployDir, 'kafka', 'pom.xml'));
const scratch = mkdtempSync(join(tmpdir(), 'kafka-auth-it-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function clientProperties(name: string, sasl?: { user: string; password: string }): string {
  const file = join(scratch, `${name}.properties`);
  const lines = ['request.timeout.ms=5000', 'default.api.timeout.ms=8000', 'reconnect.backoff.max.ms=1000'];
  if (sasl) {
    lines.push(
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${sasl.user}" password="${sasl.password}";`,
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function kafkaTool(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      java,
      // log4j2's default configuration: errors (a refused login or topic) on the console.
      ['-Xmx128m', '-cp', `${jars}/*`, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const listTopicsWithTool = (config: string) =>
  kafkaTool([
    'org.apache.kafka.tools.TopicCommand',
    '--bootstrap-server',
    BROKERS[0],
    '--command-config',
    config,
    '--list',
  ]);

/** Kafka's console consumer reading partition 0 by assignment (no group): only the topic's Read ACL decides. */
const consumeWithTool = (config: string, topic: string) =>
  kafkaTool([
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    BROKERS[0],
    '--consumer.config',
    config,
    '--topic',
    topic,
    '--partition',
    '0',
    '--offset',
    'earliest',
    '--max-messages',
    '1',
    '--timeout-ms',
    '4000',
  ]);

describe('Kafka refuses clients that do not sign in', () => {
  it('refuses a kafkajs client without SASL', async () => {
    const admin = client().admin();
    const result = await outcome(async () => {
      await admin.connect();
      await admin.listTopics();
    });
    await admin.disconnect();
    expect(result).not.toBe('ok');
  });

  it('refuses a wrong password and an unknown user', async () => {
    const service = KAFKA_PRINCIPALS[0];
    for (const sasl of [
      scram(service.user, `${cfg.kafkaPasswords[service.role]}-wrong`),
      scram('nobody', 'nobody-password'),
    ]) {
      const admin = client(sasl).admin();
      expect(await outcome(() => admin.connect())).toBe('KafkaJSSASLAuthenticationError');
      await admin.disconnect();
    }
  });

  it("refuses Kafka's own kafka-topics tool without credentials, and serves it with the admin's", async () => {
    const anonymous = await listTopicsWithTool(clientProperties('anonymous'));
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.output).not.toMatch(/^users\.raw$/m);

    const admin = await listTopicsWithTool(
      clientProperties('admin', { user: KAFKA_ADMIN_USER, password: cfg.kafkaPasswords.admin }),
    );
    expect(admin.output).toMatch(/^users\.raw$/m);
    expect(admin.code).toBe(0);
  }, 180_000);
});

describe.each(KAFKA_PRINCIPALS.map((p) => [p.user, p] as const))('principal %s', (_user, p) => {
  const writable = (topic: TopicName) =>
    p.produces.includes(topic) || p.ownedTopicPrefixes.some((prefix) => topic.startsWith(prefix));
  const readable = (topic: TopicName) => p.consumes.includes(topic) || p.inspects;

  it.each(PIPELINE_TOPICS)(`writes %s only if the declaration says so`, async (topic) => {
    const result = await writeOutcome(loginOf(p), topic);
    if (writable(topic)) expect(result).toBe('MESSAGE_TOO_LARGE');
    else expect(result).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  // A topic the principal may describe, to ask for a group's offsets on; the bench sees only its own topics.
  const visible = p.inspects ? TOPICS.usersRaw : (p.consumes[0] ?? p.produces[0]);

  if (visible) {
    it("reads the services' groups only if the declaration says so", async () => {
      for (const group of SERVICE_GROUPS) {
        const result = await groupOutcome(loginOf(p), group, visible);
        expect({ group, result }).toEqual({
          group,
          result: p.groups.includes(group) || p.inspects ? 'ok' : 'refused',
        });
      }
    });

    it('uses no group outside its own and its prefixes', async () => {
      expect(await groupOutcome(loginOf(p), uniqueName('not-granted-group'), visible)).toBe(
        p.inspects ? 'ok' : 'refused',
      );
      for (const prefix of p.groupPrefixes)
        expect(await groupOutcome(loginOf(p), uniqueName(prefix), visible)).toBe('ok');
    });
  }

  // The services' reads with Kafka's own consumer (one JVM per topic, so only for the four services).
  if (['ingestion', 'enrichment', 'persistence', 'audit'].includes(p.role)) {
    it('reads exactly its declared topics with the console consumer', async () => {
      const config = clientProperties(p.user, { user: p.user, password: cfg.kafkaPasswords[p.role] });
      for (const topic of PIPELINE_TOPICS) {
        const r = await consumeWithTool(config, topic);
        const refused = /TopicAuthorizationException|Not authorized to access topics/.test(r.output);
        expect({ topic, refused }).toEqual({ topic, refused: !readable(topic) });
        if (readable(topic)) expect(r.output).toMatch(/Processed a total of \d+ messages/);
      }
    }, 240_000);
  }
});

describe("Kafka's console consumer in another service's group", () => {
  it('is refused the group, naming it', async () => {
    const enrichment = KAFKA_PRINCIPALS.find((p) => p.role === 'enrichment');
    if (!enrichment) throw new Error('no enrichment principal declared');
    const config = clientProperties('enrichment-group', {
      user: enrichment.user,
      password: cfg.kafkaPasswords.enrichment,
    });
    const r = await kafkaTool([
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      BROKERS[0],
      '--consumer.config',
      config,
      '--topic',
      TOPICS.usersRaw,
      '--group',
      CONSUMER_GROUPS.persistence,
      '--max-messages',
      '1',
      '--timeout-ms',
      '4000',
    ]);
    expect(r.output).toMatch(
      new RegExp(`GroupAuthorizationException[\\s\\S]*${CONSUMER_GROUPS.persistence}`),
    );
  }, 120_000);
});

describe('a topic the bench owns', () => {
  const bench = KAFKA_PRINCIPALS.find((p) => p.role === 'bench');
  it('is created, written and deleted by the bench, and refused to a service', async () => {
    if (!bench) throw new Error('no bench principal declared');
    const topic = uniqueName(`${bench.ownedTopicPrefixes[0]}auth-it`);
    const admin = client(loginOf(bench)).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      const producer = client(loginOf(bench)).producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'bench' }] });
      await producer.disconnect();
      const enrichment = KAFKA_PRINCIPALS.find((p) => p.role === 'enrichment');
      if (!enrichment) throw new Error('no enrichment principal declared');
      const producerOfEnrichment = client(loginOf(enrichment)).producer({ retry: { retries: 0 } });
      await producerOfEnrichment.connect();
      expect(await outcome(() => producerOfEnrichment.send({ topic, messages: [{ value: 'x' }] }))).toBe(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      await producerOfEnrichment.disconnect();
    } finally {
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });
});
