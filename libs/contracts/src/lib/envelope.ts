import { createHash } from 'node:crypto';
import { z } from 'zod';

export const SCHEMA_VERSION = 1 as const;

/** `unknown` marks a dead letter whose original record carried no readable source. */
export const EVENT_SOURCES = [
  'randomuser-api',
  'http-push',
  'synthetic',
  'backfill',
  'replay',
  'unknown',
] as const;
export const EventSource = z.enum(EVENT_SOURCES);
export type EventSource = z.infer<typeof EventSource>;

/**
 * The longest batch id, in UTF-16 code units (JavaScript's `length`: a character outside the Basic
 * Multilingual Plane, such as an emoji, counts 2), the unit the audit's look-up and ingestion's requests
 * count it in (the envelope's schema counts code points; see `Envelope`).
 */
export const BATCH_ID_MAX_LENGTH = 200;

/**
 * Why no stored batch can have this id, or null when one may: the envelope allows 1–200 characters
 * (UTF-16 code units, `BATCH_ID_MAX_LENGTH`), and
 * the audit (PostgreSQL text) holds no NUL, so a batch id with one was quarantined, never recorded.
 * Lets a look-up answer 400 naming the problem instead of asking the database.
 */
export function batchIdProblem(batchId: string): string | null {
  if (batchId.length < 1 || batchId.length > BATCH_ID_MAX_LENGTH)
    return `batchId: a batch id has 1–${BATCH_ID_MAX_LENGTH} characters, this one ${batchId.length}`;
  if (batchId.includes('\u0000')) return 'batchId: a batch id never contains NUL (U+0000)';
  return null;
}

/**
 * Every event on every topic carries this envelope; the payload varies by topic. A person's event keeps
 * its `eventId` on every topic it crosses (raw, enriched, persisted), which is what the audit's lineage joins on.
 */
export const Envelope = z.object({
  eventId: z.uuid(),
  schemaVersion: z.literal(SCHEMA_VERSION),
  source: EventSource,
  // `max` counts code points, as the JSON Schema's maxLength does. Ingestion makes no batch id over
  // BATCH_ID_MAX_LENGTH UTF-16 code units, the audit's unit (`batchIdProblem`), but the records a release
  // before made, up to 200 code points, stay readable: a replay of them must not turn them into dead letters.
  batchId: z.string().min(1).max(BATCH_ID_MAX_LENGTH),
  producedAt: z.iso.datetime({ offset: true }),
});
export type Envelope = z.infer<typeof Envelope>;

/** Wraps a payload schema in the envelope: `{ ...envelope, payload }`. */
export function eventOf<P extends z.ZodType>(payload: P) {
  return Envelope.extend({ payload });
}

const FRACTION = /\.(\d+)(?=Z|[+-]\d)/i;

/**
 * An envelope's `producedAt` in microseconds since the epoch: its event time, which persistence writes
 * as the Cassandra write timestamp. Digits after the third of the fraction are the microseconds
 * ingestion adds so that events of one request never share a timestamp; a `producedAt` in plain
 * milliseconds reads as `ms * 1000`.
 */
export function eventTimeMicros(producedAt: string): bigint {
  const ms = Date.parse(producedAt);
  if (Number.isNaN(ms)) throw new RangeError(`producedAt "${producedAt}" is not an ISO date-time`);
  const fraction = FRACTION.exec(producedAt)?.[1] ?? '';
  return BigInt(ms) * 1000n + BigInt(fraction.slice(3, 6).padEnd(3, '0'));
}

/**
 * The wall clock in microseconds since the epoch: what every event time is drawn from. Not
 * `performance.timeOrigin + performance.now()`: that is a monotonic clock, which stops while the machine
 * is suspended and is not stepped with the wall clock, so a long-running process's times fall behind
 * every other process's — its later events would lose to older ones, and fall before the run they
 * belong to.
 */
export const wallClockMicros = (): bigint => BigInt(Date.now()) * 1000n;

/** `micros` as the envelope writes it: UTC, six fraction digits (`2026-11-30T03:00:00.123456Z`). */
export function formatEventTime(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = micros - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(sub).padStart(3, '0')}Z`);
}

/**
 * The event id of an event that must keep its id when it is made again — a dead letter of the same failed
 * record, the n-th person of a backfill batch produced after a crash: a name-based UUID (RFC 9562 v5
 * layout, SHA-1 of `name`), so the audit, which keys events by id, counts it once.
 */
export function nameBasedEventId(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
