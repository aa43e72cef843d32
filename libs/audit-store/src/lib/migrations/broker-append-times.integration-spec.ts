import { randomUUID } from 'node:crypto';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import { AUDIT_MIGRATIONS } from '../audit-data-source';
import { BrokerAppendTimes1796601600000 } from './1796601600000-broker-append-times';

/**
 * `appended_at` is added empty, so every row recorded before is timed by its `produced_at`; taken away
 * again, it leaves every other cell as it was, and added back it is empty again.
 */
describe('BrokerAppendTimes1796601600000, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    // Migrated up to the one before it, as a database holding rows recorded before it is.
    const before = AUDIT_MIGRATIONS.slice(0, AUDIT_MIGRATIONS.indexOf(BrokerAppendTimes1796601600000));
    db = await scratchPostgresDatabase('audit_append_times', before);
  });
  afterAll(() => db?.drop());

  /** Every other column of every row, as PostgreSQL holds it. */
  const rows = () =>
    db.ds.query(
      `SELECT event_id, topic, outcome, user_id, batch_id, source, partition, "offset"::text AS "offset",
         produced_at::text AS produced_at, recorded_at::text AS recorded_at, reasons::text AS reasons
       FROM audit_events ORDER BY event_id, topic`,
    );
  const hasColumn = async (): Promise<boolean> =>
    (
      await db.ds.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'audit_events' AND column_name = 'appended_at'`,
      )
    ).length === 1;
  const appendedAt = async (): Promise<(Date | null)[]> =>
    (await db.ds.query(`SELECT appended_at FROM audit_events ORDER BY event_id, topic`)).map(
      (r: { appended_at: Date | null }) => r.appended_at,
    );

  it('adds the column empty, drops it keeping the rows, and adds it empty again', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await db.ds.query(
      `INSERT INTO audit_events (event_id, topic, outcome, batch_id, source, partition, "offset", produced_at)
       VALUES ($1, 'users.raw', 'ingested', 'b', 'synthetic', 0, 1, '2026-12-02T10:00:00Z'),
              ($2, 'users.persisted', 'persisted', 'b', 'synthetic', 3, 9, '2026-12-02T10:00:01Z')`,
      [a, b],
    );
    const before = await rows();
    expect(await hasColumn()).toBe(false);
    const migration = new BrokerAppendTimes1796601600000();
    const q = db.ds.createQueryRunner();
    try {
      await migration.up(q);
      expect(await appendedAt()).toEqual([null, null]);
      await q.query(`UPDATE audit_events SET appended_at = '2026-12-02T10:00:00.004Z'`);
      await migration.down(q);
      expect(await hasColumn()).toBe(false);
      expect(await rows()).toEqual(before);
      await migration.up(q);
      expect(await appendedAt()).toEqual([null, null]);
      expect(await rows()).toEqual(before);
    } finally {
      await q.release();
    }
  });
});
