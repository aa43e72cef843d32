import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import {
  type BatchCounts,
  type BatchListCursor,
  type BatchSummary,
  type BatchTiming,
  type LateDay,
  type PendingEvent,
} from '@sparkflow/contracts';
import { isBatchComplete } from '../batches/batch-complete';
import { AuditEventEntity, type AuditOutcome } from '../entities/audit-event.entity';
import { BatchEntity } from '../entities/batch.entity';

export type AuditRow = Omit<AuditEventEntity, 'recordedAt'>;

/** A batch as retention reads it: where it is in registration order, its counts, its newest row's record. */
/** A batch id rows are filed under that no registration names, with its rows before a cutoff (ADR 27). */
export interface UnregisteredBatch {
  batchId: string;
  /** Its rows in `audit_events`, every topic. */
  rows: number;
}

export interface RegisteredBatch {
  cursor: BatchListCursor;
  expected: number | null;
  lastRecordedAt: Date | null;
  /** Its rows in `audit_events`, every topic. */
  rows: number;
  ingested: number;
  enriched: number;
  deadLettered: number;
  persisted: number;
}

/**
 * A batch's timing, each persisted event measured from when the broker appended the raw arrival the audit
 * keeps to when it appended the acknowledgement the audit keeps (both `appended_at`, one clock). A batch
 * produced again under the same event ids and event times (a retry, a replayed dead letter) is so timed by
 * its newest pass, never by the gap since the first pass's event time. A row recorded before `appended_at`
 * existed is measured by its `produced_at`, as before. An event whose kept acknowledgement was appended
 * before its kept raw arrival answers an earlier pass: it was sent again and is not acknowledged yet, so
 * it is left out until it is (ADR 20).
 */
const BATCH_TIMING = `
  WITH timed AS (
    SELECT coalesce(r.appended_at, r.produced_at) AS ingested_at,
      coalesce(p.appended_at, p.produced_at) AS persisted_at
    FROM audit_events r
    JOIN audit_events p ON p.event_id = r.event_id AND p.topic = 'users.persisted'
    WHERE r.batch_id = $1 AND r.topic = 'users.raw'
  )
  SELECT min(ingested_at) AS first_ingested, max(persisted_at) AS last_persisted, count(*)::int AS persisted,
    percentile_cont(0.50) WITHIN GROUP (ORDER BY extract(epoch FROM persisted_at - ingested_at) * 1000) AS p50,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM persisted_at - ingested_at) * 1000) AS p95,
    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM persisted_at - ingested_at) * 1000) AS p99
  FROM timed WHERE persisted_at >= ingested_at`;

/**
 * Each (event, topic) row holds the event's newest arrival on that topic: the greatest by `arrivalOrder`
 * (a placed record after an unplaced received row, then produced_at, partition, offset). A redelivery of
 * the same record is no newer, so it changes no cell; a later dead letter of a replayed event, or the
 * replayed record itself, takes the row's place, stamped at the time it is recorded. A greatest is the same
 * whatever order the arrivals come in (ADR 17).
 */
export const NEWER_THAN_STORED = `
  (excluded.partition IS NOT NULL, coalesce(excluded.produced_at, '-infinity'),
    coalesce(excluded.partition, -1), coalesce(excluded."offset", -1))
  > (e.partition IS NOT NULL, coalesce(e.produced_at, '-infinity'),
    coalesce(e.partition, -1), coalesce(e."offset", -1))`;

const INSERT_EVENTS = `
  INSERT INTO audit_events AS e (event_id, topic, outcome, user_id, batch_id, source, partition, "offset",
    produced_at, reasons, appended_at)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::int[],
    $8::bigint[], $9::timestamptz[], $10::jsonb[], $11::timestamptz[])
  ON CONFLICT (event_id, topic) DO UPDATE SET outcome = excluded.outcome, user_id = excluded.user_id,
    batch_id = excluded.batch_id, source = excluded.source, partition = excluded.partition,
    "offset" = excluded."offset", produced_at = excluded.produced_at, reasons = excluded.reasons,
    appended_at = excluded.appended_at, recorded_at = now()
  WHERE ${NEWER_THAN_STORED}`;

