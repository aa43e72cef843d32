import fc from 'fast-check';
import {
  SparkflowErrorCode,
  formatEventTime,
  type RandomUser,
  type RawUserEvent,
} from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { EventClock, IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import {
  BackfillRequest,
  BackfillsService,
  backfillBatchId,
  backfillEventId,
  backfillEventTime,
  backfillEventTimes,
  backfillRegisteredBy,
  daysBetween,
  type Backfill,
  type BackfillBatch,
  type BackfillDays,
  type BackfillRepository,
  type DayGenerator,
  type StoredBackfill,
  RUNNING_BACKFILLS_LISTED,
} from './backfills.service';
import {
  formerBodyDigest,
  idempotencyScope,
  type KeyedPush,
  type KeyedPushStore,
} from '../push/idempotency-key';

describe('backfills', () => {
  it('lists every UTC day from `from` to `to`, both included, across a month end', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('names the same batch for the same seed and day, so a rerun is the same batch', () => {
    expect(backfillBatchId('s1', '2026-11-01')).toBe(backfillBatchId('s1', '2026-11-01'));
    expect(backfillBatchId('s1', '2026-11-01')).not.toBe(backfillBatchId('s2', '2026-11-01'));
  });

  it('rejects a range that runs backwards, naming `to`', () => {
    const r = BackfillRequest.safeParse({ from: '2026-11-03', to: '2026-11-01', perDay: 10 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['to']);
  });

  it('rejects a non-date and a non-positive per-day count', () => {
    const r = BackfillRequest.safeParse({ from: 'yesterday', to: '2026-11-01', perDay: 0 });
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['from', 'perDay']);
  });
});

/**
 * Records every event ingestion would produce, in order; `failAfter` sends make the next one throw.
 * `clock` is the process's event clock (µs), which a backfill's events must not depend on. `during` is
 * called with each send's number (from 0) while that send is in flight, before Kafka acknowledges it.
 */
function recordingIngest(
  failAfter = Infinity,
  clock?: () => bigint,
  during?: (send: number) => Promise<void>,
) {
  const sent: RawUserEvent[] = [];
  let sends = 0;
  const producer = {
    send: async (_topic: string, messages: { event: RawUserEvent }[]) => {
      const send = sends++;
      if (send >= failAfter) throw new Error('broker unreachable');
      await during?.(send);
      sent.push(...messages.map((m) => m.event));
    },
  } as unknown as EventProducer;
  return { ingest: new IngestUsersUseCase(producer, clock && new EventClock(clock)), sent };
}

/**
 * The repository's lease rules on one process's memory: enough to drive the service's decisions. The
 * rules themselves are tested against PostgreSQL in libs/backfill-store.
 */
class LeaseBook implements BackfillRepository {
  static readonly rows = new Map<string, StoredBackfill & { holder: string | null }>();
  readonly leaseSeconds: number = 30;
  progress: [number, number][] = [];
  /** Progress writes that fail after the chunk was produced, as when PostgreSQL goes away mid-backfill. */
  failProgressAfter = Infinity;
  constructor(readonly owner: string) {}
  async create(b: {
    id: string;
    request: unknown;
    requestedAt: Date;
    batches: readonly Omit<BackfillBatch, 'produced'>[];
  }) {
    if (LeaseBook.rows.has(b.id)) return false;
    const batches = b.batches.map((x) => ({ ...x, produced: 0 }));
    LeaseBook.rows.set(b.id, {
      id: b.id,
      request: b.request,
      status: 'running',
      error: null,
      attempts: 1,
      requestedAt: b.requestedAt,
      batches,
      holder: this.owner,
    });
    return true;
  }
  async get(id: string) {
    const row = LeaseBook.rows.get(id);
    return row ? structuredClone({ ...row, holder: undefined }) : null;
  }
  /**
   * Running, or cancelled while its holder has not let it go (recorded its last chunk, released it, died);
   * given `days`, only those with a batch on a day in them, before the limit.
   */
  async running(limit: number, days: BackfillDays = {}) {
    const { from, to } = days;
    const rows = [...LeaseBook.rows.values()].filter(
      (r) =>
        (r.status === 'running' || (r.status === 'cancelled' && r.holder !== null)) &&
        ((from === undefined && to === undefined) ||
          r.batches.some((b) => (from === undefined || b.day >= from) && (to === undefined || b.day <= to))),
    );
    rows.sort((x, y) => x.requestedAt.getTime() - y.requestedAt.getTime() || (x.id < y.id ? -1 : 1));
    const backfills = await Promise.all(
      rows.slice(0, limit).map(async (r) => (await this.get(r.id)) as StoredBackfill),
    );
    return { backfills, more: rows.length > limit };
  }
  async claimExpired() {
    const row = [...LeaseBook.rows.values()].find((r) => r.status === 'running' && r.holder === null);
    if (!row) return null;
    row.holder = this.owner;
    row.attempts += 1;
    return this.get(row.id);
  }
  private mine(id: string) {
    const row = LeaseBook.rows.get(id);
    return row && row.status === 'running' && row.holder === this.owner ? row : undefined;
  }
  async recordProgress(id: string, position: number, produced: number) {
    if (this.progress.length >= this.failProgressAfter) throw new Error('PostgreSQL went away');
    // The holder of a backfill cancelled meanwhile still records the chunk it had in flight.
    const row = LeaseBook.rows.get(id);
    const held = row?.holder === this.owner && ['running', 'cancelled'].includes(row.status);
    if (held) {
      row.batches[position].produced = produced;
      this.progress.push([position, produced]);
      // Told it was cancelled, the holder stops here: the backfill produces nothing more.
      if (row.status === 'cancelled') row.holder = null;
    }
    return held && row.status === 'running';
  }
  async cancel(id: string) {
    const row = LeaseBook.rows.get(id);
    if (row?.status !== 'running') return false;
    row.status = 'cancelled';
    return true;
  }
  async renew(id: string) {
    return this.mine(id) !== undefined;
  }
  async finish(id: string, status: 'produced' | 'failed', error: string | null = null) {
    const row = this.mine(id);
    if (row) Object.assign(row, { status, error, holder: null });
    return row !== undefined;
  }
  async release(id: string) {
    const row = LeaseBook.rows.get(id);
    const mine = row?.holder === this.owner && ['running', 'cancelled'].includes(row.status);
    if (mine) row.holder = null;
    return mine;
  }
  /** What happens to a replica's leases when it dies: they run out. */
  static expireAllOf(owner: string) {
    for (const row of LeaseBook.rows.values()) if (row.holder === owner) row.holder = null;
  }
}

const people: DayGenerator = (seed, day, from, count) =>
  Array.from(
    { length: count },
    (_, i) => ({ login: { uuid: `${seed}-${day}-${from + i}` } }) as unknown as RandomUser,
  );
const request = {
  from: '2026-01-05',
  to: '2026-01-06',
  perDay: 1200,
  seed: 'resume',
  source: 'synthetic',
} as const;

describe('BackfillsService', () => {
  it('produces every person of every day once, with event ids that depend only on backfill, batch and position', async () => {
    const { ingest, sent } = recordingIngest();
    const repo = new LeaseBook('a');
    const service = new BackfillsService(ingest, people, repo);
    const b = await service.start(request);
    await service.settled(b.id);

    expect(sent).toHaveLength(2400);
    expect(new Set(sent.map((e) => e.payload.login.uuid)).size).toBe(2400);
    expect(sent[0].eventId).toBe(backfillEventId(b.id, backfillBatchId('resume', '2026-01-05'), 0));
    expect(sent[2399].eventId).toBe(backfillEventId(b.id, backfillBatchId('resume', '2026-01-06'), 1199));
    // Progress after each chunk Kafka acknowledged (chunks of 500).
    expect(repo.progress).toEqual([
      [0, 500],
      [0, 1000],
      [0, 1200],
      [1, 500],
      [1, 1000],
      [1, 1200],
    ]);
    expect(await service.get(b.id)).toMatchObject({
      status: 'produced',
      batches: [{ produced: 1200 }, { produced: 1200 }],
    });
  });

  /** Every event id a whole run of backfill `id` produces, in order. */
  const allEventIds = (id: string) =>
    daysBetween(request.from, request.to).flatMap((day) =>
      Array.from({ length: request.perDay }, (_, i) =>
        backfillEventId(id, backfillBatchId('resume', day), i),
      ),
    );

  it('hands a backfill back when Kafka fails, and the next replica resumes it from the recorded progress', async () => {
    // Replica a's fourth send fails (the broker went away): three chunks are recorded, the rest is not sent.
    const a = recordingIngest(3);
    const first = new BackfillsService(a.ingest, people, new LeaseBook('a'));
    const b = await first.start(request);
    await first.settled(b.id);
    expect(LeaseBook.rows.get(b.id)).toMatchObject({ status: 'running', holder: null, attempts: 1 });

    const r = recordingIngest();
    const second = new BackfillsService(r.ingest, people, new LeaseBook('b'));
    expect(await second.takeOverOne()).toBe(b.id);
    await second.settled(b.id);

    expect(r.sent[0].eventId).toBe(backfillEventId(b.id, backfillBatchId('resume', '2026-01-06'), 0));
    expect([...a.sent, ...r.sent].map((e) => e.eventId)).toEqual(allEventIds(b.id));
    expect(await second.get(b.id)).toMatchObject({ status: 'produced', attempts: 2 });
  });

  it('produces a chunk whose progress was never recorded again under the same event ids', async () => {
    // The fourth chunk reaches Kafka, then recording it fails: the replica stops and hands the backfill back.
    const a = recordingIngest();
    const bookA = new LeaseBook('a');
    bookA.failProgressAfter = 3;
    const first = new BackfillsService(a.ingest, people, bookA);
    const b = await first.start(request);
    await first.settled(b.id);
    expect(a.sent).toHaveLength(1700);

    const r = recordingIngest();
    const second = new BackfillsService(r.ingest, people, new LeaseBook('b'));
    await second.settled((await second.takeOverOne())!);

    // Together: every event of the run, the chunk produced twice with the same ids, nothing else twice.
    const ids = [...a.sent, ...r.sent].map((e) => e.eventId);
    expect(ids).toHaveLength(2400 + 500);
    expect(new Set(ids)).toEqual(new Set(allEventIds(b.id)));
    expect(r.sent.slice(0, 500).map((e) => e.eventId)).toEqual(a.sent.slice(1200).map((e) => e.eventId));
  });

  it('produces a chunk again after a crash byte for byte as the first time, whenever and wherever it runs', async () => {
    const requestedAt = Date.parse('2026-11-30T23:59:58.123Z');
    // Replica a records three chunks, produces the fourth, and dies before recording it.
    const a = recordingIngest(Infinity, () => 1_796_083_198_000_000n);
    const bookA = new LeaseBook('a');
    bookA.failProgressAfter = 3;
    const first = new BackfillsService(a.ingest, people, bookA, { pollMs: 60_000, now: () => requestedAt });
    const b = await first.start(request);
    await first.settled(b.id);

    // Replica b takes it over past midnight, its own event clock a day on.
    const r = recordingIngest(Infinity, () => 1_796_169_600_000_000n);
    const second = new BackfillsService(r.ingest, people, new LeaseBook('b'));
    await second.settled((await second.takeOverOne())!);

    // The chunk produced twice: the same events, every field (the event time Cassandra writes at included).
    expect(JSON.stringify(r.sent.slice(0, 500))).toBe(JSON.stringify(a.sent.slice(1200)));
    // Each time is on its own day, the last perDay microseconds of it, in order.
    const all = [...a.sent.slice(0, 1200), ...r.sent];
    expect(all.map((e) => e.producedAt)).toEqual(
      [request.from, request.to].flatMap((day) =>
        Array.from({ length: request.perDay }, (_, i) =>
          formatEventTime(backfillEventTime(new Date(requestedAt), day, request.perDay, i)),
        ),
      ),
    );
    expect(all[0].producedAt).toBe('2026-01-05T23:59:59.998800Z');
    expect(all[2399].producedAt).toBe('2026-01-06T23:59:59.999999Z');
    expect((await second.get(b.id))?.requestedAt).toBe('2026-11-30T23:59:58.123Z');
    expect((await second.get(b.id))?.eventTimes).toEqual({
      first: '2026-01-05T23:59:59.998800Z',
      last: '2026-01-06T23:59:59.999999Z',
    });
  });

  it('stamps a past day at its end, the same for every request, and the request’s own day from the request on', () => {
    const at = new Date('2026-11-30T10:00:00.000Z');
    const later = new Date('2026-12-03T08:00:00.000Z');
    // A day that has ended: its last perDay µs, whenever it is asked for, so a rerun rewrites the same cells.
    expect(backfillEventTime(at, '2026-11-29', 100_000, 0)).toBe(1_795_996_800_000_000n - 100_000n);
    expect(backfillEventTime(at, '2026-11-29', 100_000, 99_999)).toBe(1_795_996_800_000_000n - 1n);
    expect(backfillEventTime(later, '2026-11-29', 100_000, 7)).toBe(
      backfillEventTime(at, '2026-11-29', 100_000, 7),
    );
    // The day of the request has not ended: from the request on, one µs each…
    expect(backfillEventTime(at, '2026-11-30', 10, 9)).toBe(1_796_032_800_000_009n);
    // …unless that would spill past midnight: then the day's last perDay µs, as a past day's.
    const late = new Date('2026-11-30T23:59:59.990Z');
    expect(formatEventTime(backfillEventTime(late, '2026-11-30', 20_000, 0))).toBe(
      '2026-11-30T23:59:59.980000Z',
    );
    expect(formatEventTime(backfillEventTime(late, '2026-11-30', 20_000, 19_999))).toBe(
      '2026-11-30T23:59:59.999999Z',
    );
    // A past day's registrations end 100 ms before the day does, however many people the batch has; the
    // request's own day's at the batch's first event.
    for (const perDay of [1, 1200, 100_000])
      expect(backfillRegisteredBy(at, '2026-11-29', perDay).toISOString()).toBe('2026-11-29T23:59:59.900Z');
    expect(backfillRegisteredBy(at, '2026-11-30', 10)).toEqual(at);
    expect(backfillRegisteredBy(late, '2026-11-30', 20_000).toISOString()).toBe('2026-11-30T23:59:59.980Z');
    expect(backfillEventTimes(at, { from: '2026-11-28', to: '2026-11-30', perDay: 3 })).toEqual({
      first: '2026-11-28T23:59:59.999997Z',
      last: '2026-11-30T10:00:00.000002Z',
    });
  });

  it('fails a backfill whose error keeps coming back, once it was taken up maxAttempts times', async () => {
    const book = new LeaseBook('a');
    const service = new BackfillsService(recordingIngest(0).ingest, people, book, {
      pollMs: 60_000,
      maxAttempts: 3,
    });
    const b = await service.start(request);
    await service.settled(b.id);
    for (let attempt = 2; attempt <= 3; attempt++) {
      expect(LeaseBook.rows.get(b.id)).toMatchObject({ status: 'running', attempts: attempt - 1 });
      await service.settled((await service.takeOverOne())!);
    }
    expect(await service.get(b.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: 'gave up after 3 attempts: broker unreachable',
    });
  });

  it('gives each backfill its own event ids: a rerun of the same days is a new set of events', async () => {
    const service = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('a'));
    const [one, two] = [await service.start(request), await service.start(request)];
    await Promise.all([service.settled(one.id), service.settled(two.id)]);
    expect(one.batches.map((x) => x.batchId)).toEqual(two.batches.map((x) => x.batchId));
    const second = new Set(allEventIds(two.id));
    expect(allEventIds(one.id).filter((id) => second.has(id))).toEqual([]);
  });

  it('stops working a backfill after the chunk in flight once another replica holds it', async () => {
    const { ingest, sent } = recordingIngest();
    const repo = new LeaseBook('a');
    const service = new BackfillsService(ingest, people, repo);
    const b = await service.start(request);
    LeaseBook.expireAllOf('a');
    await new LeaseBook('b').claimExpired();
    await service.settled(b.id);
    expect(sent).toHaveLength(500);
    expect(LeaseBook.rows.get(b.id)).toMatchObject({ status: 'running', holder: 'b' });
  });

  it('on stop lets the chunk in flight finish and gives the lease up for the next replica', async () => {
    const { ingest } = recordingIngest();
    const service = new BackfillsService(ingest, people, new LeaseBook('a'));
    const b = await service.start(request);
    await service.stop();
    const row = LeaseBook.rows.get(b.id)!;
    expect(row).toMatchObject({ status: 'running', holder: null });
    expect(row.batches[0].produced).toBe(500);
  });
});

describe('BackfillsService.running', () => {
  it('lists the running backfills, the oldest request first, at most RUNNING_BACKFILLS_LISTED', async () => {
    // Requested before any other backfill of this file, held by a replica that works none of them.
    const mine = Array.from({ length: RUNNING_BACKFILLS_LISTED + 1 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      request: { ...request, from: '2000-01-01', to: '2000-01-01' },
      status: 'running' as const,
      error: null,
      attempts: 1,
      requestedAt: new Date(Date.UTC(2000, 0, 1, 0, 0, RUNNING_BACKFILLS_LISTED - i)),
      batches: [],
      holder: 'listing',
    }));
    for (const row of mine) LeaseBook.rows.set(row.id, row);
    try {
      const service = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('a'));
      const listed = await service.running();
      // The newest of them (index 0, requested last) is the one left out.
      expect(listed.truncated).toBe(true);
      expect(listed.backfills.map((b) => b.id)).toEqual(
        mine
          .slice(1)
          .reverse()
          .map((b) => b.id),
      );
      expect(listed.backfills[0]).toMatchObject({
        status: 'running',
        requestedAt: '2000-01-01T00:00:00.000Z',
      });
      // One ended is listed no more, so the newest fits again; one cancelled is listed, as such, while its
      // holder may still have a chunk in flight, and no more once it let it go.
      LeaseBook.rows.get(mine[1].id)!.status = 'cancelled';
      LeaseBook.rows.get(mine[2].id)!.status = 'produced';
      const after = await service.running();
      expect(after.backfills.find((b) => b.id === mine[1].id)?.status).toBe('cancelled');
      expect(after.backfills.map((b) => b.id)).not.toContain(mine[2].id);
      expect(after.backfills.map((b) => b.id)).toContain(mine[0].id);
      LeaseBook.rows.get(mine[1].id)!.holder = null;
      expect((await service.running()).backfills.map((b) => b.id)).not.toContain(mine[1].id);
    } finally {
      for (const row of mine) LeaseBook.rows.delete(row.id);
    }
  });
});

