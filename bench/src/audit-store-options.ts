/**
 * What the audit's PostgreSQL store costs against the stores it could have had (issue 17's second lever):
 * the same events' fates, written the way the audit writes them (a raw record's row, then its ack's enriched
 * and persisted rows, each Kafka batch in one `unnest` statement), into a scratch database per option and
 * run, made by the audit's own migrations, then read the ways the audit's API reads. Run with
 * `npm run bench:audit-store-options -- --help`.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import {
  AUDIT_MIGRATIONS,
  AuditEventsRepository,
  createAuditDataSource,
  NEWER_THAN_STORED,
  storedInKeyOrder,
  type AuditRow,
} from '@sparkflow/audit-store';
import { TOPICS } from '@sparkflow/contracts';
import { integrationSettings, scratchPostgresDatabase } from '@sparkflow/testing';
import { perSecond } from './run-context';
import {
  SERIES_ARGS,
  positiveWhole as positive,
  pickOptions,
  quantile,
  runMain,
  runSeries,
  writeSeries,
} from './option-series';
import { CpuMeter, StackProcess, cpuMsPerRecord, untilAtRest, type Rest } from './stack-process';

/** One event the pipeline persisted: the three rows the audit keeps of it today. */
export interface AuditedEvent {
  raw: AuditRow;
  enriched: AuditRow;
  persisted: AuditRow;
}

export interface BatchRow {
  batchId: string;
  source: string;
  expectedCount: number | null;
}

/** What a store answers for one event, one batch and one person (null: it cannot answer that). */
export interface Answers {
  /** The stages the event's lineage shows: ingested, enriched, persisted. */
  stagesOfEvent: (ds: DataSource, eventId: string) => Promise<number>;
  /** The batch's persisted count, as its report shows it. */
  persistedOfBatch: ((ds: DataSource, batchId: string) => Promise<number>) | null;
  /** The stages the person's history shows. */
  stagesOfUser: ((ds: DataSource, userId: string) => Promise<number>) | null;
}

export interface AuditStoreOption {
  name: string;
  what: string;
  /** Run after the audit's migrations have made the scratch database. */
  setup: string[];
  /** The tables whose size it reports and which it vacuums after the writes. */
  tables: string[];
  /** A Kafka batch of users.raw records, and the batches first seen in it. */
  writeRaw: (ds: DataSource, rows: AuditRow[], batches: BatchRow[]) => Promise<void>;
  /** A Kafka batch of users.persisted acknowledgements: each event's enriched and persisted rows. */
  writeAcks: (ds: DataSource, events: AuditedEvent[]) => Promise<void>;
  answers: Answers;
}

/** The batches first seen in a Kafka batch, as the audit registers them: in id order, each once. */
async function insertBatches(
  query: (sql: string, params: unknown[]) => Promise<unknown>,
  batches: BatchRow[],
) {
  if (!batches.length) return;
  const b = [...batches].sort((x, y) => (x.batchId < y.batchId ? -1 : 1));
  await query(
    `INSERT INTO batches (batch_id, source, expected_count)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) ON CONFLICT DO NOTHING`,
    [b.map((x) => x.batchId), b.map((x) => x.source), b.map((x) => x.expectedCount)],
  );
}

const byEventId = <T extends { eventId: string }>(items: T[]) =>
  [...items].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Today's store: one row per (event, topic), each Kafka batch in one statement (`AuditEventsRepository`). */
const SPARKFLOW: AuditStoreOption = {
  name: 'sparkflow',
  what: "`audit_events`, one row per event and topic (raw, enriched, persisted): the audit's store",
  setup: [],
  tables: ['audit_events', 'batches'],
  writeRaw: (ds, rows, batches) => new AuditEventsRepository(ds).record(rows, batches),
  writeAcks: (ds, events) =>
    new AuditEventsRepository(ds).record(
      events.flatMap((e) => [e.enriched, e.persisted]),
      [],
    ),
  answers: {
    stagesOfEvent: async (ds, eventId) => (await new AuditEventsRepository(ds).lineage(eventId)).length,
    persistedOfBatch: async (ds, batchId) =>
      (await new AuditEventsRepository(ds).batchCounts(batchId))?.persisted ?? 0,
    stagesOfUser: async (ds, userId) =>
      (await new AuditEventsRepository(ds).userHistory(userId, 100)).rows.length,
  },
};