/** `NEWER_THAN_STORED` in TypeScript: negative when `a` arrived before `b`, 0 for the same record. */
export function arrivalOrder(a: AuditRow, b: AuditRow): number {
  const placed = (r: AuditRow) => (r.partition === null ? 0 : 1);
  const time = (r: AuditRow) => (r.producedAt ? r.producedAt.getTime() : Number.MIN_SAFE_INTEGER);
  const offset = (r: AuditRow) => (r.offset === null ? -1n : BigInt(r.offset));
  const byOffset = offset(a) - offset(b);
  return (
    placed(a) - placed(b) ||
    Math.sign(time(a) - time(b)) ||
    (a.partition ?? -1) - (b.partition ?? -1) ||
    (byOffset > 0n ? 1 : byOffset < 0n ? -1 : 0)
  );
}

/**
 * One row per (event, topic), the newest by `arrivalOrder`, in key order. PostgreSQL refuses to update one
 * row twice in a statement, and the newest is what the row would hold after the rows one by one. Key order
 * is the order the statement locks rows in: two transactions that share keys (a users.persisted and a
 * users.dlq partition both writing an event's enriched row, two replicas during a rebalance) then wait on
 * each other in one direction and never deadlock, which PostgreSQL would break by failing one of them.
 */
export function storedInKeyOrder(rows: AuditRow[]): AuditRow[] {
  const newest = new Map<string, AuditRow>();
  for (const r of rows) {
    const key = `${r.eventId.toLowerCase()}\u0000${r.topic}`; // a uuid, whatever its case
    const held = newest.get(key);
    if (!held || arrivalOrder(r, held) > 0) newest.set(key, r);
  }
  return [...newest.keys()].sort().map((key) => newest.get(key) as AuditRow);
}

const INSERT_BATCHES = `
  INSERT INTO batches (batch_id, source, expected_count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
  ON CONFLICT DO NOTHING`;

/** `created_at` as the microseconds since the epoch PostgreSQL keeps, exactly: a cursor's position. */
const CREATED_MICROS = `(extract(epoch FROM created_at) * 1000000)::bigint::text`;

/**
 * A batch's counts by outcome over its rows `e`, each event once by its latest fate as in COUNT_OUTCOMES (a
 * dead-lettered event later persisted counts as persisted only): the columns of a LATERAL `c`.
 */
const OUTCOME_COUNTS = `
      count(*) FILTER (WHERE outcome = 'ingested')::int AS ingested,
      count(*) FILTER (WHERE outcome = 'enriched')::int AS enriched,
      count(*) FILTER (WHERE outcome = 'dead-lettered' AND NOT EXISTS (
        SELECT 1 FROM audit_events p WHERE p.event_id = e.event_id AND p.topic = 'users.persisted'
      ))::int AS dead_lettered,
      count(*) FILTER (WHERE outcome = 'persisted')::int AS persisted`;
/** Those counts as read from `c`, 0 for a batch without rows. */
const OUTCOME_COUNT_COLUMNS = `coalesce(c.ingested, 0) AS ingested, coalesce(c.enriched, 0) AS enriched,
    coalesce(c.dead_lettered, 0) AS dead_lettered, coalesce(c.persisted, 0) AS persisted`;

/**
 * Each batch registered since $1 with its counts by outcome (one index range per batch), newest first, ties
 * of `created_at` by batch id; a dead-lettered event later persisted counts as persisted only, as in
 * COUNT_OUTCOMES. With `unmarkedOnly`, the batches recorded complete (`completed_at`) are left out before
 * any is counted or cut to the limit: the partial index `batches_not_complete_created_at` holds just the
 * others (ADR 18). With `after`, only the batches after ($3 µs since the epoch, $4) in that order: each
 * page of a listing starts just after the last one's last batch, two batches of one instant included.
 */
