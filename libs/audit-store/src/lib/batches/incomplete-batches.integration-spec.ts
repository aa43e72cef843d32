import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { scratchPostgresDatabase, uniqueName, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository, type AuditRow } from '../record-events/audit-events.repository';
import { isBatchComplete } from './batch-complete';
import { ListBatchesUseCase } from './list-batches.use-case';

type Outcome = 'persisted' | 'dead-lettered';
const TOPIC: Record<AuditRow['outcome'], string> = {
  ingested: 'users.raw',
  enriched: 'users.enriched',
  persisted: 'users.persisted',
  'dead-lettered': 'users.dlq',
};

/**
 * Invariant: `GET /v1/batches?incomplete=true` lists exactly the batches of the window that the live counts
 * call incomplete, while it skips, before counting, those it recorded complete: a batch that declared its
 * size and came from a source that never adds an event to a batch id it produced whole.
 */
describe('the incomplete batch listing, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  let list: ListBatchesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_incomplete', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
    list = new ListBatchesUseCase(repo);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const dbNow = async (): Promise<Date> => (await ds.query(`SELECT now() AS t`))[0].t;

  /** A batch whose events arrive (raw) and settle one by one, as the audit records them. */
  const batch = (source: string, expectedCount: number | null) => {
    const batchId = uniqueName('batch');
    const unsettled: string[] = [];
    const row = (eventId: string, outcome: AuditRow['outcome']): AuditRow => ({
      eventId,
      topic: TOPIC[outcome],
      outcome,
      userId: randomUUID(),
      batchId,
      source,
      partition: 0,
      offset: '1',
      producedAt: new Date(),
      appendedAt: null,
      reasons: null,
    });
    return {
      batchId,
      async arrive(n = 1) {
        const ids = Array.from({ length: n }, () => randomUUID());
        unsettled.push(...ids);
        await repo.record(
          ids.map((id) => row(id, 'ingested')),
          [{ batchId, source, expectedCount }],
        );
      },
      async settle(outcome: Outcome = 'persisted') {
        const id = unsettled.shift();
        if (id) await repo.record([row(id, outcome)], []);
      },
      get unsettled() {
        return unsettled.length;
      },
    };
  };

  const incomplete = async (since: Date) =>
    (await list.execute({ incomplete: 'true', since: since.toISOString(), limit: '1000' })).batches.map(
      (b) => b.batchId,
    );
  /** The live answer: every batch of the window counted, the incomplete ones kept. */
  const liveIncomplete = async (since: Date) =>
    (await repo.batchesSince(since, 10_000)).filter((b) => !isBatchComplete(b)).map((b) => b.batchId);
  const markedOf = async (ids: string[]): Promise<string[]> =>
    (
      await ds.query(
        `SELECT batch_id FROM batches WHERE batch_id = ANY($1) AND completed_at IS NOT NULL ORDER BY batch_id`,
        [ids],
      )
    ).map((r: { batch_id: string }) => r.batch_id);

  it('lists exactly the incomplete batches, marks only the declared-size complete ones, and drops one that completes', async () => {
    const since = await dbNow();
    const done = batch('http-push', 2);
    await done.arrive(2);
    await done.settle();
    await done.settle('dead-lettered');
    const waiting = batch('synthetic', 3);
    await waiting.arrive(2);
    await waiting.settle();
    await waiting.settle();
    const unsizedDone = batch('http-push', null);
    await unsizedDone.arrive(1);
    await unsizedDone.settle();
    const unsizedOpen = batch('http-push', null);
    await unsizedOpen.arrive(2);
    await unsizedOpen.settle();
    const reusable = batch('backfill', 1);
    await reusable.arrive(1);
    await reusable.settle();
    const all = [done, waiting, unsizedDone, unsizedOpen, reusable].map((b) => b.batchId);

    expect(await incomplete(since)).toEqual([unsizedOpen.batchId, waiting.batchId]);
    expect(await markedOf(all)).toEqual([done.batchId]);
    // The marked batch is no row the incomplete listing reads any more; the others still are.
    const read = (await repo.batchesSince(since, 10_000, true)).map((b) => b.batchId);
    expect(read.sort()).toEqual(all.filter((id) => id !== done.batchId).sort());
    // The full listing and a batch's own answer still count it live.
    const full = await list.execute({ since: since.toISOString(), limit: '1000' });
    expect(full.batches.find((b) => b.batchId === done.batchId)).toMatchObject({
      complete: true,
      ingested: 2,
    });
    expect(await repo.batchCounts(done.batchId)).toMatchObject({
      complete: true,
      persisted: 1,
      deadLettered: 1,
    });

    // The waiting batch's last event arrives and settles between two calls: it drops out, and is marked.
    await waiting.arrive(1);
    await waiting.settle();
    expect(await incomplete(since)).toEqual([unsizedOpen.batchId]);
    expect(await markedOf(all)).toEqual([done.batchId, waiting.batchId].sort());

    // A batch without a declared size may gain events: never marked, so a later one shows it again.
    await unsizedDone.arrive(1);
    expect(await incomplete(since)).toEqual([unsizedOpen.batchId, unsizedDone.batchId]);
    expect(await markedOf(all)).toEqual([done.batchId, waiting.batchId].sort());

    // A backfill's batch id is reused by another backfill of the same seed: not marked, so it shows again.
    await reusable.arrive(1);
    expect(await incomplete(since)).toContain(reusable.batchId);
  });

  it('always equals the live filter of the window, whatever the sizes, arrivals and moments of asking', async () => {
    const sources = ['http-push', 'synthetic', 'backfill', 'randomuser-api'] as const;
    const closed = new Set<string>(['http-push', 'synthetic']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            source: fc.constantFrom(...sources),
            expected: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(
          fc.record({
            step: fc.constantFrom('arrive', 'settle', 'settle-dead', 'list'),
            which: fc.nat(),
          }),
          { minLength: 1, maxLength: 16 },
        ),
        async (specs, steps) => {
          const since = await dbNow();
          const batches = specs.map((s) => ({ ...s, b: batch(s.source, s.expected), arrived: 0 }));
          const check = async () => expect(await incomplete(since)).toEqual(await liveIncomplete(since));
          for (const { step, which } of [...steps, { step: 'list', which: 0 }]) {
            const t = batches[which % batches.length];
            if (step === 'list') await check();
            else if (step === 'arrive') {
              // A source with closed batches never sends more than the declared events under a batch id.
              if (t.expected !== null && closed.has(t.source) && t.arrived >= t.expected) continue;
              t.arrived += 1;
              await t.b.arrive(1);
            } else await t.b.settle(step === 'settle' ? 'persisted' : 'dead-lettered');
          }
          // Every batch settled: the listing agrees again, and only closed, sized, complete ones are marked.
          for (const t of batches) while (t.b.unsettled) await t.b.settle();
          await check();
          const markable = batches.filter(
            (t) => t.expected !== null && closed.has(t.source) && t.arrived >= t.expected,
          );
          expect(await markedOf(batches.map((t) => t.b.batchId))).toEqual(
            markable.map((t) => t.b.batchId).sort(),
          );
        },
      ),
      { seed: 20261202, numRuns: 30 },
    );
  });
});
