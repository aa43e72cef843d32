import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backfills and their progress, where every ingestion replica reads and resumes them. A backfill is
 * worked by the replica holding its lease (`lease_owner` until `lease_until`); a lease that runs out —
 * its replica died or hangs — lets another replica take the backfill over where the progress says.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CreateBackfillTables1796083200000 implements MigrationInterface {
  name = 'CreateBackfillTables1796083200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ingestion`);
    await q.query(`
      CREATE TABLE ingestion.backfills (
        id uuid PRIMARY KEY,
        request jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'produced', 'failed')),
        error text,
        lease_owner text,
        lease_until timestamptz,
        -- How many times a replica took the backfill up (its start, then each takeover after a crash or error).
        attempts int NOT NULL DEFAULT 1 CHECK (attempts >= 1),
        requested_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The replicas' look for a backfill whose lease ran out touches running backfills only.
    await q.query(
      `CREATE INDEX backfills_running_idx ON ingestion.backfills (lease_until) WHERE status = 'running'`,
    );
    await q.query(`
      CREATE TABLE ingestion.backfill_batches (
        backfill_id uuid NOT NULL REFERENCES ingestion.backfills (id) ON DELETE CASCADE,
        position int NOT NULL CHECK (position >= 0),
        day date NOT NULL,
        batch_id text NOT NULL,
        expected int NOT NULL CHECK (expected >= 0),
        produced int NOT NULL DEFAULT 0 CHECK (produced >= 0 AND produced <= expected),
        PRIMARY KEY (backfill_id, position)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ingestion.backfill_batches`);
    await q.query(`DROP TABLE ingestion.backfills`);
    await q.query(`DROP SCHEMA IF EXISTS ingestion`);
  }
}