// The newest batches first, cut to the limit before any is counted: counting is the cost (every event row).
const batchesSinceQuery = (unmarkedOnly: boolean, after: boolean) => `
  SELECT b.batch_id, b.source, b.expected_count, b.created_at, b.created_micros,
    ${OUTCOME_COUNT_COLUMNS}
  FROM (
    SELECT batch_id, source, expected_count, created_at, ${CREATED_MICROS} AS created_micros FROM batches
    WHERE created_at >= $1${unmarkedOnly ? ' AND completed_at IS NULL' : ''}${
      after
        ? ` AND (created_at < 'epoch'::timestamptz + $3::bigint * interval '1 microsecond'
      OR (created_at = 'epoch'::timestamptz + $3::bigint * interval '1 microsecond' AND batch_id > $4))`
        : ''
    }
    ORDER BY created_at DESC, batch_id
    LIMIT $2
  ) b
  LEFT JOIN LATERAL (
    SELECT ${OUTCOME_COUNTS}
    FROM audit_events e WHERE e.batch_id = b.batch_id
  ) c ON true
  ORDER BY b.created_at DESC, b.batch_id`;

/** Marks batches complete, each once: a batch already marked keeps the time it was first found complete. */
const MARK_COMPLETE = `
  UPDATE batches SET completed_at = now() WHERE batch_id = ANY($1::text[]) AND completed_at IS NULL`;

/**
 * A batch's rows by outcome, and how many of its dead-lettered events were persisted afterwards (a dead
 * letter replayed, verbatim or corrected, keeps its event id): each event counts once, by its latest
 * fate. An event with a persisted row counts as persisted whatever dead letter it also has, since its
 * person is in Cassandra. The second count looks up only the batch's dead letters, each by primary key:
 * the cost stays that of the first, and nothing is written for it.
 */
const COUNT_OUTCOMES = `
  SELECT outcome, count(*)::int AS n FROM audit_events WHERE batch_id = $1 GROUP BY outcome
  UNION ALL
  SELECT 'persisted-after-dead-letter', count(*)::int FROM audit_events d
  WHERE d.batch_id = $1 AND d.outcome = 'dead-lettered'
    AND EXISTS (SELECT 1 FROM audit_events p WHERE p.event_id = d.event_id AND p.topic = 'users.persisted')`;

/**
 * The raw rows whose event time is in [$1, $2) with neither a persisted nor a dead-lettered row (each looked up
 * by primary key): how many, and the oldest by event time. `audit_events_raw_produced_at` holds just the raw
 * rows, in event-time order, so both read the window's rows and no others.
 */
const PENDING_IN_WINDOW = `
  WITH pending AS (
    SELECT r.event_id, r.batch_id, r.produced_at FROM audit_events r
    WHERE r.topic = 'users.raw' AND r.produced_at >= $1 AND r.produced_at < $2
      AND NOT EXISTS (SELECT 1 FROM audit_events t
        WHERE t.event_id = r.event_id AND t.topic IN ('users.persisted', 'users.dlq'))
  )
  SELECT (SELECT count(*)::int FROM pending) AS pending, o.event_id, o.batch_id, o.produced_at
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (SELECT * FROM pending ORDER BY produced_at, event_id LIMIT 1) o ON true`;

/**
 * The terminal rows (users.persisted, users.dlq) the broker appended in [$1, $2), by the UTC day of their
 * event's event time. A terminal row's own `produced_at` is not it: an ack is stamped when persistence wrote
 * it, a dead letter when it failed (a backfill of a past day is acknowledged today). The event time is the
 * event's enriched row's `produced_at` (the version persistence wrote or gave up on, which a corrected replay
 * restamps), else its raw row's; each is looked up by primary key. The BRIN index on `appended_at`
 * (`TerminalRowsByAppendTime1796860800000`) reads the interval's blocks only. Rows with no `appended_at`
 * (recorded before the audit kept broker times) or no event time known are left out.
 */
const TERMINAL_DAYS_APPENDED_IN = `
  SELECT to_char(day, 'YYYY-MM-DD') AS day, count(*)::int AS events, max(appended_at) AS last_appended_at
  FROM (
    SELECT (coalesce(e.produced_at, r.produced_at) AT TIME ZONE 'UTC')::date AS day, t.appended_at
    FROM audit_events t
    LEFT JOIN audit_events e ON e.event_id = t.event_id AND e.topic = 'users.enriched'
    LEFT JOIN audit_events r ON r.event_id = t.event_id AND r.topic = 'users.raw'
    WHERE t.topic IN ('users.persisted', 'users.dlq') AND t.appended_at >= $1 AND t.appended_at < $2
  ) terminal
  WHERE day IS NOT NULL
  GROUP BY day
  ORDER BY day`;

