// What ingestion produced, read back with a real consumer: the integration specs of idempotent requests.
import type { Kafka } from 'kafkajs';
import { TOPICS } from '@sparkflow/contracts';
import { type PartitionOffsets, readTopicToEnd, topicEndOffsets } from '@sparkflow/testing';

export interface Seen {
  topic: string;
  partition: number;
  value: string;
  event: { eventId: string; batchId: string; producedAt: string; payload: { login?: { uuid?: string } } };
}

/** Where users.raw and users.dlq end when it resolves: what `producedSince` reads from. */
export interface TopicMark {
  readonly raw: PartitionOffsets;
  readonly dlq: PartitionOffsets;
}

export async function markTopics(kafka: Kafka): Promise<TopicMark> {
  const [raw, dlq] = await Promise.all([
    topicEndOffsets(kafka, TOPICS.usersRaw),
    topicEndOffsets(kafka, TOPICS.usersDlq),
  ]);
  return { raw, dlq };
}

/**
 * Every record users.raw and users.dlq received after `mark`, up to where they end when this is called,
 * each record once; a value that is not JSON is not an event of these tests and is passed over.
 */
export async function producedSince(kafka: Kafka, mark: TopicMark): Promise<Seen[]> {
  const readFrom = async (topic: string, from: PartitionOffsets) =>
    (await readTopicToEnd(kafka, topic, { from, groupPrefix: 'it-ingestion-read' })).map((r) => ({
      topic,
      ...r,
    }));
  const read = await Promise.all([readFrom(TOPICS.usersRaw, mark.raw), readFrom(TOPICS.usersDlq, mark.dlq)]);
  return read.flat().flatMap(({ topic, partition, value: bytes }) => {
    const value = bytes?.toString('utf8') ?? '';
    try {
      return [{ topic, partition, value, event: JSON.parse(value) as Seen['event'] }];
    } catch {
      return [];
    }
  });
}

/** The records of one batch on one topic. */
export const ofBatch = (seen: readonly Seen[], batchId: string, topic: string): Seen[] =>
  seen.filter((r) => r.topic === topic && r.event.batchId === batchId);

/** The records of one event id, every one of them byte for byte. */
export const byEventId = (records: Seen[]) => {
  const groups = new Map<string, Set<string>>();
  for (const r of records)
    groups.set(r.event.eventId, (groups.get(r.event.eventId) ?? new Set()).add(r.value));
  return groups;
};
