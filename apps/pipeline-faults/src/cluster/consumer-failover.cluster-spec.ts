import { setTimeout as sleep } from 'node:timers/promises';
import { TOPOLOGIES, type TopicSpec } from '@sparkflow/contracts';
import { BatchConsumer, EventProducer, OK, createKafka, ensureTopics } from '@sparkflow/kafka';
import { uniqueName } from '@sparkflow/testing';
import { kill9, stackWith } from '../stack-control';
import { CLUSTER_ENV, CLUSTER_HOME, clusterSettings } from './cluster-stack';

/**
 * A consumer group's promise through the death of its coordinator, on the cluster's three real brokers:
 * the group does not wait a session timeout for members that are still there. kafkajs keeps
 * heartbeating the coordinator it found at its last join; once that broker is gone it crashes the
 * consumer and restarts it under a new member id, having sent the old id's LeaveGroup to the dead
 * broker. The broker that took the group over counts the old ids until their sessions time out, and
 * holds the rejoin meanwhile, unless `BatchConsumer` takes them out.
 */
const s = clusterSettings();
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 30_000;
const stack = (...args: string[]) => stackWith(CLUSTER_ENV, ...args);
const kafka = createKafka(
  {
    brokers: s.KAFKA_BROKERS.split(','),
    clientId: 'consumer-failover',
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
  partitions: PARTITIONS,
  retentionMs: 3_600_000,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_576,
  description: 'records of the consumer failover test',
});

/** Java's String.hashCode, by which the broker places a group on a partition of __consumer_offsets. */
function javaHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** The node id of the broker coordinating `groupId`: the leader of its partition of __consumer_offsets. */
async function coordinatorOf(groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const partitions = topics[0].partitions;
    const h = javaHash(groupId);
    const partition = (h === -2147483648 ? 0 : Math.abs(h)) % partitions.length;
    return partitions.find((p) => p.partitionId === partition)!.leader;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(() => {
  stack('up', '--topology', 'cluster', 'kafka');
});

afterAll(() => {
  stack('down');
});

describe("a consumer group whose coordinator's broker is killed", () => {
  it('takes the ids of members kafkajs restarted out of the group at once, and consumes every partition again', async () => {
    expect(TOPOLOGIES.cluster.kafkaNodes).toBe(3);
    const topic = uniqueName('consumer-failover');
    const groupId = uniqueName('consumer-failover-group');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [spec(topic)], { replicationFactor: 3, minInsyncReplicas: 2 });

    const producer = new EventProducer(kafka);
    const sender = kafka.producer();
    await sender.connect();
    let killedAt = 0;
    /** Partitions that delivered a record sent after `since`: the kill, then each crash. */
    const resumed = new Set<number>();
    let since = 0;
    const crashes: { member: string; memberId: string; at: number }[] = [];
    const members = ['a', 'b'].map((name) => {
      let memberId = '';
      const member = new BatchConsumer({
        kafka,
        groupId,
        topics: [topic],
        stage: 'enrichment',
        producer,
        fromBeginning: false,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        handler: async (messages) => {
          for (const m of messages) if (since && Number(String(m.value)) > since) resumed.add(m.partition);
          return messages.map(() => OK);
        },
      });
      const consumer = member.kafkaConsumer;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => (memberId = payload.memberId));
      consumer.on(consumer.events.CRASH, () => {
        // kafkajs may crash again while no broker serves the group yet: the first crash of an id counts.
        if (!crashes.some((c) => c.memberId === memberId))
          crashes.push({ member: name, memberId, at: Date.now() });
        since = Date.now();
        resumed.clear();
      });
      return member;
    });

    // One record per partition every 100 ms, each carrying the time it was sent.
    let sending = true;
    const senders = Array.from({ length: PARTITIONS }, async (_, partition) => {
      while (sending) {
        await sender
          .send({ topic, acks: -1, messages: [{ partition, value: String(Date.now()) }] })
          .catch(() => undefined);
        await sleep(100);
      }
    });

    /** Each old member id still in the group, with when it was last seen there. */
    const lastSeen = new Map<string, number>();
    /** When the group was first described after the kill: another broker serves it. */
    let servedAt = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const described = await admin.describeGroups([groupId]).catch(() => null);
        for (const m of described?.groups[0]?.members ?? []) lastSeen.set(m.memberId, Date.now());
        if (described && killedAt && !servedAt) servedAt = Date.now();
        await sleep(250);
      }
    })();

    try {
      for (const member of members) await member.start();
      await sleep(10_000);
      const coordinator = await coordinatorOf(groupId);
      const pid = await kill9(CLUSTER_HOME, `kafka-${coordinator}`);
      killedAt = Date.now();
      since = killedAt;
      console.log(`kill -9 kafka-${coordinator} (pid ${pid}), the coordinator of ${groupId}`);

      // kafkajs crashes a member once its heartbeats to the dead broker have failed for a while.
      const deadline = killedAt + 90_000;
      while (Date.now() < deadline && (resumed.size < PARTITIONS || crashes.length < members.length))
        await sleep(500);
      await sleep(2_000); // the watcher's last look at the group
      const report = crashes.map((c) => ({
        ...c,
        crashedAfterKillMs: c.at - killedAt,
        // Counted from when a broker serves the group again: a LeaveGroup cannot be answered before.
        stayedMs: (lastSeen.get(c.memberId) ?? 0) - Math.max(c.at, servedAt),
      }));
      console.log(
        JSON.stringify({
          servedAfterKillMs: servedAt - killedAt,
          resumed: [...resumed].sort(),
          crashes: report,
        }),
      );

      expect(crashes.length).toBeGreaterThan(0);
      // Without a LeaveGroup at the broker now serving the group, an old id stays there until its session
      // times out, 30 s after that broker took the group over. With one, it goes within a few round trips
      // (2.1 s measured); 5 s leaves room for a loaded machine.
      expect(report.filter((c) => c.stayedMs > 5_000)).toEqual([]);
      expect([...resumed].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      sending = false;
      watching = false;
      await Promise.all(senders);
      await sender.disconnect();
      await watcher;
      for (const member of members) await member.stop();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
