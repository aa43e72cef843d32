import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/events/late-days` reads the terminal rows by broker append time (`appended_at`). Rows are
 * written in arrival order, so `appended_at` follows the table's blocks and a BRIN index (a min and max
 * per 128 blocks) finds an interval's blocks at a fraction of a B-tree's size and write cost: the audit's
 * write path is the one the performance issue watches. `autosummarize` summarizes each range once it fills,
 * without waiting for a vacuum; until then its blocks are read for every interval, and rechecked.
 * Built in the migration's transaction, as every audit index is (one pass over the table).
 * Never edit once merged: add a new timestamped migration instead.
 */
export class TerminalRowsByAppendTime1796860800000 implements MigrationInterface {
  name = 'TerminalRowsByAppendTime1796860800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS audit_events_appended_at_brin ON audit_events USING brin (appended_at)
       WITH (autosummarize = on)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_events_appended_at_brin`);
  }
}
