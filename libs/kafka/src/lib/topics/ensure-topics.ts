import { type Admin, ConfigResourceTypes } from 'kafkajs';
import type { TopicSpec } from '@sparkflow/contracts';

const configEntries = (spec: TopicSpec) => [
  { name: 'retention.ms', value: String(spec.retentionMs) },
  { name: 'cleanup.policy', value: spec.cleanupPolicy },
  // What producers build their records to fit (dead letters cut their payload to it), stated on the topic.
  { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
];

/**
 * Makes the broker's topics match their declared specs and says what it changed. Idempotent:
 * missing topics are created, partitions are only ever added (Kafka cannot remove them),
 * retention, cleanup policy and max.message.bytes are altered in place.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const changes: string[] = [];
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: 1,
          configEntries: configEntries(s),
        })),
      });
      for (const s of missing) changes.push(`created topic ${s.name} (${s.partitions} partitions)`);
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
        configNames: configEntries(s).map((e) => e.name),
      })),
    });
    for (const spec of present) {
      const entries = described.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
      const drifted = configEntries(spec).filter(
        (want) => entries.find((e) => e.configName === want.name)?.configValue !== want.value,
      );
      if (drifted.length) {
        // alterConfigs replaces the topic's whole override set, so send every declared entry.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            { type: ConfigResourceTypes.TOPIC, name: spec.name, configEntries: configEntries(spec) },
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
