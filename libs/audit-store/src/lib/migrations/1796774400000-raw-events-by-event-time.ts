import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/events/settled` reads a window of the raw rows by event time (`produced_at`): this index holds
 * just those rows, so the answer's cost follows the window's events, not the table. Built in the migration's
 * transaction (a concurrent build cannot run in one): writes wait for it once, when it is deployed.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class RawEventsByEventTime1796774400000 implements MigrationInterface {
  name = 'RawEventsByEventTime1796774400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS audit_events_raw_produced_at ON audit_events (produced_at, event_id)
       WHERE topic = 'users.raw'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_events_raw_produced_at`);
  }
}