describe('BackfillsService.running of some days', () => {
  /** A backfill held by a replica that works none of them, with one batch per day, requested `second`s into 1999. */
  const held = (n: number, second: number, ...days: string[]) => ({
    id: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
    request: { ...request, from: days[0], to: days[days.length - 1] },
    status: 'running' as const,
    error: null,
    attempts: 1,
    requestedAt: new Date(Date.UTC(1999, 0, 1, 0, 0, second)),
    batches: days.map((day) => ({ day, batchId: backfillBatchId('unit', day), expected: 10, produced: 0 })),
    holder: 'listing',
  });
  const listed = async (service: BackfillsService, days: BackfillDays) => {
    const { backfills, truncated } = await service.running(days);
    return { ids: backfills.map((b) => b.id), truncated };
  };

  it('lists only the backfills with a batch on a day from `from` to `to`, both included, each end optional', async () => {
    const rows = [
      held(1, 1, '1998-03-01', '1998-03-02', '1998-03-03'),
      held(2, 2, '1998-03-04'),
      held(3, 3, '1998-02-27', '1998-02-28'),
    ];
    const [across, after, before] = rows.map((r) => r.id);
    for (const row of rows) LeaseBook.rows.set(row.id, row);
    try {
      const service = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('a'));
      const of = (days: BackfillDays) => listed(service, days);
      expect(await of({ from: '1998-03-02', to: '1998-03-02' })).toEqual({ ids: [across], truncated: false });
      expect(await of({ from: '1998-03-03', to: '1998-03-04' })).toEqual({
        ids: [across, after],
        truncated: false,
      });
      expect(await of({ from: '1998-02-28', to: '1998-03-01' })).toEqual({
        ids: [across, before],
        truncated: false,
      });
      expect(await of({ from: '1998-03-05', to: '1998-12-31' })).toEqual({ ids: [], truncated: false });
      // One end alone bounds one side only.
      expect(await of({ from: '1998-03-04' })).toMatchObject({ ids: expect.arrayContaining([after]) });
      expect((await of({ from: '1998-03-04' })).ids).not.toContain(across);
      expect((await of({ to: '1998-02-28' })).ids).toEqual([before]);
      // A cancelled one whose holder may still have a chunk in flight counts; one ended never does.
      LeaseBook.rows.get(across)!.status = 'cancelled';
      LeaseBook.rows.get(after)!.status = 'produced';
      expect(await of({ from: '1998-02-01', to: '1998-03-31' })).toEqual({
        ids: [across, before],
        truncated: false,
      });
    } finally {
      for (const row of rows) LeaseBook.rows.delete(row.id);
    }
  });

  it('applies the limit and `truncated` to the backfills of those days alone', async () => {
    // One backfill per day for more days than are listed, as users_backfill makes them, and one of another day.
    const perDay = Array.from({ length: RUNNING_BACKFILLS_LISTED + 1 }, (_, i) =>
      held(100 + i, 100 + i, new Date(Date.UTC(1997, 0, 1 + i)).toISOString().slice(0, 10)),
    );
    const lastDay = perDay[perDay.length - 1].batches[0].day;
    const rows = [...perDay, held(999, 999, '1996-06-01')];
    for (const row of rows) LeaseBook.rows.set(row.id, row);
    try {
      const service = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('a'));
      const all = await listed(service, { from: '1997-01-01', to: lastDay });
      expect(all).toEqual({ ids: perDay.slice(0, -1).map((r) => r.id), truncated: true });
      // A day none of the first hundred touches: its one backfill, and nothing left out.
      expect(await listed(service, { from: lastDay, to: lastDay })).toEqual({
        ids: [perDay[perDay.length - 1].id],
        truncated: false,
      });
      expect(await listed(service, { from: '1996-06-01', to: '1996-06-01' })).toEqual({
        ids: [rows[rows.length - 1].id],
        truncated: false,
      });
      expect(await listed(service, { from: '1997-01-02', to: lastDay })).toEqual({
        ids: perDay.slice(1).map((r) => r.id),
        truncated: false,
      });
    } finally {
      for (const row of rows) LeaseBook.rows.delete(row.id);
    }
  });
});

