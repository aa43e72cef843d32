import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { HEADERS, TOPICS, type BatchTiming } from '@sparkflow/contracts';
import type { InboundMessage } from '@sparkflow/kafka';
import { scratchPostgresDatabase, uniqueName, type ScratchDatabase } from '@sparkflow/testing';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditQueriesUseCase } from '../queries/audit-queries.use-case';
import { AuditEventsRepository, perSecond, type AuditRow } from './audit-events.repository';
import { RecordEventsUseCase } from './record-events.use-case';

const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

/** The first pass's start; each later pass starts a random gap after the one before. */
const START = Date.parse('2026-12-02T10:00:00.000Z');
const HOUR_MS = 3_600_000;
const PARTITIONS = 6;

/** One record as the broker appended it: what the audit's consumer reads. */
interface Arrival {
  topic: typeof TOPICS.usersRaw | typeof TOPICS.usersPersisted;
  eventId: string;
  partition: number;
  /** Set once every arrival is placed: offsets on a partition follow the broker's clock. */
  offset: number;
  /** The record's Kafka timestamp (LogAppendTime), ms since the epoch. */
  appendedAt: number;
  /** Its envelope's producedAt, ms since the epoch: the event time on users.raw, persistence's clock on acks. */
  producedAt: number;
  value: unknown;
}

const event = fc.record({
  /** When its raw record is appended, after its pass starts. */
  rawDelayMs: fc.integer({ min: 0, max: 1_000 }),
  /** Raw record → acknowledgement of each pass, and whether that pass's acknowledgement has come yet. */
  passes: fc.array(fc.record({ latencyMs: fc.integer({ min: 0, max: 10_000 }), acked: fc.boolean() }), {
    minLength: 3,
    maxLength: 3,
  }),
  ackPartition: fc.nat({ max: PARTITIONS - 1 }),
  /** Persistence stamps its ack's producedAt just before the broker appends it. */
  ackClockLeadMs: fc.integer({ min: 0, max: 3 }),
});

const scenario = fc.record({
  events: fc.array(event, { minLength: 1, maxLength: 12 }),
  /** The batch is produced 1 to 3 times under the same event ids and event times. */
  passCount: fc.integer({ min: 1, max: 3 }),
  /** The first pass is always acknowledged in full; a later pass may still be in flight. */
  gapsMs: fc.array(fc.integer({ min: 1, max: 2 * HOUR_MS }), { minLength: 2, maxLength: 2 }),
  /** The order the audit reads the records in, across topics and partitions, and how they are grouped. */
  orderKeys: fc.array(fc.nat(), { minLength: 72, maxLength: 72 }),
  groupSizes: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 72, maxLength: 72 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

/** The arrivals of one run: every pass's raw records and acknowledgements, offsets in broker-clock order. */
function arrivalsOf(s: Scenario, batchId: string): Arrival[] {
  const ids = s.events.map(() => ({ eventId: randomUUID(), userId: randomUUID() }));
  // The same event time in every pass, as a synthetic retry, an Idempotency-Key retry or a replay keeps it.
  const eventTime = (i: number) => START - 50 + i;
  const arrivals: Arrival[] = [];
  let passStart = START;
  for (let pass = 0; pass < s.passCount; pass++) {
    if (pass > 0) passStart += s.gapsMs[pass - 1];
    s.events.forEach((e, i) => {
      const { eventId, userId } = ids[i];
      const rawAt = passStart + e.rawDelayMs;
      const envelope = { eventId, schemaVersion: 1, source: 'synthetic', batchId };
      arrivals.push({
        topic: TOPICS.usersRaw,
        eventId,
        // users.raw is keyed by the person: every pass lands on one partition.
        partition: i % PARTITIONS,
        offset: -1,
        appendedAt: rawAt,
        producedAt: eventTime(i),
        value: {
          ...envelope,
          producedAt: new Date(eventTime(i)).toISOString(),
          payload: { login: { uuid: userId } },
        },
      });
      const { latencyMs, acked } = e.passes[pass];
      if (pass > 0 && !acked) return;
      const ackAt = rawAt + latencyMs;
      const ackProducedAt = ackAt - e.ackClockLeadMs;
      arrivals.push({
        topic: TOPICS.usersPersisted,
        eventId,
        partition: e.ackPartition,
        offset: -1,
        appendedAt: ackAt,
        producedAt: ackProducedAt,
        value: {
          ...envelope,
          eventId: randomUUID(),
          producedAt: new Date(ackProducedAt).toISOString(),
          payload: { userId, enrichedEventId: eventId, writtenAt: new Date(ackProducedAt).toISOString() },
        },
      });
    });
  }
  const partitionKey = (a: Arrival) => `${a.topic}/${a.partition}`;
  const next = new Map<string, number>();
  for (const a of [...arrivals].sort((x, y) => x.appendedAt - y.appendedAt)) {
    a.offset = next.get(partitionKey(a)) ?? 0;
    next.set(partitionKey(a), a.offset + 1);
  }
  return arrivals;
}

const inbound = (a: Arrival, batchSize: number): InboundMessage => ({
  topic: a.topic,
  partition: a.partition,
  offset: String(a.offset),
  key: null,
  value: Buffer.from(JSON.stringify(a.value)),
  headers:
    a.topic === TOPICS.usersRaw
      ? { [HEADERS.eventId]: a.eventId, [HEADERS.batchSize]: String(batchSize) }
      : {},
  timestamp: a.appendedAt,
  traceHeaders: {},
});

/** The arrival the audit keeps of an event on a topic, by ADR 17: the greatest (producedAt, partition, offset). */
const newest = (arrivals: Arrival[]): Arrival | undefined =>
  [...arrivals].sort(
    (x, y) => x.producedAt - y.producedAt || x.partition - y.partition || x.offset - y.offset,
  )[arrivals.length - 1];

/** PostgreSQL's `percentile_cont`: linear interpolation between the two closest ranks. */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const at = p * (sorted.length - 1);
  const lower = Math.floor(at);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return Math.round(sorted[lower] + (at - lower) * (sorted[upper] - sorted[lower]));
}

/**
 * The timing the batch's kept arrivals give: each event from its kept raw arrival to its kept
 * acknowledgement, by their broker timestamps; an event whose kept acknowledgement answers an earlier pass
 * (appended before the raw arrival kept) is not acknowledged yet and is not timed.
 */
function expectedTiming(arrivals: Arrival[]): BatchTiming {
  const timed: { ingestedAt: number; persistedAt: number }[] = [];
  for (const eventId of new Set(arrivals.map((a) => a.eventId))) {
    const of = (topic: string) => arrivals.filter((a) => a.eventId === eventId && a.topic === topic);
    const raw = newest(of(TOPICS.usersRaw));
    const ack = newest(of(TOPICS.usersPersisted));
    if (raw && ack && ack.appendedAt >= raw.appendedAt)
      timed.push({ ingestedAt: raw.appendedAt, persistedAt: ack.appendedAt });
  }
  if (!timed.length)
    return {
      firstIngestedAt: null,
      lastPersistedAt: null,
      throughputPerSec: null,
      latencyMs: { p50: null, p95: null, p99: null },
    };
  const first = Math.min(...timed.map((t) => t.ingestedAt));
  const last = Math.max(...timed.map((t) => t.persistedAt));
  const latencies = timed.map((t) => t.persistedAt - t.ingestedAt).sort((a, b) => a - b);
  return {
    firstIngestedAt: new Date(first).toISOString(),
    lastPersistedAt: new Date(last).toISOString(),
    throughputPerSec: last > first ? perSecond(timed.length, (last - first) / 1000) : null,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
    },
  };
}