/**
 * Two rows per event: the enriched stage kept as columns of the row of the ack or dead letter that brings it
 * (it always comes with one, ADR 13) instead of a row of its own.
 */
const TWO_ROWS: AuditStoreOption = {
  name: 'two-rows',
  what: '`audit_events` with the enriched stage as four columns of the terminal row: raw and persisted rows',
  setup: [
    `ALTER TABLE audit_events ADD COLUMN enriched_partition int, ADD COLUMN enriched_offset bigint,
       ADD COLUMN enriched_produced_at timestamptz, ADD COLUMN enriched_appended_at timestamptz`,
  ],
  tables: ['audit_events', 'batches'],
  writeRaw: SPARKFLOW.writeRaw,
  writeAcks: async (ds, events) => {
    const acks = byEventId(events.map((e) => ({ ...e, eventId: e.persisted.eventId })));
    const p = acks.map((e) => e.persisted);
    const en = acks.map((e) => e.enriched);
    // In a transaction, as the audit's own `record` writes a batch: the same statements per batch.
    await ds.transaction((tx) =>
      tx.query(
        `INSERT INTO audit_events AS e (event_id, topic, outcome, user_id, batch_id, source, partition, "offset",
         produced_at, reasons, appended_at, enriched_partition, enriched_offset, enriched_produced_at,
         enriched_appended_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::int[],
         $8::bigint[], $9::timestamptz[], $10::jsonb[], $11::timestamptz[], $12::int[], $13::bigint[],
         $14::timestamptz[], $15::timestamptz[])
       ON CONFLICT (event_id, topic) DO UPDATE SET outcome = excluded.outcome, user_id = excluded.user_id,
         batch_id = excluded.batch_id, source = excluded.source, partition = excluded.partition,
         "offset" = excluded."offset", produced_at = excluded.produced_at, reasons = excluded.reasons,
         appended_at = excluded.appended_at, enriched_partition = excluded.enriched_partition,
         enriched_offset = excluded.enriched_offset, enriched_produced_at = excluded.enriched_produced_at,
         enriched_appended_at = excluded.enriched_appended_at, recorded_at = now()
       WHERE ${NEWER_THAN_STORED}`,
        [
          p.map((r) => r.eventId),
          p.map((r) => r.topic),
          p.map((r) => r.outcome),
          p.map((r) => r.userId),
          p.map((r) => r.batchId),
          p.map((r) => r.source),
          p.map((r) => r.partition),
          p.map((r) => r.offset),
          p.map((r) => iso(r.producedAt)),
          p.map(() => null),
          p.map((r) => iso(r.appendedAt)),
          en.map((r) => r.partition),
          en.map((r) => r.offset),
          en.map((r) => iso(r.producedAt)),
          en.map((r) => iso(r.appendedAt)),
        ],
      ),
    );
  },
  answers: {
    stagesOfEvent: async (ds, eventId) => {
      const rows: { enriched_produced_at: Date | null }[] = await ds.query(
        'SELECT * FROM audit_events WHERE event_id = $1',
        [eventId],
      );
      return rows.length + rows.filter((r) => r.enriched_produced_at !== null).length;
    },
    persistedOfBatch: async (ds, batchId) => {
      const rows: { outcome: string; n: number }[] = await ds.query(
        'SELECT outcome, count(*)::int AS n FROM audit_events WHERE batch_id = $1 GROUP BY outcome',
        [batchId],
      );
      return rows.find((r) => r.outcome === 'persisted')?.n ?? 0;
    },
    stagesOfUser: async (ds, userId) => {
      const rows: { enriched_produced_at: Date | null }[] = await ds.query(
        'SELECT * FROM audit_events WHERE user_id = $1 ORDER BY recorded_at DESC LIMIT 101',
        [userId],
      );
      return rows.length + rows.filter((r) => r.enriched_produced_at !== null).length;
    },
  },
};

/** A value in COPY's text format: `\\N` for null, backslash, tab, newline and carriage return escaped. */
export function copyText(value: string | number | null): string {
  if (value === null) return '\\N';
  return String(value).replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
  );
}