/**
 * Batches registered before $1, oldest first, at most $2, with `after` only those after ($3 µs since the
 * epoch, $4) in that order (a row comparison, so the index `batches_created_at` starts the scan there):
 * each with its counts as `batchesSince` counts them, and the last time the audit recorded any of its rows
 * (`recorded_at`, the audit's own clock, restamped by every newer arrival). Retention reads them page by
 * page (`ForgetSettledBatches`).
 */
const batchesRegisteredBeforeQuery = (after: boolean) => `
  SELECT b.batch_id, b.expected_count, b.created_micros, c.last_recorded_at, c.rows,
    ${OUTCOME_COUNT_COLUMNS}
  FROM (
    SELECT batch_id, expected_count, created_at, ${CREATED_MICROS} AS created_micros FROM batches
    WHERE created_at < $1${
      after
        ? `
      AND (created_at, batch_id) > ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4::text)`
        : ''
    }
    ORDER BY created_at, batch_id
    LIMIT $2
  ) b
  LEFT JOIN LATERAL (
    SELECT max(recorded_at) AS last_recorded_at, count(*)::int AS rows,
      ${OUTCOME_COUNTS}
    FROM audit_events e WHERE e.batch_id = b.batch_id
  ) c ON true
  ORDER BY b.created_at, b.batch_id`;

/**
 * Retention's delete (ADR 27), statements in one transaction, each reading what committed before it began:
 * - of the batches $1, those still registered before $2 none of whose rows was recorded at or after $2,
 *   locked, skipping any another pass holds;
 * - every row filed under them, locked in key order, the order the recording path locks rows in, so the
 *   two wait on each other in one direction and never deadlock;
 * - the batches again, keeping only those still quiet: a row the audit replaced while the pass waited for
 *   its lock is recorded after $2 now, and keeps its batch whole;
 * - their rows deleted, and then the batches under which no row is left. A row recorded since the rows were
 *   locked is a new one (every old one is locked), recorded after $2 and kept, with its batch: the batch
 *   counts what arrived since, as one registered anew.
 * The batch locks keep other passes out, not the recording path (its registration takes no lock on a
 * batch that exists): a row committed after the last statement began, in a transaction that found the
 * batch still registered, is left without a registration, and forgotten as such (UNREGISTERED_WITH_OLD_ROWS).
 */
const LOCK_FORGETTABLE_BATCHES = `
  SELECT b.batch_id FROM batches b
  WHERE b.batch_id = ANY($1::text[]) AND b.created_at < $2
    AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.batch_id = b.batch_id AND e.recorded_at >= $2)
  ORDER BY b.batch_id
  FOR UPDATE SKIP LOCKED`;
const LOCK_THEIR_ROWS = `
  SELECT 1 FROM audit_events WHERE batch_id = ANY($1::text[]) ORDER BY event_id, topic FOR UPDATE`;
const STILL_QUIET = `
  SELECT b.batch_id FROM batches b WHERE b.batch_id = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.batch_id = b.batch_id AND e.recorded_at >= $2)`;
const DELETE_THEIR_ROWS = `DELETE FROM audit_events WHERE batch_id = ANY($1::text[]) AND recorded_at < $2`;
const DELETE_EMPTY_BATCHES = `
  DELETE FROM batches b WHERE b.batch_id = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.batch_id = b.batch_id)`;

/**
 * The batch ids rows are filed under that no registration names and that hold a row recorded before $1,
 * each with how many, in batch-id order. A batch is registered by its users.raw records alone, so such rows
 * are: rows of a batch retention forgot that were recorded after it (a dead letter replayed to
 * users.enriched; a row committed as its batch was being forgotten), dead letters that named no batch (filed
 * under `unknown`), a batch whose every person ingestion refused (its rows come from dead letters alone),
 * and rows recorded ahead of their batch's raw records, which the audit reads within
 * as long as the broker keeps users.raw records (AUDIT_RETENTION_DAYS is at least that). A loose index scan of
 * `audit_events_batch_idx`: one descent per distinct batch id, not one per row; the counts only for the ids
 * no registration names.
 */
