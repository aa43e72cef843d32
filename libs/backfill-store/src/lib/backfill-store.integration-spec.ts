import { randomUUID } from 'node:crypto';
import {
  type ScratchDatabase,
  backendWaitingOnLock,
  integrationSettings,
  scratchPostgresDatabase,
} from '@sparkflow/testing';
import { BACKFILL_MIGRATIONS } from './backfill-migrations';
import { BackfillStore, createBackfillPool } from './backfill-store';

const s = integrationSettings();

const noIdleErrors = (err: Error) => {
  throw new Error(`unexpected idle connection error: ${err.message}`);
};

const REQUESTED_AT = new Date('2026-01-07T23:59:59.999Z');
const batches = [
  { day: '2026-01-05', batchId: 'backfill-it-2026-01-05', expected: 1000 },
  { day: '2026-01-06', batchId: 'backfill-it-2026-01-06', expected: 1000 },
];

describe('BackfillStore on the stack’s PostgreSQL', () => {
  // A database of its own: the stack's ingestion would take over the backfills these tests release.
  let scratch: ScratchDatabase;
  const stores: BackfillStore[] = [];
  const replica = (name: string, leaseSeconds = 30) => {
    const store = new BackfillStore(
      createBackfillPool({ ...scratch.admin, database: scratch.database }, noIdleErrors),
      name,
      leaseSeconds,
    );
    stores.push(store);
    return store;
  };
  const newBackfill = async (store: BackfillStore) => {
    const id = randomUUID();
    await store.create({
      id,
      request: { from: '2026-01-05', to: '2026-01-06', perDay: 1000 },
      requestedAt: REQUESTED_AT,
      batches,
    });
    return id;
  };
  /** The ids `GET /v1/backfills?status=running` would list now, with their status as stored. */
  const listed = async (store: BackfillStore) =>
    new Map((await store.running(1000)).backfills.map((b) => [b.id, b.status] as const));
  /** The ids of every backfill `store` takes over, taking until there is none left to take. */
  const everyBackfillTakenBy = async (store: BackfillStore) => {
    const taken: string[] = [];
    for (let claim = await store.claimExpired(); claim; claim = await store.claimExpired())
      taken.push(claim.id);
    return taken;
  };

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('backfill_it', BACKFILL_MIGRATIONS);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await scratch?.drop();
  });

  it('stores a backfill with its batches in order, its lease held by the replica that created it', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    const stored = await a.get(id);
    expect(stored).toMatchObject({
      id,
      request: { from: '2026-01-05', to: '2026-01-06', perDay: 1000 },
      status: 'running',
      error: null,
      attempts: 1,
      leaseOwner: 'replica-a',
      batches: batches.map((b) => ({ ...b, produced: 0 })),
      // To the millisecond, as recorded: its people's event times are computed from it on every replica.
      requestedAt: REQUESTED_AT,
    });
    // Any replica reads the same backfill.
    expect(await replica('replica-b').get(id)).toEqual(stored);
    expect(await a.get(randomUUID())).toBeNull();
  });

  it('stores a backfill of one id once, however many replicas create it at once or later; only one is told it stored it', async () => {
    const id = randomUUID();
    const create = (store: BackfillStore, perDay: number) =>
      store.create({ id, request: { perDay }, requestedAt: REQUESTED_AT, batches });
    const [a, b, c] = [replica('replica-a'), replica('replica-b'), replica('replica-c')];
    const created = await Promise.all([create(a, 1), create(b, 2), create(c, 3)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await create(b, 4)).toBe(false);
    const winner = ['replica-a', 'replica-b', 'replica-c'][created.indexOf(true)];
    expect(await a.get(id)).toMatchObject({
      request: { perDay: created.indexOf(true) + 1 },
      leaseOwner: winner,
      attempts: 1,
      batches: batches.map((x) => ({ ...x, produced: 0 })),
    });
    const [{ n }] = (await scratch.ds.query(
      `SELECT count(*)::int AS n FROM ingestion.backfill_batches WHERE backfill_id = $1`,
      [id],
    )) as { n: number }[];
    expect(n).toBe(batches.length);
  });

  it('lets no other replica take a backfill while its lease is live, and exactly one once it is released', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    const others = Array.from({ length: 8 }, (_, i) => replica(`replica-${i}`));
    expect((await Promise.all(others.map((o) => o.claimExpired()))).filter((c) => c?.id === id)).toEqual([]);

    await a.recordProgress(id, 0, 500);
    expect(await a.release(id)).toBe(true);
    // Released: nobody holds it, and a renewal of the old holder still in flight finds nothing to extend.
    expect(await a.get(id)).toMatchObject({ leaseOwner: null, leaseUntil: null });
    expect(await a.renew(id)).toBe(false);
    const claims = (await Promise.all(others.map((o) => o.claimExpired()))).filter((c) => c?.id === id);
    expect(claims).toHaveLength(1);
    // The new holder resumes from the progress the old one recorded.
    expect(claims[0]?.batches.map((b) => b.produced)).toEqual([500, 0]);
    expect(claims[0]).toMatchObject({ leaseOwner: expect.stringMatching(/^replica-\d$/), attempts: 2 });
  });

  it('takes over a backfill whose lease ran out without renewal, and the old holder can no longer record progress', async () => {
    const a = replica('replica-a', 0.5);
    const b = replica('replica-b');
    const id = await newBackfill(a);
    let taken = null;
    for (const started = Date.now(); !taken && Date.now() - started < 10_000;) {
      taken = await b.claimExpired();
      if (taken && taken.id !== id) throw new Error(`took another backfill ${taken.id}`);
    }
    expect(taken?.leaseOwner).toBe('replica-b');

    expect(await a.recordProgress(id, 0, 1000)).toBe(false);
    expect(await a.renew(id)).toBe(false);
    expect(await a.finish(id, 'produced')).toBe(false);
    expect((await b.get(id))?.batches[0].produced).toBe(0);
    expect(await b.recordProgress(id, 0, 500)).toBe(true);
  });

  it('never moves progress backwards, and a finished backfill is nobody’s to take', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    expect(await a.recordProgress(id, 1, 1000)).toBe(true);
    expect(await a.recordProgress(id, 1, 500)).toBe(true);
    expect((await a.get(id))?.batches[1].produced).toBe(1000);

    expect(await a.finish(id, 'failed', 'Kafka refused the batch')).toBe(true);
    expect(await a.get(id)).toMatchObject({
      status: 'failed',
      error: 'Kafka refused the batch',
      leaseOwner: null,
    });
    expect(await a.recordProgress(id, 0, 1)).toBe(false);
    // Take every backfill there is to take: the failed one is never among them.
    expect(await everyBackfillTakenBy(replica('replica-b'))).not.toContain(id);
    expect(await a.get(id)).toMatchObject({ status: 'failed', leaseOwner: null });
  });

  it('cancels a running backfill from any replica: nobody takes it over, and its holder records the chunk it had in flight, then nothing', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    expect(await a.recordProgress(id, 0, 500)).toBe(true);
    const b = replica('replica-b');
    expect(await b.cancel(id)).toBe(true);
    // Its holder keeps it (its chunk in flight may still land), for a lease from the cancel at most.
    const cancelled = await b.get(id);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: null, leaseOwner: 'replica-a' });
    expect(cancelled?.leaseUntil).toEqual(expect.any(Date));
    // Cancelled again: nothing changes, and the caller is told it was not this call.
    expect(await a.cancel(id)).toBe(false);
    // Any other replica's progress is not recorded, nor its renewal; the holder's renewal keeps its lease
    // (its chunk may be slow to land) and tells it the backfill no longer runs.
    expect(await b.recordProgress(id, 1, 500)).toBe(false);
    expect(await b.renew(id)).toBe(false);
    expect(await b.get(id)).toMatchObject({ leaseOwner: 'replica-a', leaseUntil: cancelled?.leaseUntil });
    expect(await a.renew(id)).toBe(false);
    const renewed = await b.get(id);
    expect(renewed?.leaseOwner).toBe('replica-a');
    expect(renewed!.leaseUntil!.getTime()).toBeGreaterThanOrEqual(cancelled!.leaseUntil!.getTime());

    // The holder's chunk in flight reached Kafka: its progress is kept, and the holder is told to stop.
    expect(await a.recordProgress(id, 0, 1000)).toBe(false);
    expect(await a.renew(id)).toBe(false);
    expect(await a.finish(id, 'produced')).toBe(false);
    expect(await a.release(id)).toBe(false);
    expect(await b.get(id)).toMatchObject({
      status: 'cancelled',
      leaseOwner: null,
      leaseUntil: null,
      batches: [{ produced: 1000 }, { produced: 0 }],
    });

    // However long after, no replica takes it up again.
    expect(await everyBackfillTakenBy(replica('replica-c'))).not.toContain(id);
    expect((await a.get(id))?.status).toBe('cancelled');
  });

  it('keeps a cancelled backfill in the running list, as cancelled, until its holder has recorded the chunk it had in flight', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    expect(await a.recordProgress(id, 0, 500)).toBe(true);
    expect((await listed(a)).get(id)).toBe('running');
    expect(await replica('replica-b').cancel(id)).toBe(true);
    // The holder's chunk in flight may yet land, its events stamped with the backfill's request time.
    expect((await listed(a)).get(id)).toBe('cancelled');
    expect((await listed(replica('replica-c'))).get(id)).toBe('cancelled');
    // It landed and is recorded: the holder stopped, and the backfill produces nothing more.
    expect(await a.recordProgress(id, 0, 1000)).toBe(false);
    expect((await listed(a)).has(id)).toBe(false);
    expect(await a.get(id)).toMatchObject({
      status: 'cancelled',
      batches: [{ produced: 1000 }, { produced: 0 }],
    });
  });

  it('drops a cancelled backfill from the running list once its holder releases it (it stopped with nothing in flight)', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    expect(await a.cancel(id)).toBe(true);
    expect((await listed(a)).get(id)).toBe('cancelled');
    expect(await replica('replica-b').release(id)).toBe(false);
    expect((await listed(a)).get(id)).toBe('cancelled');
    expect(await a.release(id)).toBe(true);
    expect((await listed(a)).has(id)).toBe(false);
    expect(await a.get(id)).toMatchObject({ status: 'cancelled', leaseOwner: null, leaseUntil: null });
    expect(await everyBackfillTakenBy(replica('replica-c'))).not.toContain(id);
  });

  it('drops a cancelled backfill whose holder never records from the running list once a lease from the cancel ran out', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    // The replicas' lease is a second: the cancel gives the holder that long to record its chunk in flight.
    const canceller = replica('replica-b', 1);
    expect(await canceller.cancel(id)).toBe(true);
    expect((await listed(a)).get(id)).toBe('cancelled');
    // The holder died and records nothing: the backfill leaves the list when its lease runs out, no sooner.
    let stillListed = true;
    for (const started = Date.now(); stillListed && Date.now() - started < 10_000;) {
      stillListed = (await listed(a)).has(id);
      if (stillListed) continue;
      // Compared in PostgreSQL at its microseconds, as the running list compares: a JavaScript Date keeps
      // milliseconds, so a lease that ran out within the same millisecond would read as not yet run out.
      const [{ ranOut }] = (await scratch.ds.query(
        'SELECT now() >= lease_until AS "ranOut" FROM ingestion.backfills WHERE id = $1',
        [id],
      )) as { ranOut: boolean }[];
      expect(ranOut).toBe(true);
    }
    expect(stillListed).toBe(false);
    expect(await a.get(id)).toMatchObject({ status: 'cancelled', leaseOwner: 'replica-a' });
    expect(await everyBackfillTakenBy(replica('replica-c'))).not.toContain(id);
  });

  it('keeps a cancelled backfill listed past a lease while its live holder renews, its chunk in flight slow to land', async () => {
    const a = replica('replica-a', 1);
    const id = await newBackfill(a);
    expect(await replica('replica-b', 1).cancel(id)).toBe(true);
    // The holder is alive: its renewal timer keeps the lease (told each time the backfill no longer runs)
    // while Kafka has not acknowledged the chunk, however long past a lease from the cancel that takes.
    const { leaseUntil: fromCancel } = (await a.get(id))!;
    for (;;) {
      expect(await a.renew(id)).toBe(false);
      expect((await listed(a)).get(id)).toBe('cancelled');
      const [{ now }] = (await scratch.ds.query('SELECT now() AS now')) as { now: Date }[];
      if (now.getTime() > fromCancel!.getTime() + 500) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The chunk lands and is recorded: the holder lets it go, and nothing renews it any more.
    expect(await a.recordProgress(id, 0, 300)).toBe(false);
    expect((await listed(a)).has(id)).toBe(false);
    expect(await a.renew(id)).toBe(false);
    expect(await a.get(id)).toMatchObject({ status: 'cancelled', leaseOwner: null, leaseUntil: null });
  });

  it('cancels no backfill that ended or does not exist', async () => {
    const a = replica('replica-a');
    const [produced, failed] = [await newBackfill(a), await newBackfill(a)];
    expect(await a.finish(produced, 'produced')).toBe(true);
    expect(await a.finish(failed, 'failed', 'Kafka refused the batch')).toBe(true);
    expect(await a.cancel(produced)).toBe(false);
    expect(await a.cancel(failed)).toBe(false);
    expect(await a.cancel(randomUUID())).toBe(false);
    expect((await a.get(produced))?.status).toBe('produced');
    expect(await a.get(failed)).toMatchObject({ status: 'failed', error: 'Kafka refused the batch' });
  });

  it('cancels a backfill nobody holds (its replica died) as well', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    expect(await a.release(id)).toBe(true);
    expect(await replica('replica-b').cancel(id)).toBe(true);
    expect(await everyBackfillTakenBy(replica('replica-c'))).not.toContain(id);
    expect(await a.get(id)).toMatchObject({ status: 'cancelled', leaseOwner: null, leaseUntil: null });
    // Nobody held it, so nothing of it is in flight: it is no longer listed as producing.
    expect((await listed(a)).has(id)).toBe(false);
  });

  it('never hands a replica back its own lapsed lease: its run of the backfill may still be going', async () => {
    const a = replica('replica-a', 0.3);
    const id = await newBackfill(a);
    const lapsed = Date.now() + 1000;
    while (Date.now() < lapsed) expect((await a.claimExpired())?.id).not.toBe(id);
    expect((await replica('replica-b').claimExpired())?.id).toBe(id);
  });

  it('survives PostgreSQL ending its connection mid-transaction (a restart): that call fails, the next one succeeds', async () => {
    const a = replica('replica-a');
    const id = randomUUID();
    const create = () =>
      a.create({ id, request: { perDay: 1 }, requestedAt: REQUESTED_AT, batches: batches.slice(0, 1) });
    // Another transaction inserts the same id and stays open: the store's INSERT waits on it.
    const holder = scratch.ds.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query(
        `INSERT INTO ingestion.backfills (id, request, status, requested_at) VALUES ($1, '{}', 'failed', now())`,
        [id],
      );
      const waiting = create().then(
        () => 'created',
        (err: Error) => err.message,
      );
      const pid = await backendWaitingOnLock(scratch, 'sparkflow-backfills');
      await scratch.ds.query(`SELECT pg_terminate_backend($1)`, [pid]);
      expect(await waiting).toMatch(/terminat/);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    await create();
    expect((await a.get(id))?.batches).toHaveLength(1);
  });

  it('refuses progress beyond what a batch expects (a bug, not data to keep)', async () => {
    const a = replica('replica-a');
    const id = await newBackfill(a);
    await expect(a.recordProgress(id, 0, 1001)).rejects.toThrow(/check constraint/);
  });

  it('connects as the services’ role through createBackfillPool', async () => {
    const app = createBackfillPool(
      {
        host: s.POSTGRES_HOST,
        port: s.POSTGRES_PORT,
        username: s.POSTGRES_USER,
        password: s.POSTGRES_PASSWORD,
        database: s.POSTGRES_DB,
      },
      noIdleErrors,
    );
    try {
      // The stack's database has the schema (provisioned by `stack up`) and the app role may use it.
      const { rows } = await app.query('SELECT count(*) >= 0 AS ok FROM ingestion.backfills');
      expect(rows).toEqual([{ ok: true }]);
    } finally {
      await app.end();
    }
  });

  it('lists the backfills still producing, the oldest request first, up to the limit', async () => {
    const a = replica('lister');
    // Requested before every other backfill of this database, so they are the oldest.
    const at = (day: number) => new Date(Date.UTC(2025, 0, day));
    const made: string[] = [];
    for (const day of [1, 2, 3, 4]) {
      const id = randomUUID();
      await a.create({
        id,
        request: { from: '2025-01-01', to: '2025-01-01', perDay: 1 },
        requestedAt: at(day),
        batches,
      });
      made.push(id);
    }
    const [first, cancelled, produced, fourth] = made;
    expect(await a.cancel(cancelled)).toBe(true);
    expect(await a.finish(produced, 'produced')).toBe(true);
    // The cancelled one's holder has not recorded its chunk in flight yet: it is listed, as it stands.
    const row = (b: { id: string; status: string; requestedAt: Date }) => [
      b.id,
      b.status,
      b.requestedAt.toISOString(),
    ];
    expect((await a.running(3)).backfills.map(row)).toEqual([
      [first, 'running', at(1).toISOString()],
      [cancelled, 'cancelled', at(2).toISOString()],
      [fourth, 'running', at(4).toISOString()],
    ]);
    expect(await a.recordProgress(cancelled, 0, 1)).toBe(false);
    const listing = (await a.running(2)).backfills;
    expect(listing.map(row)).toEqual([
      [first, 'running', at(1).toISOString()],
      [fourth, 'running', at(4).toISOString()],
    ]);
    expect(listing[0].batches.map((b) => b.batchId)).toEqual(batches.map((b) => b.batchId));
    // Cut at its limit: it says more are producing, though they are not listed.
    expect(await a.running(1)).toMatchObject({ backfills: [{ id: first }], more: true });
  });
  it('lists only the backfills with a batch on a day from `from` to `to`, both included, the limit and `more` applying to those alone', async () => {
    const a = replica('day-lister');
    // Days no other backfill of this database has a batch on, requested before every other one.
    const made = async (requested: string, ...days: string[]) => {
      const id = randomUUID();
      await a.create({
        id,
        request: { from: days[0], to: days[days.length - 1], perDay: 1 },
        requestedAt: new Date(requested),
        batches: days.map((day) => ({ day, batchId: `backfill-days-${day}`, expected: 1 })),
      });
      return id;
    };
    const across = await made('2024-03-05T10:00:00.000Z', '2024-03-01', '2024-03-02', '2024-03-03');
    const after = await made('2024-03-05T11:00:00.000Z', '2024-03-04');
    const before = await made('2024-03-05T12:00:00.000Z', '2024-02-28', '2024-02-29');
    const ended = await made('2024-03-05T09:00:00.000Z', '2024-03-02');
    expect(await a.finish(ended, 'produced')).toBe(true);
    const of = async (limit: number, days: { from?: string; to?: string }) => {
      const { backfills, more } = await a.running(limit, days);
      return { ids: backfills.map((b) => b.id), more };
    };

    expect(await of(10, { from: '2024-03-02', to: '2024-03-02' })).toEqual({ ids: [across], more: false });
    expect(await of(10, { from: '2024-03-03', to: '2024-03-04' })).toEqual({
      ids: [across, after],
      more: false,
    });
    expect(await of(10, { from: '2024-02-29', to: '2024-03-01' })).toEqual({
      ids: [across, before],
      more: false,
    });
    expect(await of(10, { from: '2024-03-05', to: '2024-12-31' })).toEqual({ ids: [], more: false });
    // One end alone bounds one side only: every other backfill here is of 2026.
    expect(await of(10, { to: '2024-02-29' })).toEqual({ ids: [before], more: false });
    expect((await of(1000, { from: '2024-03-04' })).ids).toEqual(expect.arrayContaining([after]));
    expect((await of(1000, { from: '2024-03-04' })).ids).not.toContain(across);
    // Requested before every other backfill of this database: the whole list cut at one is `across`, the
    // rest left out. Kept to a day `across` has no batch on, the limit counts only that day's backfills.
    expect(await of(1, {})).toEqual({ ids: [across], more: true });
    expect(await of(1, { from: '2024-03-03', to: '2024-03-04' })).toEqual({ ids: [across], more: true });
    expect(await of(1, { from: '2024-03-04', to: '2024-03-04' })).toEqual({ ids: [after], more: false });
    expect(await of(2, { from: '2024-03-03', to: '2024-03-04' })).toEqual({
      ids: [across, after],
      more: false,
    });
  });
});
