/** Pure arithmetic of consumer lag, kept apart from the broker calls so it is tested without one. */

/**
 * Messages a group has yet to read on one partition. Kafka reports "no committed offset" as -1; such a
 * group has read nothing that is still retained, so everything between low and high counts. A committed
 * offset below `low` (the records expired) counts from `low`.
 */
export function lagMessages(committed: bigint, low: bigint, high: bigint): bigint {
  const from = committed < 0n ? low : committed < low ? low : committed;
  return high > from ? high - from : 0n;
}

/** The offset of the first record the group has not read yet, or null when it is caught up. */
export function nextUnread(committed: bigint, low: bigint, high: bigint): bigint | null {
  if (lagMessages(committed, low, high) === 0n) return null;
  return committed < low ? low : committed;
}

/**
 * How far behind in time: the newest record's timestamp minus the timestamp of the first unread record.
 * Zero when caught up; null when a timestamp is unknown.
 */
export function lagSeconds(
  newestMs: number | null,
  firstUnreadMs: number | null,
  lag: bigint,
): number | null {
  if (lag === 0n) return 0;
  if (newestMs === null || firstUnreadMs === null) return null;
  return Math.max(0, (newestMs - firstUnreadMs) / 1000);
}
