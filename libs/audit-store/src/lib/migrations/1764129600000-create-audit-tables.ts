import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Never edit once merged: add a new timestamped migration instead. */
export class CreateAuditTables1764129600000 implements MigrationInterface {
  name = 'CreateAuditTables1764129600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        event_id uuid NOT NULL,
        topic text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('ingested', 'enriched', 'dead-lettered', 'persisted')),
        user_id uuid,
        batch_id text,
        source text,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        produced_at timestamptz,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        reasons jsonb,
        PRIMARY KEY (event_id, topic)
      )`);
    await q.query(`CREATE INDEX audit_events_batch_idx ON audit_events (batch_id, outcome)`);
    await q.query(`CREATE INDEX audit_events_user_idx ON audit_events (user_id)`);
    await q.query(`
      CREATE TABLE batches (
        batch_id text PRIMARY KEY,
        source text NOT NULL,
        expected_count int CHECK (expected_count >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE batches`);
    await q.query(`DROP TABLE audit_events`);
  }
}
