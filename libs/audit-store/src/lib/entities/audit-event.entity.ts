import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeadLetterReason } from '@sparkflow/contracts';

export const AUDIT_OUTCOMES = ['ingested', 'enriched', 'dead-lettered', 'persisted'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * One row per event per topic it was seen on: the fate of every event, step by step. The row holds the
 * event's newest arrival on the topic (ADR 17): a redelivered message is counted once and changes nothing.
 */
@Entity({ name: 'audit_events' })
@Index('audit_events_batch_idx', ['batchId', 'outcome'])
@Index('audit_events_user_idx', ['userId'])
export class AuditEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @Column({ type: 'text' })
  outcome!: AuditOutcome;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'batch_id', type: 'text', nullable: true })
  batchId!: string | null;

  @Column({ type: 'text', nullable: true })
  source!: string | null;

  /** Where the record is on `topic`; null for a person ingestion refused, which never reached users.raw. */
  @Column({ type: 'int', nullable: true })
  partition!: number | null;

  @Column({ type: 'bigint', nullable: true })
  offset!: string | null;

  @Column({ name: 'produced_at', type: 'timestamptz', nullable: true })
  producedAt!: Date | null;

  /**
   * When the broker appended the record this row was read from (its Kafka timestamp, `LogAppendTime`): when
   * this arrival entered `topic`. Null for a row derived from another topic's record (an enriched row from
   * its ack or dead letter, the received row of a person ingestion refused) and for rows recorded before it.
   */
  @Column({ name: 'appended_at', type: 'timestamptz', nullable: true })
  appendedAt!: Date | null;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;

  /** Dead-letter reasons (code, message, path) when the outcome is `dead-lettered`. */
  @Column({ type: 'jsonb', nullable: true })
  reasons!: DeadLetterReason[] | null;
}
