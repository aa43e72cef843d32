import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, ConfigResourceTypes, KafkaJSError } from 'kafkajs';
import { TOPIC_TIMESTAMP_TYPE, type TopicSpec } from '@sparkflow/contracts';

/** How many brokers hold each partition, and how many must have a write before it is acknowledged. */
export interface TopicReplication {
  replicationFactor: number;
  minInsyncReplicas: number;
}

const SINGLE_COPY: TopicReplication = { replicationFactor: 1, minInsyncReplicas: 1 };

const configEntries = (spec: TopicSpec, replication: TopicReplication) => [
  { name: 'retention.ms', value: String(spec.retentionMs) },
  // With producers at acks=all, a write is acknowledged once this many replicas have it.
  { name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) },
  { name: 'cleanup.policy', value: spec.cleanupPolicy },
  // What producers build their records to fit (dead letters cut their payload to it), stated on the topic.
  { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
  // Every record carries the time the broker took it (TOPIC_TIMESTAMP_TYPE, libs/contracts).
  { name: 'message.timestamp.type', value: TOPIC_TIMESTAMP_TYPE },
];

/** How long new topics may take to have a leader for every partition. */
const LEADERS_TIMEOUT_MS = 60_000;

/**
 * Resolves once the brokers' metadata has every topic with a leader for each partition. A broker learns
 * of a new topic from the controller a moment after it is created, and answers UNKNOWN_TOPIC_OR_PARTITION
 * or LEADER_NOT_AVAILABLE until then; those and other retriable answers are asked again until the timeout.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = LEADERS_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const waiting = topics.filter((name) => {
        const partitions = found.find((t) => t.name === name)?.partitions ?? [];
        return !partitions.length || partitions.some((p) => p.leader < 0);
      });
      if (!waiting.length) return;
      last = `no leader yet for every partition of ${waiting.join(', ')}`;
    } catch (e) {
      if (!(e instanceof KafkaJSError) || !e.retriable) throw e;
      last = e.message;
    }
    await sleep(250);
  }
  throw new KafkaJSError(`new topics ${topics.join(', ')} not ready after ${timeoutMs / 1000} s: ${last}`, {
    retriable: true,
  });
}

/**
 * Makes the broker's topics match their declared specs and says what it changed. Idempotent:
 * missing topics are created, partitions are only ever added (Kafka cannot remove them),
 * retention, cleanup policy, min.insync.replicas and max.message.bytes are altered in place. The
 * replication factor is set at creation (raising it later is a partition reassignment).
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  replication: TopicReplication = SINGLE_COPY,
): Promise<string[]> {
  const changes: string[] = [];
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length) {
      await admin.createTopics({
        // kafkajs waits by asking one broker, and fails when that broker has not yet heard of the topic
        // (UNKNOWN_TOPIC_OR_PARTITION, seen on a fresh three-broker cluster); waitForLeaders asks again.
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: replication.replicationFactor,
          configEntries: configEntries(s, replication),
        })),
      });
      await waitForLeaders(
        admin,
        missing.map((s) => s.name),
      );
      for (const s of missing) {
        const copies =
          replication.replicationFactor === 1 ? '' : `, ${replication.replicationFactor} replicas`;
        changes.push(`created topic ${s.name} (${s.partitions} partitions${copies})`);
      }
    }

    const present = specs.filter((s) => existing.has(s.name));
    if (!present.length) return changes;

    const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
    for (const spec of present) {
      const current = metadata.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
      if (current < spec.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
        changes.push(`topic ${spec.name}: partitions ${current} -> ${spec.partitions}`);
      }
    }

    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.name,
        configNames: configEntries(s, replication).map((e) => e.name),
      })),
    });
    for (const spec of present) {
      const entries = described.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
      const drifted = configEntries(spec, replication).filter(
        (want) => entries.find((e) => e.configName === want.name)?.configValue !== want.value,
      );
      if (drifted.length) {
        // alterConfigs replaces the topic's whole override set, so send every declared entry.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: spec.name,
              configEntries: configEntries(spec, replication),
            },
          ],
        });
        changes.push(`topic ${spec.name}: ${drifted.map((d) => `${d.name}=${d.value}`).join(', ')}`);
      }
    }
    return changes;
  } finally {
    await admin.disconnect();
  }
}