/**
 * Invariant: a batch produced more than once under the same event ids and event times (a synthetic retry,
 * a push retried under its Idempotency-Key, a replayed dead letter), its passes hours apart, reports the
 * timing of the arrivals the audit keeps — each event from when its kept raw arrival entered users.raw to
 * its kept acknowledgement, by the broker's clock — never the gap since the first pass's event time;
 * whatever order the audit reads the records in and however they are grouped.
 */
describe('the timing of a batch produced more than once, on a PostgreSQL database of its own', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  let record: RecordEventsUseCase;
  let queries: AuditQueriesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_batch_timing', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
    record = new RecordEventsUseCase(repo);
    queries = new AuditQueriesUseCase(repo);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('times each event from the arrival the audit keeps, whatever was retried and in whatever order it is read', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const batchId = uniqueName('batch');
        const arrivals = arrivalsOf(s, batchId);
        const read = arrivals
          .map((a, i) => ({ a, key: s.orderKeys[i] }))
          .sort((x, y) => x.key - y.key)
          .map(({ a }) => inbound(a, s.events.length));
        let at = 0;
        for (const size of s.groupSizes) {
          if (at >= read.length) break;
          const outcomes = await record.execute(read.slice(at, at + size));
          expect(outcomes.every((o) => o.status === 'ok')).toBe(true);
          at += size;
        }
        const report = await queries.batchReport(batchId);
        expect(report?.timing).toEqual(expectedTiming(arrivals));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('measures rows recorded before their broker timestamps were kept by their producedAt, as before', async () => {
    const batchId = uniqueName('batch');
    const row = (eventId: string, topic: string, offset: string, producedAt: string): AuditRow => ({
      eventId,
      topic,
      outcome: topic === TOPICS.usersRaw ? 'ingested' : 'persisted',
      userId: null,
      batchId,
      source: 'synthetic',
      partition: 0,
      offset,
      producedAt: new Date(producedAt),
      appendedAt: null,
      reasons: null,
    });
    const [a, b] = [randomUUID(), randomUUID()];
    await repo.record(
      [
        row(a, TOPICS.usersRaw, '1', '2026-12-02T10:00:00.000Z'),
        row(b, TOPICS.usersRaw, '2', '2026-12-02T10:00:00.100Z'),
        row(a, TOPICS.usersPersisted, '1', '2026-12-02T10:00:00.300Z'),
        row(b, TOPICS.usersPersisted, '2', '2026-12-02T10:00:01.100Z'),
      ],
      [{ batchId, source: 'synthetic', expectedCount: 2 }],
    );
    expect(await repo.batchTiming(batchId)).toEqual({
      firstIngestedAt: '2026-12-02T10:00:00.000Z',
      lastPersistedAt: '2026-12-02T10:00:01.100Z',
      throughputPerSec: 1.8,
      latencyMs: { p50: 650, p95: 965, p99: 993 },
    });
  });
});