const UNREGISTERED_WITH_OLD_ROWS = `
  WITH RECURSIVE ids AS (
    (SELECT batch_id FROM audit_events WHERE batch_id IS NOT NULL ORDER BY batch_id LIMIT 1)
    UNION ALL
    SELECT (SELECT e.batch_id FROM audit_events e WHERE e.batch_id > ids.batch_id ORDER BY e.batch_id LIMIT 1)
    FROM ids WHERE ids.batch_id IS NOT NULL
  ), unregistered AS (
    SELECT batch_id FROM ids
    WHERE batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = ids.batch_id)
  )
  SELECT u.batch_id, c.rows FROM unregistered u
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS rows FROM audit_events e WHERE e.batch_id = u.batch_id AND e.recorded_at < $1
  ) c
  WHERE c.rows > 0
  ORDER BY u.batch_id`;
/** The rows under these batch ids recorded before $2, locked in key order: the ones a delete may take. */
const LOCK_THEIR_OLD_ROWS = `
  SELECT 1 FROM audit_events WHERE batch_id = ANY($1::text[]) AND recorded_at < $2
  ORDER BY event_id, topic FOR UPDATE`;
/**
 * Retention's delete of unregistered rows, after LOCK_THEIR_OLD_ROWS: the rows under these batch ids of
 * events every row of which (under any batch id) was recorded before $2 and is filed under an id no
 * registration names. An event is forgotten whole, never part of it, as a batch is; the ids hold no batch to
 * judge (`unknown` gathers events of many requests). An event with a row under no batch (kept for good) or
 * under a registered batch (kept with it) keeps every row; once that batch is forgotten, its other rows go
 * at a later look. A batch the recording path registers meanwhile (a raw record of it replayed) keeps its
 * rows.
 */
const DELETE_UNREGISTERED_QUIET_EVENTS = `
  DELETE FROM audit_events e
  WHERE e.batch_id = ANY($1::text[]) AND e.recorded_at < $2
    AND NOT EXISTS (
      SELECT 1 FROM audit_events x WHERE x.event_id = e.event_id
        AND (x.recorded_at >= $2 OR x.batch_id IS NULL
          OR EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = x.batch_id))
    )
  RETURNING e.batch_id`;

/** The session lock one retention pass holds, so that one replica forgets while the others wait their turn. */
const RETENTION_LOCK = `hashtext('sparkflow-audit-retention')`;

const STAGE_ORDER: Record<AuditOutcome, number> = {
  ingested: 0,
  enriched: 1,
  persisted: 2,
  'dead-lettered': 2,
};

/**
 * Oldest first. An event's enriched row is stored with the ack or dead letter that settles it, in one
 * statement and so at one `recorded_at`: the pipeline's order breaks the tie.
 */
function inStageOrder(rows: AuditEventEntity[]): AuditEventEntity[] {
  return rows.sort(
    (a, b) =>
      new Date(a.recordedAt).getTime() - new Date(b.recordedAt).getTime() ||
      STAGE_ORDER[a.outcome] - STAGE_ORDER[b.outcome],
  );
}

/**
 * `count` per `seconds`, as a batch report shows it: whole units from 10 up, two significant digits below
 * (3 users over 204 s is 0.015/s, not 0), so a slow batch's rate is never shown as none.
 */
export function perSecond(count: number, seconds: number): number {
  const rate = count / seconds;
  return rate >= 10 ? Math.round(rate) : Number(rate.toPrecision(2));
}

/**
 * All SQL of the audit store. An event has one row per topic, its newest arrival there: a redelivery counts
 * once and changes nothing, a later arrival (a replayed event failing again) is the row's current state.
 */
export class AuditEventsRepository {
  /** On the pool (a DataSource), or on one connection (a query runner's manager: retention's session). */
  constructor(private readonly ds: DataSource | EntityManager) {}

