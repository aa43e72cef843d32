import { randomUUID } from 'node:crypto';
import { batchIdProblem, storableId } from '@sparkflow/contracts';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { ListBatchesUseCase } from '../batches/list-batches.use-case';
import { AuditEventsRepository } from '../record-events/audit-events.repository';
import { BatchIdsAsStored1796515200000 } from './1796515200000-batch-ids-as-stored';

/**
 * Batches an older audit stored under ids longer than 200 characters are renamed to the id their dead
 * letters name: afterwards every stored batch id passes `batchIdProblem`, each batch's rows are one
 * batch, and the listing pages through the whole window.
 */
describe('BatchIdsAsStored1796515200000, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_batch_ids', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const longAlone = 'review-ops-long-' + 'y'.repeat(300);
  const longSplit = 'rv9-long-' + 'z'.repeat(300);
  const huge = 'x'.repeat(50_009);

  it('renames every over-long batch id to the one its dead letters name, once, keeping counts and sizes', async () => {
    const at = '2026-12-02T13:00:00.000000Z';
    // As an older audit left them: a raw row and its batch under the long id; for `longSplit`, the dead
    // letter's row already under the clamped id, with a batch of no declared size registered there too.
    for (const [id, expected] of [
      [longAlone, 3],
      [longSplit, 1],
      [huge, null],
    ] as const)
      await ds.query(
        `INSERT INTO batches (batch_id, source, expected_count, created_at) VALUES ($1, 'http-push', $2, $3)`,
        [id, expected, at],
      );
    await ds.query(`INSERT INTO batches (batch_id, source, created_at) VALUES ($1, 'http-push', $2)`, [
      storableId(longSplit),
      at,
    ]);
    const raw = (id: string) =>
      ds.query(
        `INSERT INTO audit_events (event_id, topic, outcome, batch_id, partition, "offset") VALUES ($1, 'users.raw', 'ingested', $2, 0, 1)`,
        [randomUUID(), id],
      );
    const splitEvent = randomUUID();
    await raw(longAlone);
    await raw(huge);
    await ds.query(
      `INSERT INTO audit_events (event_id, topic, outcome, batch_id, partition, "offset") VALUES
         ($1, 'users.raw', 'ingested', $2, 0, 2), ($1, 'users.dlq', 'dead-lettered', $3, 0, 3)`,
      [splitEvent, longSplit, storableId(longSplit)],
    );

    const migration = new BatchIdsAsStored1796515200000();
    const runner = ds.createQueryRunner();
    try {
      await migration.up(runner);
      const once = await snapshot();
      await migration.up(runner);
      expect(await snapshot()).toEqual(once);
    } finally {
      await runner.release();
    }

    const { batches, events } = await snapshot();
    expect(
      [...batches.map((b) => b.batch_id), ...events.map((e) => e.batch_id)].filter((id) =>
        batchIdProblem(id),
      ),
    ).toEqual([]);
    expect(batches).toEqual(
      expect.arrayContaining([
        { batch_id: storableId(longAlone), expected_count: 3 },
        { batch_id: storableId(longSplit), expected_count: 1 },
        { batch_id: storableId(huge), expected_count: null },
      ]),
    );
    expect(batches).toHaveLength(3);
    // The event that was split across two batches is in one.
    expect(events.filter((e) => e.event_id === splitEvent).map((e) => e.batch_id)).toEqual([
      storableId(longSplit),
      storableId(longSplit),
    ]);

    // The listing pages through every batch of the window, one at a time.
    const list = new ListBatchesUseCase(new AuditEventsRepository(ds));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const query = { since: '2026-12-02T12:00:00.000Z', limit: '1', ...(cursor ? { cursor } : {}) };
      const answer = await list.execute(query);
      seen.push(...answer.batches.map((b) => b.batchId));
      if (!answer.next) break;
      cursor = answer.next;
    }
    expect(seen.sort()).toEqual(batches.map((b) => b.batch_id).sort());
  });

  async function snapshot() {
    const batches: { batch_id: string; expected_count: number | null }[] = await ds.query(
      `SELECT batch_id, expected_count FROM batches ORDER BY batch_id`,
    );
    const events: { event_id: string; topic: string; batch_id: string }[] = await ds.query(
      `SELECT event_id, topic, batch_id FROM audit_events ORDER BY event_id, topic`,
    );
    return { batches, events };
  }
});