const AUDIT_COLUMNS = `event_id, topic, outcome, user_id, batch_id, source, partition, "offset", produced_at, reasons,
  appended_at`;

/**
 * Rows streamed with COPY into a temporary table of the transaction, then moved into `audit_events` by one
 * INSERT … SELECT with the store's own conflict rule: COPY cannot resolve a conflict itself.
 */
/** The pool's connections that hold the temporary table already (it lives as long as its connection). */
const withCopyTable = new WeakSet<PoolClient>();

async function copyRows(ds: DataSource, rows: AuditRow[], batches: BatchRow[]): Promise<void> {
  const [client, release] = (await (ds.driver as PostgresDriver).obtainMasterConnection()) as [
    PoolClient,
    () => void,
  ];
  try {
    await client.query('BEGIN');
    await insertBatches((sql, params) => client.query(sql, params), batches);
    if (!withCopyTable.has(client)) {
      await client.query(
        'CREATE TEMP TABLE audit_copy (LIKE audit_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
      );
      withCopyTable.add(client);
    }
    const lines = storedInKeyOrder(rows).map(
      (r) =>
        [
          r.eventId,
          r.topic,
          r.outcome,
          r.userId,
          r.batchId,
          r.source,
          r.partition,
          r.offset,
          iso(r.producedAt),
          r.reasons ? JSON.stringify(r.reasons) : null,
          iso(r.appendedAt),
        ]
          .map(copyText)
          .join('\t') + '\n',
    );
    await pipeline(
      Readable.from([lines.join('')]),
      client.query(copyFrom(`COPY audit_copy (${AUDIT_COLUMNS}) FROM STDIN`)),
    );
    await client.query(
      `INSERT INTO audit_events AS e (${AUDIT_COLUMNS})
       SELECT ${AUDIT_COLUMNS} FROM audit_copy ORDER BY event_id, topic
       ON CONFLICT (event_id, topic) DO UPDATE SET outcome = excluded.outcome, user_id = excluded.user_id,
         batch_id = excluded.batch_id, source = excluded.source, partition = excluded.partition,
         "offset" = excluded."offset", produced_at = excluded.produced_at, reasons = excluded.reasons,
         appended_at = excluded.appended_at, recorded_at = now()
       WHERE ${NEWER_THAN_STORED}`,
    );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    release();
  }
}

/** Today's rows and table, sent with COPY instead of one `unnest` INSERT. */
const COPY: AuditStoreOption = {
  name: 'copy',
  what: "`audit_events` as today, each Kafka batch's rows sent with COPY into a temporary table, then INSERT … SELECT",
  setup: [],
  tables: ['audit_events', 'batches'],
  writeRaw: copyRows,
  writeAcks: (ds, events) =>
    copyRows(
      ds,
      events.flatMap((e) => [e.enriched, e.persisted]),
      [],
    ),
  answers: SPARKFLOW.answers,
};

const FATE_COLUMNS = `event_id uuid PRIMARY KEY, user_id uuid, batch_id text, source text,
  raw_partition int, raw_offset bigint, raw_produced_at timestamptz, raw_appended_at timestamptz,
  enriched_partition int, enriched_offset bigint, enriched_produced_at timestamptz, enriched_appended_at timestamptz,
  terminal_outcome text, terminal_partition int, terminal_offset bigint, terminal_produced_at timestamptz,
  terminal_appended_at timestamptz, reasons jsonb, recorded_at timestamptz NOT NULL DEFAULT now()`;

/**
 * One row per event, updated by stage: the raw record inserts it, the ack fills in its enriched and terminal
 * columns. The same secondary indexes as `audit_events` (batch, person, raw event time, BRIN on the terminal
 * append time) so it answers the same queries.
 */
