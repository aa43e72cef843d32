import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registrations retention deleted, kept until its next pass (ADR 27): a recording transaction that
 * found a batch registered and committed a row under it after retention forgot the batch leaves that row
 * with no registration. The next pass registers such a batch again from what is kept here, and then drops
 * the entry. One row per forgotten batch, written in the transaction that forgets it: off the per-event path.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class ForgottenBatches1797033600000 implements MigrationInterface {
  name = 'ForgottenBatches1797033600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS forgotten_batches (
        batch_id text PRIMARY KEY,
        source text NOT NULL,
        expected_count int,
        forgotten_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS forgotten_batches`);
  }
}
