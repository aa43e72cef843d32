import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention reads the batches registered before a cutoff, oldest first, a page at a time (ADR 27). Without
 * an index on `created_at` every page sorted the whole `batches` table, one row per batch (and every push
 * is a batch), so a pass cost pages × batches. One index entry per batch, written once at registration:
 * off the per-event path. Built in the migration's transaction, as every audit index is.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class BatchesByRegistration1796947200000 implements MigrationInterface {
  name = 'BatchesByRegistration1796947200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS batches_created_at ON batches (created_at, batch_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS batches_created_at`);
  }
}