  /**
   * Two statements in one transaction, whatever the number of rows: each column travels as one array
   * parameter and `unnest` turns them back into rows. (TypeORM's insert builder spent more CPU building
   * a multi-row VALUES list than PostgreSQL spent inserting it.)
   */
  async record(
    rows: AuditRow[],
    batches: { batchId: string; source: string; expectedCount: number | null }[],
  ): Promise<void> {
    if (!rows.length) return;
    await this.ds.transaction(async (tx) => {
      if (batches.length) {
        // Same order in every transaction, so concurrent partitions never wait on each other in a cycle.
        const sorted = [...batches].sort((a, b) => (a.batchId < b.batchId ? -1 : 1));
        await tx.query(INSERT_BATCHES, [
          sorted.map((b) => b.batchId),
          sorted.map((b) => b.source),
          sorted.map((b) => b.expectedCount),
        ]);
      }
      const stored = storedInKeyOrder(rows);
      await tx.query(INSERT_EVENTS, [
        stored.map((r) => r.eventId),
        stored.map((r) => r.topic),
        stored.map((r) => r.outcome),
        stored.map((r) => r.userId),
        stored.map((r) => r.batchId),
        stored.map((r) => r.source),
        stored.map((r) => r.partition),
        stored.map((r) => r.offset),
        stored.map((r) => r.producedAt?.toISOString() ?? null),
        stored.map((r) => (r.reasons ? JSON.stringify(r.reasons) : null)),
        stored.map((r) => r.appendedAt?.toISOString() ?? null),
      ]);
    });
  }

  async lineage(eventId: string): Promise<AuditEventEntity[]> {
    return inStageOrder(await this.ds.getRepository(AuditEventEntity).find({ where: { eventId } }));
  }

  /**
   * The person's `limit` newest rows (by `recorded_at`, ties in key order), oldest first, and whether older
   * ones were left out.
   */
  async userHistory(
    userId: string,
    limit: number,
  ): Promise<{ rows: AuditEventEntity[]; truncated: boolean }> {
    const newest = await this.ds.getRepository(AuditEventEntity).find({
      where: { userId },
      order: { recordedAt: 'DESC', eventId: 'ASC', topic: 'ASC' },
      take: limit + 1,
    });
    // Oldest first before the stable sort: rows whose recorded_at differ only in microseconds (the Date
    // keeps milliseconds) stay in PostgreSQL's order.
    return { rows: inStageOrder(newest.slice(0, limit).reverse()), truncated: newest.length > limit };
  }

  /** Any one user of the batch that reached Cassandra, to show people where to look. */
  async sampleUser(batchId: string): Promise<string | null> {
    const rows: { user_id: string }[] = await this.ds.query(
      `SELECT user_id FROM audit_events WHERE batch_id = $1 AND topic = 'users.persisted' LIMIT 1`,
      [batchId],
    );
    return rows[0]?.user_id ?? null;
  }

  async batchTiming(batchId: string): Promise<BatchTiming> {
    const [row]: {
      first_ingested: Date | null;
      last_persisted: Date | null;
      persisted: number;
      p50: number | null;
      p95: number | null;
      p99: number | null;
    }[] = await this.ds.query(BATCH_TIMING, [batchId]);
    const seconds =
      row.first_ingested && row.last_persisted
        ? (row.last_persisted.getTime() - row.first_ingested.getTime()) / 1000
        : null;
    const round = (v: number | null) => (v === null ? null : Math.round(Number(v)));
    return {
      firstIngestedAt: row.first_ingested?.toISOString() ?? null,
      lastPersistedAt: row.last_persisted?.toISOString() ?? null,
      throughputPerSec: seconds && seconds > 0 ? perSecond(row.persisted, seconds) : null,
      latencyMs: { p50: round(row.p50), p95: round(row.p95), p99: round(row.p99) },
    };
  }

  async batchCounts(batchId: string): Promise<BatchCounts | null> {
    // Counts first: a batch's row is written once, in the transaction of its first events, so when the
    // counts see those events the later read sees the row too. The other order could pair a batch row not
    // yet committed (no `expected`) with counts committed just after it.
    const rows: { outcome: AuditOutcome | 'persisted-after-dead-letter'; n: number }[] = await this.ds.query(
      COUNT_OUTCOMES,
      [batchId],
    );
    const batch = await this.ds.getRepository(BatchEntity).findOneBy({ batchId });
    const n = (o: (typeof rows)[number]['outcome']) => rows.find((r) => r.outcome === o)?.n ?? 0;
    if (!batch && !rows.some((r) => r.outcome !== 'persisted-after-dead-letter')) return null;
    const counts = {
      batchId,
      source: batch?.source ?? null,
      expected: batch?.expectedCount ?? null,
      ingested: n('ingested'),
      enriched: n('enriched'),
      deadLettered: n('dead-lettered') - n('persisted-after-dead-letter'),
      persisted: n('persisted'),
    };
    return { ...counts, complete: isBatchComplete(counts) };
  }

