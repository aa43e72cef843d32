import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person ingestion refused never reached users.raw, yet the audit records it there as ingested so its
 * batch adds up: that row has no partition or offset. It had the dead letter's, which pointed
 * `sparkflow events get` at an unrelated users.raw record. Rows written before keep what they have.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CoordinatesOfRefusedPeople1796342400000 implements MigrationInterface {
  name = 'CoordinatesOfRefusedPeople1796342400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_events ALTER COLUMN partition DROP NOT NULL, ALTER COLUMN "offset" DROP NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to what was stored before: the dead letter's place. No row goes, so every batch still adds up.
    await q.query(`
      UPDATE audit_events e SET partition = d.partition, "offset" = d."offset"
      FROM audit_events d
      WHERE e.partition IS NULL AND d.event_id = e.event_id AND d.topic = 'users.dlq'`);
    await q.query(
      `ALTER TABLE audit_events ALTER COLUMN partition SET NOT NULL, ALTER COLUMN "offset" SET NOT NULL`,
    );
  }
}
