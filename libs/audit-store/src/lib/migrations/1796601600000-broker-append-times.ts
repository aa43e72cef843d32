import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `appended_at`: when the broker appended the record a row was read from (its Kafka timestamp; every
 * SparkFlow topic stamps `LogAppendTime`), written with the row under the newest-arrival rule. A batch's
 * timing measures each event from its kept arrival's, so a batch produced again under the same event ids
 * and event times (a synthetic or push retry, a replayed dead letter) is timed from the arrival the audit
 * keeps, not from the first pass's event time (ADR 20). Rows recorded before stay null and are measured by
 * `produced_at` as before. The app role's table grants cover a new column.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class BrokerAppendTimes1796601600000 implements MigrationInterface {
  name = 'BrokerAppendTimes1796601600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS appended_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The timing falls back to produced_at; nothing else reads the column.
    await q.query(`ALTER TABLE audit_events DROP COLUMN IF EXISTS appended_at`);
  }
}
