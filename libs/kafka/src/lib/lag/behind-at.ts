import type { Kafka } from 'kafkajs';
import { fromKafkaError } from '../errors/kafka-errors';

/**
 * Records a group has still to read on one partition among those appended before a time: from the group's
 * committed offset (-1, none, reads from `low`; one below `low` counts from `low`, the rest expired) up to
 * `before`, the partition's first offset whose broker timestamp is at or after that time (its end when none is).
 */
export function behindBefore(committed: bigint, low: bigint, before: bigint): bigint {
  const from = committed < low ? low : committed;
  return before > from ? before - from : 0n;
}

/**
 * Records of `topic` the broker appended before `timestampMs` (its timestamps: `LogAppendTime` on every
 * SparkFlow topic) that `groupId` has not committed yet, summed over the topic's partitions. 0 means the
 * group has read everything the topic held from before that instant. A broker that does not answer is a
 * SparkflowException (BROKER_UNAVAILABLE: a 503 where a service answers it).
 */
export async function groupBehindAt(
  kafka: Kafka,
  groupId: string,
  topic: string,
  timestampMs: number,
): Promise<number> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    // kafkajs answers a partition with no record at or after the time with its end (high watermark).
    const before = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
    let behind = 0n;
    for (const end of ends) {
      const at = before.find((p) => p.partition === end.partition)?.offset ?? end.high;
      const mine = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      behind += behindBefore(BigInt(mine), BigInt(end.low), BigInt(at));
    }
    return Number(behind);
  } catch (error) {
    throw fromKafkaError(error, `reading ${groupId}'s offsets on ${topic}`);
  } finally {
    await admin.disconnect();
  }
}
