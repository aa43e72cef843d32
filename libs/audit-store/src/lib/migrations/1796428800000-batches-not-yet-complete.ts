import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/batches?incomplete=true` reads only the batches not recorded complete (`completed_at IS NULL`),
 * newest first: this index holds just those, so the listing's cost follows the batches still in flight, not
 * the window (ADR 18). The column exists since the first migration; the app role already may UPDATE it.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class BatchesNotYetComplete1796428800000 implements MigrationInterface {
  name = 'BatchesNotYetComplete1796428800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS batches_not_complete_created_at ON batches (created_at DESC, batch_id)
       WHERE completed_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS batches_not_complete_created_at`);
  }
}