const ONE_ROW: AuditStoreOption = {
  name: 'one-row',
  what: '`audit_fates`, one row per event, inserted by its raw record and updated by its ack',
  setup: [
    `CREATE TABLE audit_fates (${FATE_COLUMNS})`,
    'CREATE INDEX audit_fates_batch ON audit_fates (batch_id)',
    'CREATE INDEX audit_fates_user ON audit_fates (user_id)',
    'CREATE INDEX audit_fates_raw_produced_at ON audit_fates (raw_produced_at, event_id)',
    'CREATE INDEX audit_fates_terminal_brin ON audit_fates USING brin (terminal_appended_at) WITH (autosummarize = on)',
  ],
  tables: ['audit_fates', 'batches'],
  writeRaw: async (ds, rows, batches) => {
    const r = byEventId(rows);
    await ds.transaction(async (tx) => {
      await insertBatches((sql, params) => tx.query(sql, params), batches);
      await tx.query(
        `INSERT INTO audit_fates AS f (event_id, user_id, batch_id, source, raw_partition, raw_offset,
           raw_produced_at, raw_appended_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[],
           $7::timestamptz[], $8::timestamptz[])
         ON CONFLICT (event_id) DO UPDATE SET user_id = coalesce(f.user_id, excluded.user_id),
           batch_id = coalesce(f.batch_id, excluded.batch_id), source = coalesce(f.source, excluded.source),
           raw_partition = excluded.raw_partition, raw_offset = excluded.raw_offset,
           raw_produced_at = excluded.raw_produced_at, raw_appended_at = excluded.raw_appended_at,
           recorded_at = now()
         WHERE (coalesce(excluded.raw_produced_at, '-infinity'), excluded.raw_partition, excluded.raw_offset)
           > (coalesce(f.raw_produced_at, '-infinity'), coalesce(f.raw_partition, -1), coalesce(f.raw_offset, -1))`,
        [
          r.map((x) => x.eventId),
          r.map((x) => x.userId),
          r.map((x) => x.batchId),
          r.map((x) => x.source),
          r.map((x) => x.partition),
          r.map((x) => x.offset),
          r.map((x) => iso(x.producedAt)),
          r.map((x) => iso(x.appendedAt)),
        ],
      );
    });
  },
  writeAcks: async (ds, events) => {
    const acks = byEventId(events.map((e) => ({ ...e, eventId: e.persisted.eventId })));
    const p = acks.map((e) => e.persisted);
    const en = acks.map((e) => e.enriched);
    // In a transaction, as the audit's own `record` writes a batch: the same statements per batch.
    await ds.transaction((tx) =>
      tx.query(
        `INSERT INTO audit_fates AS f (event_id, user_id, batch_id, source, enriched_partition, enriched_offset,
         enriched_produced_at, enriched_appended_at, terminal_outcome, terminal_partition, terminal_offset,
         terminal_produced_at, terminal_appended_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[],
         $7::timestamptz[], $8::timestamptz[], $9::text[], $10::int[], $11::bigint[], $12::timestamptz[],
         $13::timestamptz[])
       ON CONFLICT (event_id) DO UPDATE SET user_id = coalesce(f.user_id, excluded.user_id),
         batch_id = coalesce(f.batch_id, excluded.batch_id), source = coalesce(f.source, excluded.source),
         enriched_partition = excluded.enriched_partition, enriched_offset = excluded.enriched_offset,
         enriched_produced_at = excluded.enriched_produced_at, enriched_appended_at = excluded.enriched_appended_at,
         terminal_outcome = excluded.terminal_outcome, terminal_partition = excluded.terminal_partition,
         terminal_offset = excluded.terminal_offset, terminal_produced_at = excluded.terminal_produced_at,
         terminal_appended_at = excluded.terminal_appended_at, recorded_at = now()
       WHERE (coalesce(excluded.terminal_produced_at, '-infinity'), excluded.terminal_partition,
           excluded.terminal_offset)
         > (coalesce(f.terminal_produced_at, '-infinity'), coalesce(f.terminal_partition, -1),
           coalesce(f.terminal_offset, -1))`,
        [
          p.map((x) => x.eventId),
          p.map((x) => x.userId),
          p.map((x) => x.batchId),
          p.map((x) => x.source),
          en.map((x) => x.partition),
          en.map((x) => x.offset),
          en.map((x) => iso(x.producedAt)),
          en.map((x) => iso(x.appendedAt)),
          p.map((x) => x.outcome),
          p.map((x) => x.partition),
          p.map((x) => x.offset),
          p.map((x) => iso(x.producedAt)),
          p.map((x) => iso(x.appendedAt)),
        ],
      ),
    );
  },
  answers: {
    stagesOfEvent: async (ds, eventId) => stagesOf(await ds.query(FATES_OF_EVENT, [eventId])),
    persistedOfBatch: async (ds, batchId) => {
      const [row]: { persisted: number }[] = await ds.query(
        `SELECT count(*) FILTER (WHERE terminal_outcome = 'persisted')::int AS persisted
         FROM audit_fates WHERE batch_id = $1`,
        [batchId],
      );
      return row.persisted;
    },
    stagesOfUser: async (ds, userId) =>
      stagesOf(await ds.query('SELECT * FROM audit_fates WHERE user_id = $1 LIMIT 101', [userId])),
  },
};

