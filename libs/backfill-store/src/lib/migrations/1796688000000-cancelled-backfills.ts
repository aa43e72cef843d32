import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `cancelled`: a backfill stopped by `DELETE /v1/backfills/:id` (ADR 22), terminal as `produced` and
 * `failed` are. No replica takes a cancelled backfill over (they take running ones only); the replica that
 * held it when it was cancelled keeps its name in `lease_owner`, so the progress of the chunk it had in
 * flight is still recorded, and stops there.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CancelledBackfills1796688000000 implements MigrationInterface {
  name = 'CancelledBackfills1796688000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ingestion.backfills DROP CONSTRAINT backfills_status_check,
        ADD CONSTRAINT backfills_status_check CHECK (status IN ('running', 'produced', 'failed', 'cancelled'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The state before had no word for a stopped backfill: a cancelled one reads as failed, saying why.
    await q.query(`
      UPDATE ingestion.backfills SET status = 'failed', error = coalesce(error, 'cancelled')
      WHERE status = 'cancelled'`);
    await q.query(`
      ALTER TABLE ingestion.backfills DROP CONSTRAINT backfills_status_check,
        ADD CONSTRAINT backfills_status_check CHECK (status IN ('running', 'produced', 'failed'))`);
  }
}
