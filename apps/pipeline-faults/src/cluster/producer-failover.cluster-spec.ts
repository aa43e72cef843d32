import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOPOLOGIES, type TopicSpec } from '@sparkflow/contracts';
import {
  EventProducer,
  type KafkaProducerClient,
  createKafka,
  ensureTopics,
  failureCode,
} from '@sparkflow/kafka';
import { readTopicToEnd, uniqueName } from '@sparkflow/testing';
import { kill9, stackWith, stackWithAsync } from '../stack-control';
import { CLUSTER_ENV, CLUSTER_HOME, clusterSettings } from './cluster-stack';
import { elapsedLog } from './elapsed-log';

/**
 * The producer's promise through a broker failover, on the cluster's three real brokers: every record
 * `EventProducer` acknowledged is in the topic afterwards. Several sends of 500 records run at once, as in
 * an ingestion replica serving requests beside a backfill, while the broker leading a third of the
 * partitions is killed with SIGKILL and later restarted. A send may fail (the caller retries it); none
 * may resolve without its records being written. Once with each client a producer can write with
 * (`KAFKA_PRODUCER_CLIENT`).
 */
const s = clusterSettings();
const SENDERS = 4;
const CHUNK = 500;
const stack = (...args: string[]) => stackWith(CLUSTER_ENV, ...args);
/** A `stack` command the senders go on beside (`stack` would hold up the event loop, and with it the load). */
const stackAsync = (...args: string[]) => stackWithAsync(CLUSTER_ENV, ...args);
const note = elapsedLog();
/** kafka-2's node id. */
const KAFKA_2 = 2;
const kafka = createKafka(
  {
    brokers: s.KAFKA_BROKERS.split(','),
    clientId: 'producer-failover',
    credentials: {
      mechanism: s.KAFKA_SASL_MECHANISM,
      username: s.KAFKA_USERNAME,
      password: s.KAFKA_ADMIN_PASSWORD,
    },
  },
  () => undefined,
);

const spec = (name: string): TopicSpec => ({
  // A topic of the test's own, so no service meets its records.
  name: name as TopicSpec['name'],
  partitions: 6,
  retentionMs: 3_600_000,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_576,
  description: 'records of the producer failover test',
});

/**
 * Every record id in the topic, read from the start to each partition's end, and how many records hold
 * them (each position once: more records than ids are records written twice).
 */
async function idsIn(topic: string): Promise<{ ids: Set<string>; records: number }> {
  const records = await readTopicToEnd(kafka, topic, {
    groupPrefix: 'producer-failover-read',
    timeoutMs: 10 * 60_000,
  });
  return { ids: new Set(records.map((r) => String(r.value))), records: records.length };
}

/** Each partition's leader and in-sync replicas, as the brokers answer now. */
async function partitionsOf(topic: string): Promise<{ leader: number; isr: number[] }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.map((p) => ({ leader: p.leader, isr: p.isr }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `done` holds, asking every 250 ms; a probe that fails (a broker gone mid-request) is asked
 * again. Fails after two minutes, naming what it waited for.
 */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (
      await Promise.resolve()
        .then(done)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`${what}: not within two minutes`);
    await sleep(250);
  }
}

beforeAll(() => {
  note('stack up --topology cluster kafka');
  stack('up', '--topology', 'cluster', 'kafka');
  note('three brokers up');
});

afterAll(() => {
  note('stack down');
  stack('down');
  note('cluster stopped');
});

describe.each<KafkaProducerClient>(['kafkajs', 'platformatic'])(
  'a producer writing with %s while a broker leading a third of the partitions is killed',
  (client) => {
    it('has every record it acknowledged in the topic', async () => {
      expect(TOPOLOGIES.cluster.kafkaNodes).toBe(3);
      const topic = uniqueName(`producer-failover-${client}`);
      const admin = kafka.admin();
      await ensureTopics(admin, [spec(topic)], { replicationFactor: 3, minInsyncReplicas: 2 });

      let resends = 0;
      const producer = new EventProducer(kafka, { client, warn: () => void resends++ });
      const acknowledged: string[] = [];
      const failures: string[] = [];
      let sends = 0;
      let sendsAfterKill = 0;
      let killed = false;
      let stop = false;
      const sender = async () => {
        while (!stop) {
          const ids = Array.from({ length: CHUNK }, () => randomUUID());
          try {
            await producer.sendRecords(
              topic,
              ids.map((id) => ({ key: id, value: id })),
            );
            acknowledged.push(...ids);
            sends++;
            if (killed) sendsAfterKill++;
          } catch (err) {
            failures.push(`${failureCode(err)}: ${(err as Error).message}`);
          }
        }
      };
      // The senders, run until `stop`: started again after a pause.
      let senders: Promise<void>[] = [];
      const startLoad = () => {
        stop = false;
        senders = Array.from({ length: SENDERS }, sender);
      };
      const stopLoad = async () => {
        stop = true;
        await Promise.all(senders);
      };
      // Until as many more sends as there are senders were acknowledged: the load goes on through each step.
      const moreSends = () => {
        const from = sends;
        return until(`${SENDERS} more sends acknowledged`, () => sends >= from + SENDERS);
      };

      startLoad();
      try {
        await moreSends();
        const pid = await kill9(CLUSTER_HOME, 'kafka-2');
        killed = true;
        note(`${client}: kill -9 kafka-2 (pid ${pid}) with ${acknowledged.length} records acknowledged`);
        // Past the broker session timeout the controller moves kafka-2's partitions to the others; the
        // senders go on to the new leaders.
        await until('no partition led by kafka-2', async () =>
          (await partitionsOf(topic)).every((p) => p.leader >= 0 && p.leader !== KAFKA_2),
        );
        note(`${client}: kafka-2's partitions led by the others`);
        await moreSends();
        // The load pauses while kafka-2 starts (under the four senders a broker's start took 45 to 75 s
        // on two cores, without them 10 to 25 s), and goes on while it catches up: until it is back in
        // every partition's ISR, and more sends were acknowledged with it there.
        await stopLoad();
        await stackAsync('up', 'kafka-2');
        note('kafka-2 back');
        startLoad();
        await until('kafka-2 in every ISR', async () =>
          (await partitionsOf(topic)).every((p) => p.isr.includes(KAFKA_2)),
        );
        note(`${client}: kafka-2 in every partition's ISR`);
        await moreSends();
      } finally {
        await stopLoad();
        await producer.disconnect();
      }
      note(`${client}: load stopped, reading ${topic} to its end`);

      const present = await idsIn(topic);
      const missing = acknowledged.filter((id) => !present.ids.has(id));
      note(
        `${client}: ${acknowledged.length} acknowledged (${sendsAfterKill} sends after the kill), ` +
          `${failures.length} sends failed, ${resends} sends repeated for partitions left unanswered, ` +
          `${present.records - present.ids.size} records written twice, ` +
          `${missing.length} acknowledged but not in the topic` +
          (failures.length ? `; failures: ${[...new Set(failures)].slice(0, 5).join(' | ')}` : ''),
      );
      expect(sendsAfterKill).toBeGreaterThan(0);
      expect(missing).toEqual([]);
      // A send the failover failed is one to retry, never one the broker refused for its records.
      expect(failures.filter((f) => !f.startsWith('BROKER_UNAVAILABLE:'))).toEqual([]);
    });
  },
);