describe('BackfillsService.cancel', () => {
  /** Backfill `request` on replica a, cancelled from replica b while a's `at`-th send is in flight. */
  async function cancelledDuring(at: number) {
    const other = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('b'));
    let answer: Promise<Backfill | undefined> | undefined;
    let id = '';
    const a = recordingIngest(Infinity, undefined, async (send) => {
      if (send === at) answer = other.cancel(id);
      await answer;
    });
    const book = new LeaseBook('a');
    const holder = new BackfillsService(a.ingest, people, book);
    const backfill = await holder.start(request);
    id = backfill.id;
    await holder.settled(id);
    return { id, answer: await answer, sent: a.sent, book, holder, other };
  }

  it('stops the holder after the chunk in flight, which stays produced and counted; nobody resumes it', async () => {
    const { id, answer, sent, book, other } = await cancelledDuring(3);
    // The fourth chunk was on its way to Kafka when the backfill was cancelled: it lands, and is the last.
    expect(sent).toHaveLength(1700);
    expect(book.progress).toEqual([
      [0, 500],
      [0, 1000],
      [0, 1200],
      [1, 500],
    ]);
    // The answer is the backfill as it stood when cancelled: the chunk in flight is not counted yet.
    expect(answer).toMatchObject({ id, status: 'cancelled', batches: [{ produced: 1200 }, { produced: 0 }] });
    expect(await other.get(id)).toMatchObject({
      status: 'cancelled',
      batches: [{ produced: 1200 }, { produced: 500 }],
    });

    // The holder is gone; another replica looking for abandoned backfills never takes this one up.
    LeaseBook.expireAllOf('a');
    const c = recordingIngest();
    const takeover = new BackfillsService(c.ingest, people, new LeaseBook('c'));
    for (let taken = await takeover.takeOverOne(); taken; taken = await takeover.takeOverOne()) {
      expect(taken).not.toBe(id);
      await takeover.settled(taken);
    }
    expect(c.sent.filter((e) => allEventIdsOf(id).has(e.eventId))).toEqual([]);
    expect(await takeover.get(id)).toMatchObject({ status: 'cancelled', attempts: 1 });
  });

  it('answers a cancelled backfill the same again, whoever asks; no chunk is produced twice', async () => {
    const { id, sent, holder, other } = await cancelledDuring(0);
    const again = [await holder.cancel(id), await other.cancel(id)];
    expect(again).toEqual([await other.get(id), await other.get(id)]);
    expect(again[0]).toMatchObject({ status: 'cancelled', batches: [{ produced: 500 }, { produced: 0 }] });
    expect(sent).toHaveLength(500);
  });

  it('whatever chunk is in flight, stops right after it: what was produced is what progress counts, and no more', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), async (at) => {
        const { id, sent, other } = await cancelledDuring(at);
        const stored = (await other.get(id))!;
        const produced = stored.batches.reduce((n, b) => n + b.produced, 0);
        // Six chunks make the backfill (500, 500, 200 a day): the one in flight is the last produced.
        const chunks = [500, 500, 200, 500, 500, 200];
        expect(sent).toHaveLength(chunks.slice(0, at + 1).reduce((n, c) => n + c, 0));
        expect(produced).toBe(sent.length);
        expect(stored.status).toBe('cancelled');
        expect(new Set(sent.map((e) => e.eventId)).size).toBe(sent.length);
      }),
      { numRuns: 12 },
    );
  });

  it('lists a cancelled backfill as still producing until its holder recorded the chunk in flight, then no more', async () => {
    const other = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('b'));
    let id = '';
    let whileInFlight: Backfill[] = [];
    const a = recordingIngest(Infinity, undefined, async (send) => {
      if (send !== 1) return;
      await other.cancel(id);
      whileInFlight = (await other.running()).backfills.filter((b) => b.id === id);
    });
    const holder = new BackfillsService(a.ingest, people, new LeaseBook('a'));
    id = (await holder.start(request)).id;
    await holder.settled(id);
    // Cancelled while its second chunk was on its way to Kafka: listed, as cancelled, with what it had recorded.
    expect(whileInFlight).toMatchObject([
      { id, status: 'cancelled', batches: [{ produced: 500 }, { produced: 0 }] },
    ]);
    // The chunk landed and was recorded: the holder stopped, and the backfill is listed no more.
    expect(a.sent).toHaveLength(1000);
    expect((await other.running()).backfills.map((b) => b.id)).not.toContain(id);
    expect(await other.get(id)).toMatchObject({
      status: 'cancelled',
      batches: [{ produced: 1000 }, { produced: 0 }],
    });
  });

  it('records the chunk in flight when its renewal told the holder of the cancel first, then lists it no more', async () => {
    // Renewed every 10 ms: the renewal finds the cancel while the chunk is still on its way to Kafka.
    class QuickLease extends LeaseBook {
      override readonly leaseSeconds = 0.03;
      refused!: () => void;
      readonly renewalRefused = new Promise<void>((resolve) => (this.refused = resolve));
      override async renew(id: string) {
        const ok = await super.renew(id);
        if (!ok) this.refused();
        return ok;
      }
    }
    const book = new QuickLease('a');
    const other = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('b'));
    let id = '';
    const a = recordingIngest(Infinity, undefined, async (send) => {
      if (send !== 1) return;
      await other.cancel(id);
      await book.renewalRefused;
    });
    const holder = new BackfillsService(a.ingest, people, book);
    id = (await holder.start(request)).id;
    await holder.settled(id);
    expect(a.sent).toHaveLength(1000);
    expect(book.progress).toEqual([
      [0, 500],
      [0, 1000],
    ]);
    expect((await other.running()).backfills.map((b) => b.id)).not.toContain(id);
  });

  it('lists no more a backfill cancelled after its last chunk was recorded, once its holder stopped', async () => {
    // The cancel comes between the holder recording the backfill's last chunk and finishing it.
    class CancelledAtTheEnd extends LeaseBook {
      override async recordProgress(id: string, position: number, produced: number) {
        const running = await super.recordProgress(id, position, produced);
        if (position === 1 && produced === request.perDay) await new LeaseBook('b').cancel(id);
        return running;
      }
    }
    const holder = new BackfillsService(recordingIngest().ingest, people, new CancelledAtTheEnd('a'));
    const b = await holder.start(request);
    await holder.settled(b.id);
    expect(await holder.get(b.id)).toMatchObject({
      status: 'cancelled',
      batches: [{ produced: 1200 }, { produced: 1200 }],
    });
    expect((await holder.running()).backfills.map((x) => x.id)).not.toContain(b.id);
  });

  it('refuses a backfill that already ended with CONFLICT naming its state; an unknown id is undefined', async () => {
    const service = new BackfillsService(recordingIngest().ingest, people, new LeaseBook('a'));
    const done = await service.start(request);
    await service.settled(done.id);
    await expect(service.cancel(done.id)).rejects.toMatchObject({
      code: SparkflowErrorCode.Conflict,
      message: `backfill ${done.id} is already produced: only a running backfill can be cancelled`,
    });
    expect((await service.get(done.id))?.status).toBe('produced');

    const failing = new BackfillsService(recordingIngest(0).ingest, people, new LeaseBook('a'), {
      pollMs: 60_000,
      maxAttempts: 1,
    });
    const failed = await failing.start(request);
    await failing.settled(failed.id);
    await expect(failing.cancel(failed.id)).rejects.toMatchObject({
      code: SparkflowErrorCode.Conflict,
      message: expect.stringMatching(/ is already failed: /),
    });
    expect(await service.cancel('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await service.cancel('not-a-uuid')).toBeUndefined();
  });

  /** Every event id a whole run of backfill `id` produces. */
  const allEventIdsOf = (id: string) =>
    new Set(
      daysBetween(request.from, request.to).flatMap((day) =>
        Array.from({ length: request.perDay }, (_, i) =>
          backfillEventId(id, backfillBatchId('resume', day), i),
        ),
      ),
    );
});

