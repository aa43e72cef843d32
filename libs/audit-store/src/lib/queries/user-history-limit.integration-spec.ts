import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository, type AuditRow } from '../record-events/audit-events.repository';
import { AuditQueriesUseCase } from './audit-queries.use-case';

const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

/**
 * Invariant: a person's history answers at most `limit` rows, the newest the audit recorded, oldest
 * first, and says `truncated` exactly when it left older ones out.
 */
describe("a person's history, bounded by limit, on a PostgreSQL database of its own", () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  let queries: AuditQueriesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_user_history', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
    queries = new AuditQueriesUseCase(repo);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const raw = (userId: string): AuditRow => ({
    eventId: randomUUID(),
    topic: 'users.raw',
    outcome: 'ingested',
    userId,
    batchId: 'history-batch',
    source: 'http-push',
    partition: 0,
    offset: '1',
    producedAt: new Date('2026-12-01T10:00:00Z'),
    appendedAt: null,
    reasons: null,
  });

  it('keeps the newest limit rows, oldest first, and says whether it left older ones out', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 14 }), async (n, limit) => {
        const userId = randomUUID();
        const recorded: string[] = [];
        // One transaction each: each row has a recorded_at of its own, in this order.
        for (let i = 0; i < n; i++) {
          const row = raw(userId);
          await repo.record([row], []);
          recorded.push(row.eventId);
        }
        const history = await queries.userHistory(userId, limit);
        expect(history?.events.map((e) => e.eventId)).toEqual(recorded.slice(Math.max(0, n - limit)));
        expect(history?.truncated).toBe(n > limit);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });
});
