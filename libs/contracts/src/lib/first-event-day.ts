/**
 * `users.first_event_day` keeps the earliest event day of a person's versions (migration 0005). Cassandra
 * keeps the cell written with the highest timestamp, so the cell is written with a timestamp that falls as
 * the event time rises: the earliest version's cell wins in any order of arrival, and writing a version
 * again writes the same cell at the same timestamp. The base is 10000-01-01T00:00:00Z in microseconds, past
 * any event time an ISO date-time can name, so every such timestamp is positive.
 *
 * These cells carry timestamps far past the clock's, so a deletion at the current time does not remove
 * them; nothing in SparkFlow deletes a person.
 */
export const FIRST_EVENT_DAY_TIMESTAMP_BASE = 253_402_300_800_000_000n;

/** The write timestamp of the `first_event_day` cell of a version with this event time (microseconds). */
export function firstEventDayTimestamp(eventMicros: bigint): bigint {
  if (eventMicros < 0n || eventMicros >= FIRST_EVENT_DAY_TIMESTAMP_BASE)
    throw new RangeError(`event time ${eventMicros} µs is outside 1970-01-01 to the end of year 9999`);
  return FIRST_EVENT_DAY_TIMESTAMP_BASE - eventMicros;
}
