import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository } from '../record-events/audit-events.repository';
import { ForgetSettledBatches } from './forget-settled-batches';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 30;

/** An event's history as the audit can hold it: which topics it reached. */
const FATES = {
  pending: ['users.raw'],
  enriched: ['users.raw', 'users.enriched'],
  persisted: ['users.raw', 'users.enriched', 'users.persisted'],
  'dead-lettered': ['users.raw', 'users.enriched', 'users.dlq'],
  'refused at ingestion': ['users.dlq'],
  'replayed and persisted': ['users.raw', 'users.enriched', 'users.dlq', 'users.persisted'],
} as const;
const OUTCOME: Record<string, string> = {
  'users.raw': 'ingested',
  'users.enriched': 'enriched',
  'users.persisted': 'persisted',
  'users.dlq': 'dead-lettered',
};

const event = fc.record({
  fate: fc.constantFrom(...(Object.keys(FATES) as (keyof typeof FATES)[])),
  /** Days before now the audit recorded each of its rows: around the cutoff, on both sides. */
  recordedDaysAgo: fc.constantFrom(0, 1, 29, 31, 45),
});
const batch = fc.record({
  source: fc.constantFrom('http-push', 'synthetic', 'backfill', 'randomuser-api'),
  declared: fc.boolean(),
  extraDeclared: fc.constantFrom(0, 0, 1),
  registeredDaysAgo: fc.constantFrom(0, 29, 31, 60),
  events: fc.array(event, { maxLength: 5 }),
});
const model = fc.record({
  batches: fc.array(batch, { maxLength: 10 }),
  /** Rows filed under no batch (a raw record neither its value nor its headers name): never forgotten. */
  unfiled: fc.array(event, { maxLength: 2 }),
});
type Model = typeof model extends fc.Arbitrary<infer M> ? M : never;

const ROWS = `SELECT event_id, topic, outcome, user_id, batch_id, source, partition, "offset", produced_at,
  recorded_at, reasons, appended_at FROM audit_events ORDER BY event_id, topic`;
const BATCHES = `SELECT batch_id, source, expected_count, created_at, completed_at FROM batches ORDER BY batch_id`;

/**
 * Invariant: a pass of retention deletes exactly the batches registered before the cutoff that the batch
 * report calls complete and none of whose rows the audit recorded since the cutoff — each with every row
 * filed under it — and changes no cell of anything else. Whatever the histories, the ages and the paging,
 * and with two replicas forgetting at once.
 */
