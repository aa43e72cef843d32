import { z } from 'zod';

/**
 * Where the written `users.enriched` record sat, its envelope's time and when the broker appended it. The
 * audit records the event's enriched stage from it instead of reading users.enriched, the largest records
 * of the pipeline.
 */
export const PersistedFrom = z.object({
  /** Kafka partitions are 32-bit, as the audit's column. */
  partition: z.number().int().min(0).max(2_147_483_647),
  /** A 64-bit offset, as text. */
  offset: z.string().regex(/^\d+$/),
  producedAt: z.iso.datetime({ offset: true }),
  /**
   * The record's Kafka timestamp as persistence read it: the broker's clock on every SparkFlow topic
   * (`TOPIC_TIMESTAMP_TYPE`), the clock of every other step of the event's lineage. Null when the record
   * had none; absent on acknowledgements produced before it was added.
   */
  appendedAt: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type PersistedFrom = z.infer<typeof PersistedFrom>;

/** Written to `users.persisted` only after the user's rows are durable in Cassandra. */
export const PersistedAck = z.object({
  userId: z.uuid(),
  /** The event id of the `users.enriched` event that was written. */
  enrichedEventId: z.uuid(),
  writtenAt: z.iso.datetime({ offset: true }),
  /** Absent on acknowledgements produced before it was added; the audit then records the persisted stage only. */
  enriched: PersistedFrom.optional(),
});
export type PersistedAck = z.infer<typeof PersistedAck>;
