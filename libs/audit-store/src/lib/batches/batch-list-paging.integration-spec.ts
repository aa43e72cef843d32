import fc from 'fast-check';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository } from '../record-events/audit-events.repository';
import { ListBatchesUseCase } from './list-batches.use-case';

const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

/**
 * Invariant: paging through `GET /v1/batches` with `cursor=<next>` answers every batch of the window
 * exactly once, in the order of one unlimited answer (newest first), for any page size, in the full and
 * the incomplete listing alike, however many batches share a `created_at` instant (to the microsecond).
 */
describe('paging through the batch list, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let list: ListBatchesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_batch_paging', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    list = new ListBatchesUseCase(new AuditEventsRepository(ds));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const since = '2026-12-01T10:00:00.000Z';
  /** Instants a few microseconds apart, within and across one millisecond, and one before the window. */
  const MICROS = ['00.000000', '00.000001', '00.000999', '00.001000', '00.001001', '07.500000'];
  const batchId = fc
    .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
    .filter((id) => !id.includes('\u0000'));

  it('answers every batch of the window once, in order, page after page', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ batchId, at: fc.constantFrom(...MICROS, 'before') }), {
          minLength: 0,
          maxLength: 30,
          selector: (b) => b.batchId,
        }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (batches, limit, incomplete) => {
          await ds.query('TRUNCATE batches');
          for (const b of batches)
            await ds.query(
              `INSERT INTO batches (batch_id, source, created_at) VALUES ($1, 'http-push', $2)`,
              [b.batchId, b.at === 'before' ? '2026-12-01T09:59:59.999999Z' : `2026-12-01T10:00:${b.at}Z`],
            );
          const query = { since, limit: String(limit), ...(incomplete ? { incomplete: 'true' } : {}) };
          const whole = (await list.execute({ ...query, limit: '1000' })).batches.map((b) => b.batchId);
          const paged: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page <= batches.length; page++) {
            const answer = await list.execute(cursor === undefined ? query : { ...query, cursor });
            expect(answer.batches.length).toBeLessThanOrEqual(limit);
            paged.push(...answer.batches.map((b) => b.batchId));
            expect(answer.truncated).toBe(answer.next !== null);
            if (answer.next === null) break;
            cursor = answer.next;
          }
          expect(paged).toEqual(whole);
          expect([...paged].sort()).toEqual(
            batches
              .filter((b) => b.at !== 'before')
              .map((b) => b.batchId)
              .sort(),
          );
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });
});
