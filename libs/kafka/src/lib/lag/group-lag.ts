import type { Kafka } from 'kafkajs';
import { lagMessages } from './lag';

/** Records a consumer group has not committed yet, summed over the partitions of its topics. */
export async function groupLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0n;
    for (const topic of topics) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const end of await admin.fetchTopicOffsets(topic)) {
        const committed = offsets.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        lag += lagMessages(BigInt(committed), BigInt(end.low), BigInt(end.high));
      }
    }
    return Number(lag);
  } finally {
    await admin.disconnect();
  }
}