const FATES_OF_EVENT = 'SELECT * FROM audit_fates WHERE event_id = $1';

/** The stages a set of `audit_fates` rows show. */
function stagesOf(
  rows: {
    raw_produced_at: Date | null;
    enriched_produced_at: Date | null;
    terminal_outcome: string | null;
  }[],
): number {
  return rows.reduce(
    (n, r) =>
      n +
      Number(r.raw_produced_at !== null) +
      Number(r.enriched_produced_at !== null) +
      Number(r.terminal_outcome !== null),
    0,
  );
}

/**
 * The floor: one row per event, inserted once by its ack, primary key only. It keeps no raw stage (nothing
 * pending can be found) and answers by event id alone.
 */
const FLOOR: AuditStoreOption = {
  name: 'floor',
  what: '`audit_floor`, one row per event written once by its ack, primary key only: answers by event id alone',
  setup: [
    `CREATE TABLE audit_floor (event_id uuid PRIMARY KEY, outcome text NOT NULL, user_id uuid, batch_id text,
       produced_at timestamptz)`,
  ],
  tables: ['audit_floor'],
  writeRaw: async () => undefined,
  writeAcks: async (ds, events) => {
    const p = byEventId(events.map((e) => e.persisted));
    // In a transaction, as the audit's own `record` writes a batch: the same statements per batch.
    await ds.transaction((tx) =>
      tx.query(
        `INSERT INTO audit_floor (event_id, outcome, user_id, batch_id, produced_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[])
       ON CONFLICT DO NOTHING`,
        [
          p.map((x) => x.eventId),
          p.map((x) => x.outcome),
          p.map((x) => x.userId),
          p.map((x) => x.batchId),
          p.map((x) => iso(x.producedAt)),
        ],
      ),
    );
  },
  answers: {
    stagesOfEvent: async (ds, eventId) =>
      (await ds.query('SELECT * FROM audit_floor WHERE event_id = $1', [eventId])).length,
    persistedOfBatch: null,
    stagesOfUser: null,
  },
};

export const AUDIT_STORE_OPTIONS: readonly AuditStoreOption[] = [SPARKFLOW, COPY, TWO_ROWS, ONE_ROW, FLOOR];

/** The stages an option's lineage of a persisted event shows (the floor keeps its last only). */
export const expectedStages = (o: AuditStoreOption) => (o === FLOOR ? 1 : 3);

const PARTITIONS = 6;

/**
 * `records` persisted events as the audit records them: people in batches of `batchSize` (a POST each), each
 * event's raw, enriched and persisted record on one of users.raw's six partitions at increasing offsets,
 * the broker's append a millisecond after each producer's stamp, enrichment 20 ms and persistence 60 ms
 * after ingestion.
 */
export function auditedEvents(
  records: number,
  batchSize: number,
  now = new Date(),
): { events: AuditedEvent[]; batches: BatchRow[] } {
  const start = now.getTime() - records;
  const batches: BatchRow[] = [];
  const events: AuditedEvent[] = [];
  for (let i = 0; i < records; i++) {
    const batchId = `bench-audit-${Math.floor(i / batchSize)}`;
    if (i % batchSize === 0)
      batches.push({ batchId, source: 'push', expectedCount: Math.min(batchSize, records - i) });
    const eventId = randomUUID();
    const userId = randomUUID();
    const at = (ms: number) => new Date(start + i + ms);
    const row = (topic: string, outcome: AuditRow['outcome'], ms: number): AuditRow => ({
      eventId,
      topic,
      outcome,
      userId,
      batchId,
      source: 'push',
      partition: i % PARTITIONS,
      offset: String(Math.floor(i / PARTITIONS)),
      producedAt: at(ms),
      appendedAt: at(ms + 1),
      reasons: null,
    });
    const raw = row(TOPICS.usersRaw, 'ingested', 0);
    events.push({
      raw,
      enriched: row(TOPICS.usersEnriched, 'enriched', 20),
      persisted: row(TOPICS.usersPersisted, 'persisted', 60),
    });
  }
  return { events, batches };
}

