import { z } from 'zod';
import type { DeadLetterReason } from './dead-letter';
import { batchIdProblem } from './envelope';

/**
 * The audit's answer to `GET /v1/batches/:batchId`: what became of a batch's events. The audit produces
 * it; the CLI, `npm start`, Airflow's sensor and the tests read it.
 */
export interface BatchCounts {
  batchId: string;
  source: string | null;
  /** The size the batch declared when it was ingested, if it declared one. */
  expected: number | null;
  ingested: number;
  enriched: number;
  deadLettered: number;
  persisted: number;
  /** Every declared event arrived, and each is persisted or dead-lettered. */
  complete: boolean;
}

export interface BatchTiming {
  firstIngestedAt: string | null;
  lastPersistedAt: string | null;
  /**
   * Persisted events per second, from the first ingest to the last persisted acknowledgement: whole from
   * 10 up, two significant digits below (0.015 for 3 over 204 s).
   */
  throughputPerSec: number | null;
  /**
   * Ingest → persisted, per event: from when the broker appended the raw record the audit keeps to when it
   * appended the acknowledgement it keeps (their Kafka timestamps), so a batch produced again is timed by its
   * newest pass. Rows recorded before the audit kept those timestamps are measured by their producedAt.
   */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export interface BatchReport extends BatchCounts {
  timing: BatchTiming;
  /** One user of the batch that reached Cassandra, to show where to look. */
  sampleUserId: string | null;
}

/**
 * The instants a batch list's `since` may name: from the Unix epoch, before which the audit (stamping each
 * batch with its clock) registered nothing, to the last of year 9999 in UTC, so the `since` the answer
 * echoes is a four-digit-year ISO date-time. PostgreSQL holds every instant between; a `since` outside,
 * such as year 0000 (which neither PostgreSQL nor the proleptic calendar it keeps has), is refused.
 */
export const BATCH_LIST_SINCE_RANGE = {
  from: '1970-01-01T00:00:00.000Z',
  to: '9999-12-31T23:59:59.999Z',
} as const;

const inSinceRange = (since: string) => {
  const t = Date.parse(since);
  return t >= Date.parse(BATCH_LIST_SINCE_RANGE.from) && t <= Date.parse(BATCH_LIST_SINCE_RANGE.to);
};

/**
 * Where a batch list goes on: after the batch registered at `createdAtMicros` (microseconds since the
 * epoch, as PostgreSQL keeps `created_at`) with id `batchId`, in the list's order (`created_at`
 * descending, then `batch_id` ascending). Sent as one opaque token, the `next` of an answer.
 */
export interface BatchListCursor {
  createdAtMicros: bigint;
  batchId: string;
}

/** The token of a cursor: base64url of the JSON `[createdAtMicros as digits, batchId]`. */
export function encodeBatchListCursor(c: BatchListCursor): string {
  return Buffer.from(JSON.stringify([c.createdAtMicros.toString(), c.batchId]), 'utf8').toString('base64url');
}

/** The cursor a token names, or null when it is not the `next` of an answer. */
export function decodeBatchListCursor(token: string): BatchListCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [micros, batchId] = value as unknown[];
  if (typeof micros !== 'string' || !/^-?\d{1,19}$/.test(micros)) return null;
  if (typeof batchId !== 'string' || batchIdProblem(batchId) !== null) return null;
  return { createdAtMicros: BigInt(micros), batchId };
}

/**
 * What is wrong with a `limit` in plain digits (the audit refuses any other writing first), a number past
 * 2^53 included, which zod's `int` would call too big for an integer.
 */
const LIMIT_RANGE = 'must be from 1 to 1000';

/**
 * `GET /v1/batches?since=&incomplete=&limit=&cursor=`: the batches the audit registered since a time, newest
 * first (ties of `created_at` by batch id).
 */