  /**
   * Batches registered at or after `since`, newest first, at most `limit`; `complete` is left to the caller.
   * With `unmarkedOnly`, only those not recorded complete by `markComplete`; with `after`, only those after
   * that batch in the list's order. Each comes with its own cursor, where a list that ends with it goes on.
   */
  async batchesSince(
    since: Date,
    limit: number,
    unmarkedOnly = false,
    after: BatchListCursor | null = null,
  ): Promise<(Omit<BatchSummary, 'complete'> & { cursor: BatchListCursor })[]> {
    const parameters: unknown[] = [since.toISOString(), limit];
    if (after) parameters.push(after.createdAtMicros.toString(), after.batchId);
    const rows: {
      batch_id: string;
      source: string;
      expected_count: number | null;
      created_at: Date;
      created_micros: string;
      ingested: number;
      enriched: number;
      dead_lettered: number;
      persisted: number;
    }[] = await this.ds.query(batchesSinceQuery(unmarkedOnly, after !== null), parameters);
    return rows.map((r) => ({
      cursor: { createdAtMicros: BigInt(r.created_micros), batchId: r.batch_id },
      batchId: r.batch_id,
      source: r.source,
      expected: r.expected_count,
      createdAt: r.created_at.toISOString(),
      ingested: r.ingested,
      enriched: r.enriched,
      deadLettered: r.dead_lettered,
      persisted: r.persisted,
    }));
  }

  /**
   * Events with an event time in [from, to) the audit recorded as ingested and as nothing terminal yet
   * (persisted or dead-lettered): how many, and the oldest.
   */
  async pendingIn(from: Date, to: Date): Promise<{ pending: number; oldest: PendingEvent | null }> {
    const [row]: {
      pending: number;
      event_id: string | null;
      batch_id: string | null;
      produced_at: Date | null;
    }[] = await this.ds.query(PENDING_IN_WINDOW, [from.toISOString(), to.toISOString()]);
    const oldest =
      row.event_id && row.produced_at
        ? { eventId: row.event_id, batchId: row.batch_id, producedAt: row.produced_at.toISOString() }
        : null;
    return { pending: row.pending, oldest };
  }

  /** The event days of the terminal rows appended in [from, to), ascending (`TERMINAL_DAYS_APPENDED_IN`). */
  async terminalDaysAppendedIn(from: Date, to: Date): Promise<LateDay[]> {
    const rows: { day: string; events: number; last_appended_at: Date }[] = await this.ds.query(
      TERMINAL_DAYS_APPENDED_IN,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({
      day: r.day,
      events: r.events,
      lastAppendedAt: r.last_appended_at.toISOString(),
    }));
  }

  /**
   * Batches registered before `before`, oldest first, after `after` in that order (from the first with
   * null), at most `limit`; each with its counts and when the audit last recorded one of its rows.
   */
  async batchesRegisteredBefore(
    before: Date,
    after: BatchListCursor | null,
    limit: number,
  ): Promise<RegisteredBatch[]> {
    const rows: {
      batch_id: string;
      expected_count: number | null;
      created_micros: string;
      last_recorded_at: Date | null;
      ingested: number;
      enriched: number;
      dead_lettered: number;
      persisted: number;
      rows: number | null;
    }[] = await this.ds.query(
      batchesRegisteredBeforeQuery(after !== null),
      after
        ? [before.toISOString(), limit, after.createdAtMicros.toString(), after.batchId]
        : [before.toISOString(), limit],
    );
    return rows.map((r) => ({
      cursor: { createdAtMicros: BigInt(r.created_micros), batchId: r.batch_id },
      expected: r.expected_count,
      lastRecordedAt: r.last_recorded_at,
      rows: r.rows ?? 0,
      ingested: r.ingested,
      enriched: r.enriched,
      deadLettered: r.dead_lettered,
      persisted: r.persisted,
    }));
  }