describe('BackfillsService when the store fails', () => {
  const failingStore = (err: Error) => {
    const repo = new LeaseBook('a');
    repo.create = () => Promise.reject(err);
    repo.get = () => Promise.reject(err);
    return repo;
  };
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: { code?: unknown }) => e.code,
    );

  it('answers a statement PostgreSQL refused as an error of its own, not as PostgreSQL being down', async () => {
    const refused = Object.assign(new Error('date/time field value out of range: "0000-01-01"'), {
      code: '22008',
      severity: 'ERROR',
    });
    const service = new BackfillsService(recordingIngest().ingest, people, failingStore(refused));
    expect(await codeOf(service.start(request))).toBe(SparkflowErrorCode.Unknown);
    expect(await codeOf(service.get('00000000-0000-4000-8000-000000000000'))).toBe(
      SparkflowErrorCode.Unknown,
    );
  });

  it('answers PostgreSQL starting up or unreachable as POSTGRES_UNAVAILABLE, to be sent again', async () => {
    for (const down of [
      Object.assign(new Error('the database system is starting up'), { code: '57P03', severity: 'FATAL' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ]) {
      const service = new BackfillsService(recordingIngest().ingest, people, failingStore(down));
      expect(await codeOf(service.start(request))).toBe(SparkflowErrorCode.PostgresUnavailable);
    }
  });
});