describe('audit retention, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_retention', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** Writes the model as the audit would have recorded it, each row and batch at its own age. */
  async function write(m: Model, now: number): Promise<string[]> {
    await ds.query('TRUNCATE audit_events, batches');
    const ago = (days: number) => new Date(now - days * DAY_MS - 60_000).toISOString();
    const rows: unknown[][] = [];
    const addEvent = (e: Model['unfiled'][number], batchId: string | null, source: string | null) => {
      const eventId = randomUUID();
      FATES[e.fate].forEach((topic, i) =>
        rows.push([
          eventId,
          topic,
          OUTCOME[topic],
          batchId,
          source,
          i,
          ago(e.recordedDaysAgo),
          topic === 'users.dlq' ? JSON.stringify([{ code: 'SCHEMA_INVALID', path: 'email' }]) : null,
        ]),
      );
    };
    const ids = m.batches.map((b) => {
      const batchId = `batch-${randomUUID()}`;
      b.events.forEach((e) => addEvent(e, batchId, b.source));
      return batchId;
    });
    for (const [i, b] of m.batches.entries()) {
      const raw = b.events.filter((e) => FATES[e.fate][0] === 'users.raw').length;
      await ds.query(
        `INSERT INTO batches (batch_id, source, expected_count, created_at) VALUES ($1, $2, $3, $4)`,
        [ids[i], b.source, b.declared ? raw + b.extraDeclared : null, ago(b.registeredDaysAgo)],
      );
    }
    m.unfiled.forEach((e) => addEvent(e, null, null));
    for (const r of rows)
      await ds.query(
        `INSERT INTO audit_events (event_id, topic, outcome, user_id, batch_id, source, partition, "offset",
           produced_at, recorded_at, reasons, appended_at)
         VALUES ($1, $2, $3, gen_random_uuid(), $4, $5, 0, $6, $7, $7, $8, $7)`,
        r,
      );
    return ids;
  }

  /** The batches the oracle expects forgotten: old, complete by the batch report, and quiet since the cutoff. */
  async function expectedForgotten(m: Model, ids: string[]): Promise<Set<string>> {
    const doomed = new Set<string>();
    for (const [i, b] of m.batches.entries()) {
      const report = await repo.batchCounts(ids[i]);
      const quiet = b.events.every((e) => e.recordedDaysAgo > RETENTION_DAYS);
      if (b.registeredDaysAgo > RETENTION_DAYS && report?.complete && quiet && b.events.length)
        doomed.add(ids[i]);
    }
    return doomed;
  }

  const without = <T extends { batch_id: string | null }>(rows: T[], doomed: Set<string>) =>
    rows.filter((r) => r.batch_id === null || !doomed.has(r.batch_id));

  it('forgets exactly the old, complete, quiet batches, whole, and no cell of anything else', async () => {
    await fc.assert(
      fc.asyncProperty(
        model,
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (m, pageSize, twoReplicas) => {
          const now = Date.now();
          const ids = await write(m, now);
          const doomed = await expectedForgotten(m, ids);
          const [rowsBefore, batchesBefore] = [await ds.query(ROWS), await ds.query(BATCHES)];
          const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
          const forget = new ForgetSettledBatches(repo, pageSize);

          const passes = await Promise.all((twoReplicas ? [1, 2] : [1]).map(() => forget.execute(cutoff)));

          expect(await ds.query(ROWS)).toEqual(without(rowsBefore, doomed));
          expect(await ds.query(BATCHES)).toEqual(without(batchesBefore, doomed));
          const forgottenRows = rowsBefore.length - without(rowsBefore, doomed).length;
          expect({
            batches: passes.reduce((n, p) => n + p.forgottenBatches, 0),
            rows: passes.reduce((n, p) => n + p.forgottenRows, 0),
          }).toEqual({ batches: doomed.size, rows: forgottenRows });
          const old = m.batches.filter((b) => b.registeredDaysAgo > RETENTION_DAYS).length;
          if (!twoReplicas) expect(passes[0]).toMatchObject({ examined: old, kept: old - doomed.size });
        },
      ),
      { numRuns: 40, seed: 20261205 },
    );
  });

  it('keeps a batch that gains a row after the pass read it, and the row', async () => {
    const now = Date.now();
    const [batchId] = await write(
      {
        batches: [
          {
            source: 'backfill',
            declared: true,
            extraDeclared: 0,
            registeredDaysAgo: 60,
            events: [{ fate: 'persisted', recordedDaysAgo: 45 }],
          },
        ],
        unfiled: [],
      },
      now,
    );
    const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
    // Between the page read and the delete, the same backfill's batch id gains an event (a second request).
    const racing = new ForgetSettledBatches({
      batchesRegisteredBefore: async (...args) => {
        const page = await repo.batchesRegisteredBefore(...args);
        await ds.query(
          `INSERT INTO audit_events (event_id, topic, outcome, batch_id, source) VALUES ($1, 'users.raw', 'ingested', $2, 'backfill')`,
          [randomUUID(), batchId],
        );
        return page;
      },
      forgetBatches: (ids, before) => repo.forgetBatches(ids, before),
    });

    const pass = await racing.execute(cutoff);

    expect(pass).toMatchObject({ examined: 1, forgottenBatches: 0, forgottenRows: 0, kept: 1 });
    const counts = await repo.batchCounts(batchId);
    expect(counts).toMatchObject({ source: 'backfill', expected: 1, ingested: 2, persisted: 1 });
  });
});