  /**
   * Deletes these batches and every row filed under them, those still registered before `before` with no
   * row recorded since, in one transaction (`LOCK_FORGETTABLE_BATCHES`); returns how many batches and rows
   * it deleted.
   */
  async forgetBatches(batchIds: string[], before: Date): Promise<{ batches: number; rows: number }> {
    if (!batchIds.length) return { batches: 0, rows: 0 };
    const cutoff = before.toISOString();
    return this.ds.transaction(async (tx) => {
      const locked: { batch_id: string }[] = await tx.query(LOCK_FORGETTABLE_BATCHES, [batchIds, cutoff]);
      if (!locked.length) return { batches: 0, rows: 0 };
      await tx.query(LOCK_THEIR_ROWS, [locked.map((b) => b.batch_id)]);
      const quiet: { batch_id: string }[] = await tx.query(STILL_QUIET, [
        locked.map((b) => b.batch_id),
        cutoff,
      ]);
      if (!quiet.length) return { batches: 0, rows: 0 };
      const ids = quiet.map((b) => b.batch_id);
      const [, rows]: [unknown, number] = await tx.query(DELETE_THEIR_ROWS, [ids, cutoff]);
      const [, batches]: [unknown, number] = await tx.query(DELETE_EMPTY_BATCHES, [ids]);
      return { batches, rows };
    });
  }

  /**
   * The batch ids rows are filed under that no registration names and that hold a row recorded before
   * `before` (`UNREGISTERED_WITH_OLD_ROWS`).
   */
  async unregisteredWithRowsBefore(before: Date): Promise<UnregisteredBatch[]> {
    const rows: { batch_id: string; rows: number }[] = await this.ds.query(UNREGISTERED_WITH_OLD_ROWS, [
      before.toISOString(),
    ]);
    return rows.map((r) => ({ batchId: r.batch_id, rows: r.rows }));
  }

  /**
   * Deletes, in one transaction, the rows filed under these batch ids of events all of whose rows were
   * recorded before `before` under ids no registration names (`DELETE_UNREGISTERED_QUIET_EVENTS`), the ids'
   * older rows locked first in key order; returns how many batch ids lost rows, and how many rows.
   */
  async forgetUnregistered(batchIds: string[], before: Date): Promise<{ batches: number; rows: number }> {
    if (!batchIds.length) return { batches: 0, rows: 0 };
    const cutoff = before.toISOString();
    return this.ds.transaction(async (tx) => {
      await tx.query(LOCK_THEIR_OLD_ROWS, [batchIds, cutoff]);
      const [deleted]: [{ batch_id: string }[], number] = await tx.query(DELETE_UNREGISTERED_QUIET_EVENTS, [
        batchIds,
        cutoff,
      ]);
      return { batches: new Set(deleted.map((r) => r.batch_id)).size, rows: deleted.length };
    });
  }

  /**
   * Runs `work` holding retention's session lock, with a repository on that lock's own connection (so the
   * pass needs no second one from the pool), or answers null at once when another process holds it. A
   * connection whose unlock did not answer `true` is discarded, never returned to the pool holding the lock.
   */
  async whileHoldingRetentionLock<T>(
    work: (session: AuditEventsRepository) => Promise<T>,
  ): Promise<T | null> {
    const pool = 'createQueryRunner' in this.ds ? this.ds : this.ds.connection;
    const runner = pool.createQueryRunner() as QueryRunner & {
      releasePostgresConnection(err?: Error): Promise<void>;
    };
    await runner.connect();
    let broken: Error | undefined;
    try {
      const [{ held }]: { held: boolean }[] = await runner.query(
        `SELECT pg_try_advisory_lock(${RETENTION_LOCK}) AS held`,
      );
      if (!held) return null;
      try {
        return await work(new AuditEventsRepository(runner.manager));
      } finally {
        let unlocked = false;
        try {
          [{ unlocked }] = await runner.query(`SELECT pg_advisory_unlock(${RETENTION_LOCK}) AS unlocked`);
        } catch (err) {
          broken = err as Error;
        }
        if (!unlocked) broken ??= new Error('retention: the session lock was not held at its release');
      }
    } finally {
      await runner.releasePostgresConnection(broken);
    }
  }

  /**
   * Records these batches complete, those not recorded yet; returns how many it marked. The caller passes
   * only batches that cannot become incomplete again (`isBatchMarkable`).
   */
  async markComplete(batchIds: string[]): Promise<number> {
    if (!batchIds.length) return 0;
    const [, affected]: [unknown, number] = await this.ds.query(MARK_COMPLETE, [batchIds]);
    return affected;
  }
}