export const BatchListQuery = z.object({
  /** ISO date-time with its offset, within BATCH_LIST_SINCE_RANGE once in UTC; default 24 hours before the request. */
  // `abort`: a since that is no date-time is told so, not also that it is out of range.
  since: z.iso
    .datetime({ offset: true, abort: true })
    .refine(inSinceRange, {
      message: `must be from ${BATCH_LIST_SINCE_RANGE.from} to ${BATCH_LIST_SINCE_RANGE.to} (in UTC)`,
    })
    .optional(),
  /** `true`: only batches that are not complete yet. */
  incomplete: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int(LIMIT_RANGE).min(1, LIMIT_RANGE).max(1000, LIMIT_RANGE).default(100),
  /**
   * The `next` of an earlier answer: this page starts just after its last batch, with the same `since`
   * and `incomplete`. Paging so visits every batch of the window once, two registered at one instant too.
   */
  cursor: z
    .string()
    .refine((c) => decodeBatchListCursor(c) !== null, {
      message: 'must be the `next` of an earlier answer of GET /v1/batches',
    })
    .optional(),
});
export type BatchListQuery = z.infer<typeof BatchListQuery>;

export interface BatchSummary extends BatchCounts {
  /** When the audit registered the batch (its first raw record). */
  createdAt: string;
}

export interface BatchList {
  since: string;
  incompleteOnly: boolean;
  batches: BatchSummary[];
  /** More batches matched than `limit`: ask for the rest with `cursor` set to `next`. */
  truncated: boolean;
  /** With `truncated`, the `cursor` of the next page (the same `since` and `incomplete`); null otherwise. */
  next: string | null;
}

/** What the audit recorded of one event on one topic: a step of its lineage or of a person's history. */
export interface AuditTrailEvent {
  eventId: string;
  topic: string;
  outcome: 'ingested' | 'enriched' | 'dead-lettered' | 'persisted';
  userId: string | null;
  batchId: string | null;
  source: string | null;
  /** The record's partition of `topic`; null for a person ingestion refused, which never reached users.raw. */
  partition: number | null;
  /** The record's offset on `topic` (a 64-bit integer, as text); null where `partition` is. */
  offset: string | null;
  /** When the stage that wrote the record made it (that stage's clock); null where the audit never read one. */
  producedAt: string | null;
  /**
   * When the broker appended the record (its Kafka timestamp, the broker's one clock for every stage), so
   * the gaps between an event's stages are measured on one clock; null for a person ingestion refused, and
   * for rows recorded before the audit kept it.
   */
  appendedAt: string | null;
  recordedAt: string;
  /** Why it was dead-lettered, when `outcome` is `dead-lettered`. */
  reasons: DeadLetterReason[] | null;
}

/** `GET /v1/events/:eventId`: the event's path across topics, oldest first. */
export interface EventLineage {
  eventId: string;
  stages: AuditTrailEvent[];
}

/** `GET /v1/users/:userId/history?limit=`: at most `limit` of a person's audit rows, the newest. */
export const UserHistoryQuery = z.object({
  limit: z.coerce.number().int(LIMIT_RANGE).min(1, LIMIT_RANGE).max(1000, LIMIT_RANGE).default(100),
});
export type UserHistoryQuery = z.infer<typeof UserHistoryQuery>;

/** `GET /v1/users/:userId/history`: the newest `limit` audit rows of one person's events, oldest first. */
export interface UserHistory {
  userId: string;
  events: AuditTrailEvent[];
  /** The person has more rows than `limit`: the older ones are left out (ask again with a larger `limit`, up to 1000). */
  truncated: boolean;
}

/** The longest window `GET /v1/events/settled` answers for: a month, so its query stays bounded. */
export const SETTLED_WINDOW_MAX_DAYS = 31;
const DAY_MS = 86_400_000;