describe('BackfillsService.request under an Idempotency-Key', () => {
  /** The key store's contract in memory: the first proposal under a scope stands. */
  const memoryKeys = (): KeyedPushStore & { scopes: string[] } => {
    const entries = new Map<string, KeyedPush>();
    const scopes: string[] = [];
    return {
      scopes,
      claim: async (scope, proposed) => {
        scopes.push(scope);
        if (!entries.has(scope)) entries.set(scope, proposed);
        return entries.get(scope)!;
      },
    };
  };
  const JSON_BODY = { contentType: 'application/json' };
  const keyed = (key: string | string[], apiKey = 'api-key-a') => ({
    ...JSON_BODY,
    apiKey,
    idempotencyKey: key,
  });
  const DAY = Date.parse('2026-02-01T10:00:00.000Z');
  /** A replica: its own lease holder, producer and clock; `keys` is shared by all of them. */
  const replica = (owner: string, keys: KeyedPushStore | undefined, now: number) => {
    const recorded = recordingIngest();
    const repo = new LeaseBook(owner);
    const service = new BackfillsService(recorded.ingest, people, repo, {
      pollMs: 60_000,
      keys,
      now: () => now,
    });
    return { service, sent: recorded.sent };
  };
  const body = { from: '2026-01-05', to: '2026-01-06', perDay: 700, seed: uniqueSeed() };
  function uniqueSeed() {
    return `idem-${Math.random().toString(36).slice(2)}`;
  }
  const storedOf = (seed: string) =>
    [...LeaseBook.rows.values()].filter((r) => (r.request as { seed: string }).seed === seed);

  it('starts one backfill for every request under the key, on any replica, at once or later: same id, same time, produced once', async () => {
    const keys = memoryKeys();
    const [a, b] = [replica('a', keys, DAY), replica('b', keys, DAY + 5_000)];
    const first = await Promise.all([
      a.service.request(body, keyed('k-1')),
      b.service.request(body, keyed('k-1')),
    ]);
    const later = await b.service.request(JSON.parse(JSON.stringify(body)), keyed('k-1'));
    const answers = [...first, later];
    expect(answers.map((x) => x.status)).toEqual([202, 202, 202]);
    const ids = answers.map((x) => (x.body as Backfill).id);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(answers.map((x) => (x.body as Backfill).requestedAt))).toEqual(
      new Set([new Date(DAY).toISOString()]),
    );
    await Promise.all([a.service.settled(ids[0]), b.service.settled(ids[0])]);

    expect(storedOf(body.seed)).toHaveLength(1);
    expect(storedOf(body.seed)[0]).toMatchObject({ id: ids[0], status: 'produced', attempts: 1 });
    // Only the replica whose insert won worked it: every person once.
    const sent = [...a.sent, ...b.sent];
    expect(sent).toHaveLength(1400);
    expect(new Set(sent.map((e) => e.eventId)).size).toBe(1400);
  });

  it('answers the same JSON with its keys in another order, or a default sent explicitly, as the same request', async () => {
    const keys = memoryKeys();
    const a = replica('a', keys, DAY);
    const seed = uniqueSeed();
    const sent = JSON.parse(`{"from":"2026-01-05","to":"2026-01-05","perDay":3,"seed":"${seed}"}`);
    const reordered = JSON.parse(`{"seed":"${seed}","perDay":3,"to":"2026-01-05","from":"2026-01-05"}`);
    const explicit = { ...reordered, source: 'synthetic' };
    const answers = [];
    for (const b of [sent, reordered, explicit]) answers.push(await a.service.request(b, keyed('k-order')));
    expect(answers.map((x) => x.status)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((x) => (x.body as Backfill).id)).size).toBe(1);
    await a.service.settled((answers[0].body as Backfill).id);
    expect(storedOf(seed)).toHaveLength(1);
  });

  it('answers a retry under a key stored with the former digest (the body as sent) as the same request', async () => {
    const keys = memoryKeys();
    const a = replica('a', keys, DAY);
    const seed = uniqueSeed();
    const sent = { perDay: 3, to: '2026-01-05', from: '2026-01-05', seed };
    const first = await a.service.request(sent, keyed('k-former'));
    await a.service.settled((first.body as Backfill).id);
    const [scope] = keys.scopes;
    const entry = await keys.claim(scope, {} as KeyedPush, 0);
    entry.bodySha256 = formerBodyDigest(sent);
    const retry = await a.service.request({ ...sent }, keyed('k-former'));
    expect(retry).toMatchObject({ status: 202, body: { id: (first.body as Backfill).id } });
    expect(await a.service.request({ ...sent, perDay: 4 }, keyed('k-former'))).toMatchObject({ status: 422 });
  });

  it('refuses the key with another body as 422 naming the header, starting nothing', async () => {
    const keys = memoryKeys();
    const a = replica('a', keys, DAY);
    const started = await a.service.request(body, keyed('k-2'));
    const other = { ...body, seed: uniqueSeed() };
    const refused = await a.service.request(other, keyed('k-2'));
    expect(refused).toMatchObject({
      status: 422,
      body: {
        statusCode: 422,
        code: 'SEMANTIC_INVALID',
        reasons: [{ code: 'SEMANTIC_INVALID', path: 'Idempotency-Key' }],
        errors: [{ path: 'Idempotency-Key' }],
      },
    });
    expect(refused.body).toHaveProperty(
      'message',
      expect.stringMatching(/^Idempotency-Key was already used/),
    );
    expect(storedOf(other.seed)).toEqual([]);
    await a.service.settled((started.body as Backfill).id);
  });

  it('keeps a backfill key apart from a push key and from another API key', async () => {
    const keys = memoryKeys();
    const a = replica('a', keys, DAY);
    const one = await a.service.request(body, keyed('k-3', 'api-key-a'));
    const two = await a.service.request(body, keyed('k-3', 'api-key-b'));
    expect((one.body as Backfill).id).not.toBe((two.body as Backfill).id);
    expect(keys.scopes).toEqual([
      idempotencyScope('api-key-a', 'k-3', 'backfill'),
      idempotencyScope('api-key-b', 'k-3', 'backfill'),
    ]);
    expect(keys.scopes).not.toContain(idempotencyScope('api-key-a', 'k-3'));
    await Promise.all([one, two].map((x) => a.service.settled((x.body as Backfill).id)));
  });

  it('starts a new backfill per request without the header, as before, and never asks the key store', async () => {
    const keys = memoryKeys();
    const a = replica('a', keys, DAY);
    const seed = uniqueSeed();
    const [one, two] = [
      await a.service.request({ ...body, seed }, JSON_BODY),
      await a.service.request({ ...body, seed }, JSON_BODY),
    ];
    expect((one.body as Backfill).id).not.toBe((two.body as Backfill).id);
    expect(storedOf(seed)).toHaveLength(2);
    expect(keys.scopes).toEqual([]);
    await Promise.all([one, two].map((x) => a.service.settled((x.body as Backfill).id)));
  });

  it('refuses a malformed key with 400 naming it, and a key the store cannot check with 503 and Retry-After', async () => {
    const seed = uniqueSeed();
    const a = replica('a', memoryKeys(), DAY);
    expect(await a.service.request({ ...body, seed }, keyed('two words'))).toMatchObject({
      status: 400,
      body: {
        code: 'SCHEMA_INVALID',
        reasons: [{ code: 'SCHEMA_INVALID', path: 'Idempotency-Key' }],
        errors: [{ path: 'Idempotency-Key' }],
      },
    });
    const down = replica('a', { claim: () => Promise.reject(new Error('no answer within 1000 ms')) }, DAY);
    const refused = await down.service.request({ ...body, seed }, keyed('k-4'));
    expect(refused).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
      body: { code: 'POSTGRES_UNAVAILABLE', reasons: [{ code: 'POSTGRES_UNAVAILABLE', path: null }] },
    });
    expect(refused.body).toHaveProperty(
      'message',
      expect.stringMatching(/^the idempotency store .*no answer/),
    );
    const unconfigured = replica('a', undefined, DAY);
    expect((await unconfigured.service.request({ ...body, seed }, keyed('k-4'))).status).toBe(503);
    expect(storedOf(seed)).toEqual([]);
  });

  it('completes, on a retry, a first request that claimed the key but could not store its backfill', async () => {
    const keys = memoryKeys();
    const seed = uniqueSeed();
    const a = replica('a', keys, DAY);
    const failing = new BackfillsService(
      recordingIngest().ingest,
      people,
      {
        ...new LeaseBook('a'),
        owner: 'a',
        leaseSeconds: 30,
        create: () =>
          Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      } as unknown as BackfillRepository,
      { pollMs: 60_000, keys, now: () => DAY },
    );
    await expect(failing.request({ ...body, seed }, keyed('k-5'))).rejects.toMatchObject({
      code: SparkflowErrorCode.PostgresUnavailable,
    });
    expect(storedOf(seed)).toEqual([]);
    const retried = await a.service.request({ ...body, seed }, keyed('k-5'));
    expect(retried.status).toBe(202);
    await a.service.settled((retried.body as Backfill).id);
    expect(storedOf(seed)).toMatchObject([{ id: (retried.body as Backfill).id, status: 'produced' }]);
    expect(a.sent).toHaveLength(1400);
  });
});
