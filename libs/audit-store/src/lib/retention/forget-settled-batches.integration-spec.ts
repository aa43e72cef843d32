import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository } from '../record-events/audit-events.repository';
import { ForgetSettledBatches } from './forget-settled-batches';

const DAY_MS = 86_400_000;

/** Polls `check` every 20 ms until it holds, for at most 10 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await check());) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const RETENTION_DAYS = 30;

/** An event's history as the audit can hold it: which topics it reached. */
const FATES = {
  pending: ['users.raw'],
  enriched: ['users.raw', 'users.enriched'],
  persisted: ['users.raw', 'users.enriched', 'users.persisted'],
  'dead-lettered': ['users.raw', 'users.enriched', 'users.dlq'],
  // Ingestion's refusal: a raw row the audit files from the dead letter (no partition), and the dead letter.
  'refused at ingestion': ['users.raw', 'users.dlq'],
  'replayed and persisted': ['users.raw', 'users.enriched', 'users.dlq', 'users.persisted'],
} as const;
const OUTCOME: Record<string, string> = {
  'users.raw': 'ingested',
  'users.enriched': 'enriched',
  'users.persisted': 'persisted',
  'users.dlq': 'dead-lettered',
};

// Settled histories and old rows are the likelier draws, so that many batches are forgettable and each
// way of staying (a pending event, a row recorded since, a declared event missing) still comes up often.
const eventFields = {
  fate: fc.oneof(
    { arbitrary: fc.constant('persisted' as const), weight: 6 },
    { arbitrary: fc.constant('dead-lettered' as const), weight: 2 },
    { arbitrary: fc.constant('replayed and persisted' as const), weight: 1 },
    { arbitrary: fc.constant('refused at ingestion' as const), weight: 1 },
    { arbitrary: fc.constant('pending' as const), weight: 1 },
    { arbitrary: fc.constant('enriched' as const), weight: 1 },
  ),
  /** Days before now the audit recorded each of its rows: around the cutoff, on both sides. */
  recordedDaysAgo: fc.constantFrom(0, 29, 31, 45, 45, 45, 45, 45),
};
const event = fc.record(eventFields);
const batch = fc.record({
  source: fc.constantFrom('http-push', 'synthetic', 'backfill', 'randomuser-api'),
  declared: fc.boolean(),
  extraDeclared: fc.constantFrom(0, 0, 1),
  registeredDaysAgo: fc.constantFrom(0, 29, 31, 60, 60),
  events: fc.array(event, { maxLength: 4 }),
});
const model = fc.record({
  batches: fc.array(batch, { maxLength: 10 }),
  /** Rows filed under no batch (a raw record neither its value nor its headers name): never forgotten. */
  unfiled: fc.array(event, { maxLength: 2 }),
  /**
   * Rows filed under a batch id no registration names (rows of a forgotten batch recorded after it, any
   * topic): forgotten together once all of them are older than the cutoff.
   */
  unregistered: fc.array(
    fc.record({
      source: fc.constantFrom('http-push', 'synthetic', 'backfill'),
      events: fc.array(
        // `replayedRecently`: the event's last row recorded today, its others at their age.
        fc.record({ ...eventFields, replayedRecently: fc.boolean() }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { maxLength: 3 },
  ),
});
type Model = typeof model extends fc.Arbitrary<infer M> ? M : never;

const ROWS = `SELECT event_id, topic, outcome, user_id, batch_id, source, partition, "offset", produced_at,
  recorded_at, reasons, appended_at FROM audit_events ORDER BY event_id, topic`;
const BATCHES = `SELECT batch_id, source, expected_count, created_at, completed_at FROM batches ORDER BY batch_id`;

/**
 * Invariant: a pass of retention deletes exactly the batches registered before the cutoff that the batch
 * report calls complete and none of whose rows the audit recorded since the cutoff — each with every row
 * filed under it — and, under batch ids no registration names, each event whose rows were all recorded
 * before the cutoff, and changes no cell of anything else. Whatever the histories, the ages and the paging, and with
 * two replicas forgetting at once.
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

  /** One batch registered 60 days ago, every event of it recorded 45 days ago with the fate given. */
  const oldQuietBatch = (
    source: Model['batches'][number]['source'],
    ...fates: (keyof typeof FATES)[]
  ): Model => ({
    batches: [
      {
        source,
        declared: true,
        extraDeclared: 0,
        registeredDaysAgo: 60,
        events: fates.map((fate) => ({ fate, recordedDaysAgo: 45 })),
      },
    ],
    unfiled: [],
    unregistered: [],
  });

  /** The batch ids the last `write` filed rows under without registering them, in the model's order. */
  let unregisteredIds: string[] = [];
  /**
   * The events it filed under them, and whether each is old: every row recorded before the cutoff, none
   * replayed since.
   */
  let unregisteredEvents: { eventId: string; old: boolean }[] = [];

  /** Writes the model as the audit would have recorded it, each row and batch at its own age. */
  async function write(m: Model, now: number): Promise<string[]> {
    await ds.query('TRUNCATE audit_events, batches');
    const ago = (days: number) => new Date(now - days * DAY_MS - 60_000).toISOString();
    const rows: unknown[][] = [];
    const addEvent = (
      e: Model['unfiled'][number] & { replayedRecently?: boolean },
      batchId: string | null,
      source: string | null,
    ) => {
      const eventId = randomUUID();
      const topics = FATES[e.fate];
      if (batchId !== null && unregisteredIds.includes(batchId))
        unregisteredEvents.push({ eventId, old: e.recordedDaysAgo > RETENTION_DAYS && !e.replayedRecently });
      topics.forEach((topic, i) =>
        rows.push([
          eventId,
          topic,
          OUTCOME[topic],
          batchId,
          source,
          e.fate === 'refused at ingestion' && topic === 'users.raw' ? null : 0,
          i,
          ago(e.replayedRecently && i === topics.length - 1 ? 0 : e.recordedDaysAgo),
          topic === 'users.dlq' ? JSON.stringify([{ code: 'SCHEMA_INVALID', path: 'email' }]) : null,
        ]),
      );
    };
    const ids = m.batches.map((b) => {
      const batchId = `batch-${randomUUID()}`;
      b.events.forEach((e) => addEvent(e, batchId, b.source));
      return batchId;
    });
    unregisteredIds = m.unregistered.map(() => `forgotten-${randomUUID()}`);
    unregisteredEvents = [];
    m.unregistered.forEach((u, i) => u.events.forEach((e) => addEvent(e, unregisteredIds[i], u.source)));
    for (const [i, b] of m.batches.entries()) {
      const raw = b.events.length;
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
         VALUES ($1, $2, $3, gen_random_uuid(), $4, $5, $6, $7, $8, $8, $9, $8)`,
        r,
      );
    return ids;
  }

  /**
   * The batches the oracle expects forgotten, from the model alone: registered before the cutoff, every
   * declared event arrived, each settled (persisted or dead-lettered), and every row recorded before it.
   */
  function expectedForgotten(m: Model, ids: string[]): Set<string> {
    const settled = (e: Model['unfiled'][number]) => e.fate !== 'pending' && e.fate !== 'enriched';
    return new Set([
      ...ids.filter((_, i) => {
        const b = m.batches[i];
        return (
          b.registeredDaysAgo > RETENTION_DAYS &&
          b.events.length > 0 &&
          b.events.every(settled) &&
          (!b.declared || b.extraDeclared === 0) &&
          b.events.every((e) => e.recordedDaysAgo > RETENTION_DAYS)
        );
      }),
    ]);
  }

  const without = <T extends { batch_id: string | null; event_id?: string }>(
    rows: T[],
    doomed: Set<string>,
    doomedEvents: Set<string> = new Set(),
  ) =>
    rows.filter(
      (r) => r.batch_id === null || (!doomed.has(r.batch_id) && !doomedEvents.has(r.event_id ?? '')),
    );

  it('forgets exactly the old, complete, quiet batches, whole, the quiet events filed under no registration, and no cell of anything else', async () => {
    const seen = { forgotten: 0, keptOld: 0, unregisteredForgotten: 0, unregisteredKept: 0 };
    await fc.assert(
      fc.asyncProperty(
        model,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        async (m, pageSize, rowsPerDelete, twoReplicas) => {
          const now = Date.now();
          const ids = await write(m, now);
          const doomed = expectedForgotten(m, ids);
          // Unregistered rows go event by event: an old event whose rows are all old.
          const doomedEvents = new Set(unregisteredEvents.filter((e) => e.old).map((e) => e.eventId));
          const [rowsBefore, batchesBefore] = [await ds.query(ROWS), await ds.query(BATCHES)];
          const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
          const forget = new ForgetSettledBatches(repo, pageSize, rowsPerDelete);

          const passes = await Promise.all((twoReplicas ? [1, 2] : [1]).map(() => forget.execute(cutoff)));

          expect(await ds.query(ROWS)).toEqual(without(rowsBefore, doomed, doomedEvents));
          expect(await ds.query(BATCHES)).toEqual(without(batchesBefore, doomed));
          const ran = passes.filter((p) => p !== null);
          const old = m.batches.filter((b) => b.registeredDaysAgo > RETENTION_DAYS).length;
          // One pass at a time: a second replica found the lock held (null), or ran after the first and
          // found nothing left to forget. The first did all of it, whichever of the two it was.
          const first = ran.reduce((a, b) => (b.forgottenRows > a.forgottenRows ? b : a));
          const losing = new Set(
            rowsBefore
              .filter((r: { event_id: string }) => doomedEvents.has(r.event_id))
              .map((r: { batch_id: string }) => r.batch_id),
          );
          expect(first).toMatchObject({
            examined: old,
            forgottenBatches: doomed.size,
            forgottenUnregistered: losing.size,
            forgottenRows: rowsBefore.length - without(rowsBefore, doomed, doomedEvents).length,
          });
          for (const later of ran.filter((p) => p !== first))
            expect(later).toMatchObject({
              examined: old - doomed.size,
              forgottenBatches: 0,
              forgottenUnregistered: 0,
              forgottenRows: 0,
            });
          seen.forgotten += doomed.size;
          seen.keptOld += old - doomed.size;
          seen.unregisteredForgotten += doomedEvents.size;
          seen.unregisteredKept += unregisteredEvents.length - doomedEvents.size;
        },
      ),
      { numRuns: 40, seed: 20261205 },
    );
    // Not vacuous: the runs forgot batches and kept old ones.
    expect(seen.forgotten).toBeGreaterThan(10);
    expect(seen.keptOld).toBeGreaterThan(10);
    expect(seen.unregisteredForgotten).toBeGreaterThan(5);
    expect(seen.unregisteredKept).toBeGreaterThan(5);
  });

  it("runs no pass while another replica's pass holds the lock, and deletes nothing", async () => {
    const now = Date.now();
    await write(oldQuietBatch('http-push', 'persisted'), now);
    const forget = new ForgetSettledBatches(repo);
    const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);

    const inside = await repo.whileHoldingRetentionLock(() => forget.execute(cutoff));

    expect(inside).toBeNull();
    expect(await ds.query(BATCHES)).toHaveLength(1);
    expect(await forget.execute(cutoff)).toMatchObject({
      examined: 1,
      forgottenBatches: 1,
      forgottenRows: 3,
    });
  });

  it('keeps a batch whole when one of its rows is replaced while the pass waits for its lock', async () => {
    const now = Date.now();
    const [batchId] = await write(oldQuietBatch('synthetic', 'persisted', 'dead-lettered'), now);
    const before = await ds.query(ROWS);
    // The audit records a replayed dead letter of the batch: its transaction holds the row until it commits.
    const recorder = ds.createQueryRunner();
    await recorder.connect();
    await recorder.startTransaction();
    await recorder.query(
      `UPDATE audit_events SET recorded_at = now(), "offset" = "offset" + 100 WHERE batch_id = $1 AND topic = 'users.dlq'`,
      [batchId],
    );
    const forgetting = repo.forgetBatches([batchId], new Date(now - RETENTION_DAYS * DAY_MS));
    // Until the pass waits on the recorder's row lock: then the recorder commits.
    await waitUntil(async () => {
      const [{ n }] = await ds.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return n > 0;
    });
    await recorder.commitTransaction();
    await recorder.release();

    expect(await forgetting).toEqual({ batches: 0, rows: 0 });
    const after: { topic: string; offset: string }[] = await ds.query(ROWS);
    expect(after).toHaveLength(before.length);
    expect(after.filter((r) => r.topic === 'users.dlq').map((r) => r.offset)).toEqual(['102']);
    expect(await repo.batchCounts(batchId)).toMatchObject({ complete: true, persisted: 1, deadLettered: 1 });
  });

  it('keeps a batch that gains a row after the pass read it, and the row', async () => {
    const now = Date.now();
    const [batchId] = await write(oldQuietBatch('backfill', 'persisted'), now);
    const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
    // Between the page read and the delete, the same backfill's batch id gains an event (a second request).
    const racingRepo = {
      batchesRegisteredBefore: async (
        ...args: Parameters<AuditEventsRepository['batchesRegisteredBefore']>
      ) => {
        const page = await repo.batchesRegisteredBefore(...args);
        await ds.query(
          `INSERT INTO audit_events (event_id, topic, outcome, batch_id, source) VALUES ($1, 'users.raw', 'ingested', $2, 'backfill')`,
          [randomUUID(), batchId],
        );
        return page;
      },
      forgetBatches: (ids: string[], before: Date) => repo.forgetBatches(ids, before),
      unregisteredWithRowsBefore: (before: Date) => repo.unregisteredWithRowsBefore(before),
      forgetUnregistered: (ids: string[], before: Date) => repo.forgetUnregistered(ids, before),
    };
    const racing = new ForgetSettledBatches({
      ...racingRepo,
      whileHoldingRetentionLock: (work) =>
        repo.whileHoldingRetentionLock(() => work(racingRepo as unknown as AuditEventsRepository)),
    });

    const pass = await racing.execute(cutoff);

    expect(pass).toMatchObject({ examined: 1, forgottenBatches: 0, forgottenRows: 0, kept: 1 });
    const counts = await repo.batchCounts(batchId);
    expect(counts).toMatchObject({ source: 'backfill', expected: 1, ingested: 2, persisted: 1 });
  });

  it('forgets, once quiet, a row recorded under a batch as the batch was forgotten, and keeps a batch registered anew', async () => {
    const now = Date.now();
    const [batchId, again] = await write(
      {
        batches: [
          ...oldQuietBatch('synthetic', 'persisted').batches,
          ...oldQuietBatch('backfill', 'dead-lettered').batches,
        ],
        unfiled: [],
        unregistered: [],
      },
      now,
    );
    const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
    // A recording transaction finds the batch registered (its registration does nothing and locks
    // nothing) and records a row of the batch, not yet committed, as retention forgets the batch.
    const recorder = ds.createQueryRunner();
    await recorder.connect();
    await recorder.startTransaction();
    await recorder.query(
      `INSERT INTO batches (batch_id, source, expected_count) VALUES ($1, 'synthetic', 1) ON CONFLICT DO NOTHING`,
      [batchId],
    );
    await recorder.query(
      `INSERT INTO audit_events (event_id, topic, outcome, batch_id, source, partition, "offset")
       VALUES ($1, 'users.raw', 'ingested', $2, 'synthetic', 0, 7)`,
      [randomUUID(), batchId],
    );
    const forget = new ForgetSettledBatches(repo);
    expect(await forget.execute(cutoff)).toMatchObject({ forgottenBatches: 2, forgottenUnregistered: 0 });
    await recorder.commitTransaction();
    await recorder.release();
    // The race, as it happens: a row filed under a batch no registration names.
    const unregistered = `SELECT e.batch_id FROM audit_events e
      WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = e.batch_id)`;
    expect(await ds.query(unregistered)).toEqual([{ batch_id: batchId }]);
    // The other batch's id is used again by a new request: the recording path registers it anew.
    const newRequest = {
      eventId: randomUUID(),
      topic: 'users.raw',
      outcome: 'ingested' as const,
      userId: randomUUID(),
      batchId: again,
      source: 'backfill',
      partition: 0,
      offset: '1',
      producedAt: new Date(now),
      reasons: null,
      appendedAt: new Date(now),
    };
    await repo.record([newRequest], [{ batchId: again, source: 'backfill', expectedCount: 5 }]);
    const [rows, batches] = [await ds.query(ROWS), await ds.query(BATCHES)];

    // Recorded since the cutoff, the row is kept, and so is the batch registered anew.
    expect(await forget.execute(cutoff)).toMatchObject({ forgottenUnregistered: 0, forgottenRows: 0 });
    expect(await ds.query(ROWS)).toEqual(rows);
    // Once the cutoff passes it, it is forgotten; the batch registered anew is not complete, and kept.
    expect(await forget.execute(new Date(Date.now() + 60_000))).toMatchObject({
      forgottenBatches: 0,
      forgottenUnregistered: 1,
      forgottenRows: 1,
    });
    expect(await ds.query(ROWS)).toEqual(rows.filter((r: { batch_id: string }) => r.batch_id !== batchId));
    expect(await ds.query(BATCHES)).toEqual(batches);
    expect(await ds.query(unregistered)).toEqual([]);
  });

  it('never forgets part of an event filed under several batch ids', async () => {
    const now = Date.now();
    const [complete, incomplete] = await write(
      {
        batches: [
          ...oldQuietBatch('synthetic', 'persisted').batches,
          { ...oldQuietBatch('http-push', 'persisted').batches[0], extraDeclared: 1 },
        ],
        unfiled: [],
        unregistered: [],
      },
      now,
    );
    const old = new Date(now - 45 * DAY_MS).toISOString();
    // Each event's raw row filed where the audit can file it, its dead letter under `unknown`: a dead letter
    // that named no batch.
    const events = {
      unfiled: randomUUID(),
      kept: randomUUID(),
      unknown: randomUUID(),
    };
    for (const [eventId, rawBatch] of [
      [events.unfiled, null], // a raw record whose headers named an event and no batch: kept for good
      [events.kept, incomplete], // its batch is not complete: kept
      [events.unknown, 'unknown'],
    ] as const) {
      for (const [topic, outcome, batchId] of [
        ['users.raw', 'ingested', rawBatch],
        ['users.dlq', 'dead-lettered', 'unknown'],
      ] as const)
        await ds.query(
          `INSERT INTO audit_events (event_id, topic, outcome, batch_id, source, partition, "offset", recorded_at)
           VALUES ($1, $2, $3, $4, 'synthetic', 0, 1, $5)`,
          [eventId, topic, outcome, batchId, old],
        );
    }
    const before: { event_id: string; batch_id: string | null }[] = await ds.query(ROWS);

    const pass = await new ForgetSettledBatches(repo).execute(new Date(now - RETENTION_DAYS * DAY_MS));

    expect(pass).toMatchObject({ forgottenBatches: 1, forgottenUnregistered: 1 });
    const gone = new Set<string>([events.unknown]);
    expect(await ds.query(ROWS)).toEqual(
      before.filter((r) => !gone.has(r.event_id) && r.batch_id !== complete),
    );
  });
});
