import { z } from 'zod';
import { eventTimeMicros } from './envelope';
import { SparkflowErrorCode } from './errors';
import type { DeadLetterReason } from './dead-letter';

/**
 * How far ahead of a reading service's clock an event time (`producedAt`) may be, by default. Ingestion
 * stamps events with its host's clock; hosts kept by NTP agree to well under a second, and a consumer
 * reads a record after it was written, so lag only makes a true event time look older, never newer.
 * A minute covers any clock NTP keeps; an event time further ahead is no real time. Persistence writes
 * the event time as every cell's write timestamp (ADR 12): a future one would outrank every true
 * version of the person written before that moment comes.
 */
export const EVENT_TIME_MAX_SKEW_MS_DEFAULT = 60_000;

/** The bounds a service's event-time skew setting must keep: one second (NTP's reach) to one day. */
export const EVENT_TIME_MAX_SKEW_MS_MIN = 1_000;
export const EVENT_TIME_MAX_SKEW_MS_MAX = 86_400_000;

/** A service's `…_EVENT_TIME_MAX_SKEW_MS` setting: whole milliseconds within the bounds above. */
export const eventTimeMaxSkewSetting = () =>
  z.coerce
    .number()
    .int('whole milliseconds')
    .min(
      EVENT_TIME_MAX_SKEW_MS_MIN,
      `at least ${EVENT_TIME_MAX_SKEW_MS_MIN} ms (hosts' clocks agree only so far)`,
    )
    .max(EVENT_TIME_MAX_SKEW_MS_MAX, `at most ${EVENT_TIME_MAX_SKEW_MS_MAX} ms (one day)`)
    .default(EVENT_TIME_MAX_SKEW_MS_DEFAULT);

/**
 * How many microseconds `producedAtMicros` is ahead of `nowMicros` when that is more than
 * `maxSkewMicros`, else null (an event time at most the skew ahead, or behind, is a true one).
 */
export function eventTimeAhead(
  producedAtMicros: bigint,
  nowMicros: bigint,
  maxSkewMicros: bigint,
): bigint | null {
  const ahead = producedAtMicros - nowMicros;
  return ahead > maxSkewMicros ? ahead : null;
}

/** `micros` as seconds with millisecond precision, and as days beyond one day: `3600.000 s`, `2.5e9 s (28935 days)`. */
function duration(micros: bigint): string {
  const ms = micros / 1000n;
  const text = `${ms / 1000n}.${String(ms % 1000n).padStart(3, '0')} s`;
  const days = ms / 86_400_000n;
  return days >= 1n ? `${text} (${days} days)` : text;
}

/**
 * The dead-letter reason for an envelope whose `producedAt` is further ahead of the reading service's
 * clock (`nowMicros`) than `maxSkewMs`, or before the epoch, or null when it is neither. Enrichment and persistence both ask it
 * before using the event time, so a future-dated record is refused, never written. Their clock is the
 * record's own broker timestamp (`recordTimeMicros`), not the time it is read: a record judged again (a
 * replay of the topic, a consumer that lagged) is judged the same.
 */
export function eventTimeProblem(
  producedAt: string,
  nowMicros: bigint,
  maxSkewMs: number,
): DeadLetterReason | null {
  const maxSkewMicros = BigInt(maxSkewMs) * 1000n;
  let micros: bigint;
  try {
    micros = eventTimeMicros(producedAt);
  } catch (error) {
    // The envelope's schema lets no such value through; named all the same, never thrown.
    return { code: SparkflowErrorCode.SchemaInvalid, path: 'producedAt', message: (error as Error).message };
  }
  if (micros < 0n)
    // Written as a Cassandra write timestamp, it would be negative, and first_event_day's would be past
    // its base (firstEventDayTimestamp): no version of a person can be stored from before the epoch.
    return {
      code: SparkflowErrorCode.SemanticInvalid,
      path: 'producedAt',
      message: `producedAt ${producedAt} is before 1970-01-01T00:00:00Z, the earliest event time SparkFlow stores`,
    };
  const ahead = eventTimeAhead(micros, nowMicros, maxSkewMicros);
  if (ahead === null) return null;
  return {
    code: SparkflowErrorCode.SemanticInvalid,
    path: 'producedAt',
    message:
      `producedAt ${producedAt} is ${duration(ahead)} ahead of when the broker took the record; ` +
      `an event time may be at most ${duration(maxSkewMicros)} ahead`,
  };
}

/**
 * The time a record is judged against: when the broker took it (its Kafka timestamp; SparkFlow's topics
 * stamp records with the broker's clock, `message.timestamp.type=LogAppendTime`), in microseconds. A
 * record without one (a timestamp of 0 or less) is judged against `fallbackMicros`, the reader's clock.
 */
export function recordTimeMicros(timestampMs: number, fallbackMicros: bigint): bigint {
  return Number.isSafeInteger(timestampMs) && timestampMs > 0 ? BigInt(timestampMs) * 1000n : fallbackMicros;
}