/** A unit of work: a Kafka batch of raw records, or the acknowledgements of the same events. */
export interface WriteJob {
  kind: 'raw' | 'acks';
  chunk: number;
}

/**
 * The order the audit meets its records in: a chunk's raw records, then the next chunk's, then the first
 * chunk's acks, and so on: acks trail their raw records by one chunk, as persistence trails ingestion.
 */
export function writeJobs(chunks: number): WriteJob[] {
  const jobs: WriteJob[] = [];
  for (let c = 0; c <= chunks; c++) {
    if (c < chunks) jobs.push({ kind: 'raw', chunk: c });
    if (c > 0) jobs.push({ kind: 'acks', chunk: c - 1 });
  }
  return jobs;
}

/** A chunk's work, cut before anything is timed: its raw rows, the batches first seen in it, its events. */
interface Chunk {
  raw: AuditRow[];
  batches: BatchRow[];
  events: AuditedEvent[];
}

export function chunksOf(
  events: readonly AuditedEvent[],
  batches: readonly BatchRow[],
  size: number,
): Chunk[] {
  const batchOf = new Map(batches.map((b) => [b.batchId, b]));
  const seen = new Set<string>();
  const chunks: Chunk[] = [];
  for (let start = 0; start < events.length; start += size) {
    const slice = events.slice(start, start + size);
    const first = slice.map((e) => e.raw.batchId as string).filter((id) => !seen.has(id) && !!seen.add(id));
    chunks.push({
      raw: slice.map((e) => e.raw),
      batches: first.map((id) => batchOf.get(id) as BatchRow),
      events: slice,
    });
  }
  return chunks;
}

/**
 * Every job with `concurrency` in flight, in order; a chunk's acks wait for its raw records to be stored
 * (the audit records an ack after its raw record in the pipeline, 60 ms apart and more).
 */
