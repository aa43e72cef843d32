/**
 * Consumer lag, in messages and in time, and when a lagging group counts as stalled: the one place the
 * CLI (`topics describe`) and the services (`/metrics`, readiness) compute it. Lag in time is the age of
 * the oldest record the group has not read — now minus its timestamp — as Burrow and kafka-lag-exporter
 * report it: it keeps growing while a consumer is stuck, whether or not new records arrive.
 */

/** A group with lag whose committed offset has not moved for this long is stalled (the default). */
export const DEFAULT_STALL_AFTER_MS = 60_000;

/**
 * Messages a group has yet to read on one partition. Kafka reports "no committed offset" as -1; such a
 * group has read nothing that is still retained, so everything between low and high counts. A committed
 * offset below `low` (the records expired) counts from `low`.
 */
export function lagMessages(committed: bigint, low: bigint, high: bigint): bigint {
  const from = committed < 0n ? low : committed < low ? low : committed;
  return high > from ? high - from : 0n;
}

/** The offset of the oldest record the group has not read yet, or null when it is caught up. */
export function nextUnread(committed: bigint, low: bigint, high: bigint): bigint | null {
  if (lagMessages(committed, low, high) === 0n) return null;
  return committed < low ? low : committed;
}

/**
 * Lag in seconds: the age of the oldest unread record (now minus its timestamp). Zero when caught up;
 * null when that record's timestamp is unknown. Never negative (a producer's clock may run ahead).
 */
export function lagSeconds(nowMs: number, oldestUnreadTimestampMs: number | null, lag: bigint | number): number | null {
  if (BigInt(lag) === 0n) return 0;
  if (oldestUnreadTimestampMs === null) return null;
  return Math.max(0, (nowMs - oldestUnreadTimestampMs) / 1000);
}

/**
 * How long a partition has had records waiting while its committed offset stayed where it is: from the
 * later of the last move of the committed offset and the arrival of the oldest unread record (a group
 * that was idle and caught up is not stalled the moment a record arrives). Null when not lagging or
 * when neither time is known.
 */
export function stalledForMs(
  nowMs: number,
  lag: bigint | number,
  committedSinceMs: number | null,
  oldestUnreadTimestampMs: number | null,
): number | null {
  if (BigInt(lag) === 0n) return null;
  const since = Math.max(committedSinceMs ?? -Infinity, oldestUnreadTimestampMs ?? -Infinity);
  return Number.isFinite(since) ? Math.max(0, nowMs - since) : null;
}

/** Stalled: records wait and the committed offset has not moved for `stallAfterMs`. */
export function isStalled(stalledMs: number | null, stallAfterMs: number): boolean {
  return stalledMs !== null && stalledMs >= stallAfterMs;
}
