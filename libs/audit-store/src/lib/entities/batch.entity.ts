import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A batch of events produced together (one API pull, one push, one backfill day) and its expected size. */
@Entity({ name: 'batches' })
export class BatchEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @Column({ type: 'text' })
  source!: string;

  /** How many events the producer put into the batch; null while unknown. */
  @Column({ name: 'expected_count', type: 'int', nullable: true })
  expectedCount!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