async function writeAll(
  ds: DataSource,
  option: AuditStoreOption,
  chunks: readonly Chunk[],
  concurrency: number,
) {
  const jobs = writeJobs(chunks.length);
  const rawDone = new Map<number, Promise<void>>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const c = chunks[job.chunk];
      if (job.kind === 'acks') {
        await rawDone.get(job.chunk);
        await option.writeAcks(ds, c.events);
        continue;
      }
      const done = option.writeRaw(ds, c.raw, c.batches);
      rawDone.set(job.chunk, done);
      await done;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

interface LookUpResult {
  calls: number;
  p50Ms: number;
  p99Ms: number;
}

/** One call at a time, each timed alone, after one untimed call; every answer checked against `expected`. */
async function timeLookUp(
  ask: (key: string) => Promise<number>,
  keys: readonly string[],
  expected: number,
  what: string,
): Promise<LookUpResult> {
  if (keys.length > 0) await ask(keys[0]);
  const times: number[] = [];
  for (const key of keys) {
    const started = performance.now();
    const got = await ask(key);
    times.push(performance.now() - started);
    if (got !== expected) throw new Error(`${what} ${key}: ${got} where ${expected} were written`);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Number(ms.toFixed(2));
  return { calls: keys.length, p50Ms: round(quantile(times, 0.5)), p99Ms: round(quantile(times, 0.99)) };
}

export interface AuditOptionRun {
  option: string;
  round: number;
  records: number;
  writeMs: number;
  eventsPerSec: number;
  /** PostgreSQL's CPU (postmaster, backends, autovacuum) over the writes, then with a VACUUM ANALYZE after. */
  postgresCpuMsPerEvent: number;
  postgresCpuMsPerEventWithVacuum: number;
  /** The bench's own CPU over the writes: building the statements' arrays, as the audit does. */
  clientCpuMsPerEvent: number;
  walBytesPerEvent: number;
  walBytesPerEventWithVacuum: number;
  /** The option's tables with their indexes after the vacuum. */
  bytesPerEvent: number;
  restBeforeWrites: Rest;
  byEvent: LookUpResult;
  batchReport: LookUpResult | null;
  userHistory: LookUpResult | null;
}

const walPosition = async (ds: DataSource): Promise<string> =>
  (await ds.query('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
const walSince = async (ds: DataSource, from: string): Promise<number> =>
  Number((await ds.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS n', [from]))[0].n);

async function runOption(
  option: AuditStoreOption,
  round: number,
  events: readonly AuditedEvent[],
  batches: readonly BatchRow[],
  settings: { chunk: number; concurrency: number; lookUps: number },
): Promise<AuditOptionRun> {
  const scratch = await scratchPostgresDatabase(`bench_audit_${option.name}`, AUDIT_MIGRATIONS);
  // The audit's own DataSource (its entities, its pool) on the scratch database.
  const ds = createAuditDataSource({ ...scratch.admin, database: scratch.database });
  try {
    await ds.initialize();
    for (const sql of option.setup) await ds.query(sql);
    const postgres = await StackProcess.find(integrationSettings().SPARKFLOW_HOME, 'postgres');
    const chunks = chunksOf(events, batches, settings.chunk);
    // Every connection the writes will use, opened and signed in before anything is timed.
    await Promise.all(Array.from({ length: settings.concurrency }, () => ds.query('SELECT 1')));
    await ds.query('CHECKPOINT');
    const restBeforeWrites = await untilAtRest(postgres);
    const wal0 = await walPosition(ds);
    const meter = await CpuMeter.start([postgres]);
    const client0 = process.cpuUsage();
    const started = performance.now();
    await writeAll(ds, option, chunks, settings.concurrency);
    const writeMs = performance.now() - started;
    const client = process.cpuUsage(client0);
    const writeCpu = (await meter.seconds())[postgres.name] ?? 0;
    const wal = await walSince(ds, wal0);
    await ds.query(`VACUUM (ANALYZE) ${option.tables.join(', ')}`);
    const withVacuumCpu = (await meter.seconds())[postgres.name] ?? 0;
    const walWithVacuum = await walSince(ds, wal0);
    const [{ bytes }]: { bytes: string }[] = await ds.query(
      'SELECT sum(pg_total_relation_size(t))::bigint AS bytes FROM unnest($1::regclass[]) t',
      [option.tables],
    );
    const n = events.length;
    const step = Math.max(1, Math.floor(n / settings.lookUps));
    const sampled = events.filter((_, i) => i % step === 0).slice(0, settings.lookUps);
    const sampledBatches = batches
      .filter((_, i) => i % Math.max(1, Math.floor(batches.length / settings.lookUps)) === 0)
      .slice(0, settings.lookUps);
    const a = option.answers;
    const perEvent = (v: number) => Number((v / n).toFixed(1));
    return {
      option: option.name,
      round,
      records: n,
      writeMs: Math.round(writeMs),
      eventsPerSec: perSecond(n, writeMs),
      postgresCpuMsPerEvent: cpuMsPerRecord(writeCpu, n),
      postgresCpuMsPerEventWithVacuum: cpuMsPerRecord(withVacuumCpu, n),
      clientCpuMsPerEvent: cpuMsPerRecord((client.user + client.system) / 1e6, n),
      walBytesPerEvent: perEvent(wal),
      walBytesPerEventWithVacuum: perEvent(walWithVacuum),
      bytesPerEvent: perEvent(Number(bytes)),
      restBeforeWrites,
      byEvent: await timeLookUp(
        (id) => a.stagesOfEvent(ds, id),
        sampled.map((e) => e.raw.eventId),
        expectedStages(option),
        'stages of event',
      ),
      batchReport:
        a.persistedOfBatch &&
        (await timeLookUp(
          (id) => (a.persistedOfBatch as NonNullable<Answers['persistedOfBatch']>)(ds, id),
          sampledBatches.filter((b) => b.expectedCount === batches[0].expectedCount).map((b) => b.batchId),
          batches[0].expectedCount ?? 0,
          'persisted of batch',
        )),
      userHistory:
        a.stagesOfUser &&
        (await timeLookUp(
          (id) => (a.stagesOfUser as NonNullable<Answers['stagesOfUser']>)(ds, id),
          sampled.map((e) => e.raw.userId as string),
          3,
          'stages of person',
        )),
    };
  } catch (e) {
    throw new Error(`option ${option.name}, round ${round}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await scratch.drop();
  }
}

const lookUpCell = (r: LookUpResult | null) => (r === null ? 'cannot answer' : `${r.p50Ms} / ${r.p99Ms} ms`);

/** A markdown table of every run, in the order they ran. */
export function markdownTable(runs: readonly AuditOptionRun[]): string {
  const lines = [
    '| option | round | events/s | PostgreSQL CPU-ms per event (writes) | … with the vacuum | client CPU-ms per event | WAL bytes per event (… with the vacuum) | stored bytes per event | by event p50 / p99 | batch report p50 / p99 | person p50 / p99 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const r of runs) {
    lines.push(
      `| ${r.option} | ${r.round} | ${r.eventsPerSec.toLocaleString('en-US')} | ${r.postgresCpuMsPerEvent} | ${r.postgresCpuMsPerEventWithVacuum} | ${r.clientCpuMsPerEvent} | ${r.walBytesPerEvent} (${r.walBytesPerEventWithVacuum}) | ${r.bytesPerEvent} | ${lookUpCell(r.byEvent)} | ${lookUpCell(r.batchReport)} | ${lookUpCell(r.userHistory)} |`,
    );
  }
  return lines.join('\n');
}

const HELP = `npm run bench:audit-store-options -- [options]

Records the same persisted events' fates into a scratch PostgreSQL database per store option (made by the
audit's migrations on the running stack's server, dropped after), and reports each option's write rate,
PostgreSQL's CPU per event (over the writes, then with a VACUUM ANALYZE), the bench's own CPU per event,
WAL and stored bytes per event, and the latency of the look-ups the audit's API makes. One run is made
and discarded first (a warm-up); the rounds then follow a Williams order, as in bench:schema-options.

  --records N       events per option and round (default 60000)
  --rounds N        rounds (default 10: with five options the order is balanced over ten)
  --batch N         people per ingestion batch, one batch id each (default 100, a POST of the latency stage)
  --chunk N         records per Kafka batch the audit writes in one statement (default 100)
  --concurrency N   statements in flight: the audit's partitionsConsumedConcurrently (default 4)
  --look-ups N      events, batches and people looked up (default 500)
  --only a,b        these options only (${AUDIT_STORE_OPTIONS.map((o) => o.name).join(', ')})
  --out FILE        also write the runs, the machine and the options given as JSON to FILE`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...SERIES_ARGS,
      // Five options: a Williams order is balanced over ten rounds (twice their number, it being odd).
      rounds: { type: 'string', default: '10' },
      batch: { type: 'string', default: '100' },
      chunk: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const records = positive('records', values.records);
  const rounds = positive('rounds', values.rounds);
  const settings = {
    chunk: positive('chunk', values.chunk),
    concurrency: positive('concurrency', values.concurrency),
    lookUps: positive('look-ups', values['look-ups']),
  };
  const batchSize = positive('batch', values.batch);
  const options = pickOptions(AUDIT_STORE_OPTIONS, values.only);

  const startedAt = new Date().toISOString();
  const { events, batches } = auditedEvents(records, batchSize);
  const log = (run: AuditOptionRun, label: string) =>
    console.error(
      `[audit-store-options ${new Date().toISOString().slice(11, 19)}] ${label} ${run.option}: ${run.eventsPerSec} events/s, PostgreSQL ${run.postgresCpuMsPerEvent} CPU-ms per event (${run.postgresCpuMsPerEventWithVacuum} with the vacuum), ${run.walBytesPerEvent} WAL bytes per event${run.restBeforeWrites.reached ? '' : `; PostgreSQL was not at rest before the writes (${run.restBeforeWrites.cores} cores)`}`,
    );
  const runs = await runSeries(
    options,
    rounds,
    (option, round) => runOption(option, round, events, batches, settings),
    log,
  );
  console.log(markdownTable(runs));
  console.log('');
  for (const o of options) console.log(`- **${o.name}**: ${o.what}`);
  if (values.out)
    await writeSeries(values.out, startedAt, { records, rounds, batch: batchSize, ...settings }, runs);
  return 0;
}

if (require.main === module) runMain('audit-store-options', main);