/** An instant `from` / `to` may name: an ISO date-time with its offset, within BATCH_LIST_SINCE_RANGE in UTC. */
const settledInstant = z.iso
  .datetime({ offset: true, abort: true })
  // Event times are kept to the millisecond: a finer instant would be cut to one silently.
  .refine((at) => !/\.[0-9]{4,}/.test(at), {
    message: 'has at most three decimals (milliseconds)',
    abort: true,
  })
  .refine(inSinceRange, {
    message: `must be from ${BATCH_LIST_SINCE_RANGE.from} to ${BATCH_LIST_SINCE_RANGE.to} (in UTC)`,
  });

/**
 * `GET /v1/events/settled?from=&to=`: whether every event with an event time (`producedAt`) in [from, to) has
 * reached a terminal state. Both are required; `from` before `to`, at most SETTLED_WINDOW_MAX_DAYS apart.
 */
export const SettledQuery = z
  .object({ from: settledInstant, to: settledInstant })
  .superRefine(({ from, to }, ctx) => {
    // Each out of its range is told so already; how far apart they are says nothing more.
    if (!inSinceRange(from) || !inSinceRange(to)) return;
    const span = Date.parse(to) - Date.parse(from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from`' });
    else if (span > SETTLED_WINDOW_MAX_DAYS * DAY_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `must be at most ${SETTLED_WINDOW_MAX_DAYS} days after \`from\``,
      });
  });
export type SettledQuery = z.infer<typeof SettledQuery>;

/** The oldest event of a window the audit saw ingested and not yet persisted or dead-lettered. */
export interface PendingEvent {
  eventId: string;
  batchId: string | null;
  /** Its event time. */
  producedAt: string;
}

/**
 * `GET /v1/events/settled`: whether the events with an event time in [from, to) have all reached a terminal
 * state, so a consumer of Cassandra (the daily aggregation) may count them. `settled` is true exactly when the
 * window has ended (`to` ≤ `checkedAt`), the audit's consumer has read every users.raw record the broker
 * appended before `to` (`rawBehind` 0), and none of the window's events it read is still pending.
 */
export interface SettledReport {
  from: string;
  to: string;
  settled: boolean;
  /** Events of the window the audit recorded as ingested that are neither persisted nor dead-lettered yet. */
  pending: number;
  /** The oldest of them by event time; null when none is pending. */
  oldestPending: PendingEvent | null;
  /**
   * users.raw records the broker appended before `to` (by its timestamps) that the audit's consumer group has
   * not committed yet, summed over the partitions: events the audit cannot count as pending until it reads them.
   */
  rawBehind: number;
  /** When the audit answered: a window whose `to` is later has not ended and is never settled. */
  checkedAt: string;
}

/**
 * `GET /v1/events/late-days?from=&to=`: an interval of broker append times, read with SettledQuery's rules
 * (both required, `from` before `to`, at most SETTLED_WINDOW_MAX_DAYS apart, millisecond instants).
 */
export const LateDaysQuery = SettledQuery;
export type LateDaysQuery = z.infer<typeof LateDaysQuery>;

/** One event day of the terminal rows appended in a late-days interval. */
export interface LateDay {
  /** The UTC day (`YYYY-MM-DD`) of the events' event time. */
  day: string;
  /** Terminal rows (persisted, dead-lettered) of that day appended in the interval. */
  events: number;
  /** The latest broker append time among them. */
  lastAppendedAt: string;
}

/**
 * `GET /v1/events/late-days`: the event days of the persisted and dead-lettered records the broker appended in
 * [from, to), so a day aggregated before they arrived can be aggregated again. `complete` is true exactly when
 * the interval has ended (`to` ≤ `checkedAt`) and the audit's consumer has read every users.persisted and
 * users.dlq record appended before `to` (`behind` 0): until then a later answer may add days or events.
 */
export interface LateDaysReport {
  from: string;
  to: string;
  complete: boolean;
  /**
   * users.persisted and users.dlq records the broker appended before `to` that the audit's consumer group has
   * not committed yet, summed over both topics' partitions.
   */
  behind: number;
  /** Ascending by day. */
  days: LateDay[];
  checkedAt: string;
}
