import {
  EnrichedUserEvent,
  Envelope,
  HEADERS,
  RawUserEvent,
  TOPICS,
  SparkflowErrorCode,
  eventTimeMicros,
  formatEventTime,
  wallClockMicros,
  type DeadLetter,
} from '@sparkflow/contracts';
import type { OutboundRecord } from '../producer/event-producer';

/** A `users.dlq` record as a replay needs it: its own event id, the source it came from, and its content. */
export interface ReplayableDeadLetter {
  dlqEventId: string;
  source: string;
  deadLetter: DeadLetter;
  /**
   * The dead letter's W3C trace context (its `traceparent` and `tracestate` headers: the context of the
   * record the stage gave up on). A replay carries it on, so the event's second attempt is in the same
   * trace as its first; without it the replay starts a trace of its own.
   */
  trace?: { traceparent?: string; tracestate?: string };
}

/** Where a replay publishes: `EventProducer` (acks from all in-sync replicas, every partition checked). */
export interface RecordPublisher {
  sendRecords(
    topic: string,
    records: readonly OutboundRecord[],
  ): Promise<{ partition: number; baseOffset?: string }[]>;
}

export interface ReplayResult {
  dlqEventId: string;
  topic: string;
  key: string | null;
  eventId: string | null;
  /** The event time of the record published (a correction's is the replay's); null when it has no envelope. */
  producedAt: string | null;
  corrected: boolean;
  /** Where the record landed; null on a dry run. */
  partition: number | null;
  offset: string | null;
}

/** A W3C `traceparent` of version 00: version, trace id, parent span id, flags. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The bytes the failed stage received, exactly: UTF-8 text or base64-decoded. */
export function originalValue(d: DeadLetter): Buffer {
  return d.payloadEncoding === 'base64' ? Buffer.from(d.payload, 'base64') : Buffer.from(d.payload, 'utf8');
}

let lastReplayMicros = 0n;

/**
 * The wall clock in microseconds since the epoch (`wallClockMicros`), strictly increasing within the
 * process: two corrections stamped in one millisecond, or across a step back of the clock, never tie.
 */
export function replayClock(): bigint {
  const now = wallClockMicros();
  lastReplayMicros = now > lastReplayMicros ? now : lastReplayMicros + 1n;
  return lastReplayMicros;
}

function envelopeOf(value: Buffer): Envelope | null {
  try {
    const e = Envelope.safeParse(JSON.parse(value.toString('utf8')));
    return e.success ? e.data : null;
  } catch {
    return null;
  }
}

function producedAtOf(value: Buffer): string | null {
  try {
    const at = (JSON.parse(value.toString('utf8')) as { producedAt?: unknown } | null)?.producedAt;
    return typeof at === 'string' ? at : null;
  } catch {
    return null;
  }
}

function microsOf(producedAt: string | undefined): bigint | null {
  if (producedAt === undefined) return null;
  try {
    return eventTimeMicros(producedAt);
  } catch {
    return null;
  }
}

/**
 * The event time a correction must sort after: the original's, unless the original was refused for it
 * (a `producedAt` reason: too far ahead of when the broker took it). Such an original was never written,
 * so there is nothing to sort after, and a correction stamped past it could outrank a true version of the
 * person written since.
 */
function sortsAfter(d: ReplayableDeadLetter, original: bigint | null): bigint | null {
  const refusedForTime = d.deadLetter.reasons.some(
    (r) => r.code === SparkflowErrorCode.SemanticInvalid && r.path === 'producedAt',
  );
  return refusedForTime ? null : original;
}

/**
 * The value a corrected replay publishes: the corrected record as a new version of the event, stamped
 * `now` (microseconds) — or one microsecond after the original event time if the clock is behind it and
 * the original is not a future time enrichment refused (`sortsAfter`) —
 * so it orders after the original and after every correction replayed before it, and persistence writes
 * it whole over them (a correction keeping the original `producedAt` tied with the others at one write
 * timestamp, and Cassandra merged them cell by cell). It keeps the identity of the event it corrects:
 * event id, batch and source are the dead letter's, whatever the file says, so the audit counts the
 * event once and joins the correction to its history. A value that is not a JSON object is returned as
 * it is (it has no event time to set, and fails its topic's contract).
 */
export function correctedValue(d: ReplayableDeadLetter, corrected: Buffer, now: bigint): Buffer {
  let json: unknown;
  try {
    json = JSON.parse(corrected.toString('utf8'));
  } catch {
    return corrected;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return corrected;
  const record = json as Record<string, unknown>;
  const original = d.deadLetter.payloadTruncated ? null : envelopeOf(originalValue(d.deadLetter));
  const identity: Record<string, unknown> = {};
  const eventId = original?.eventId ?? d.deadLetter.originalEventId;
  const batchId = original?.batchId ?? d.deadLetter.originalBatchId;
  if (eventId) identity['eventId'] = eventId;
  if (batchId) identity['batchId'] = batchId;
  if (original) identity['source'] = original.source;
  const given = typeof record['producedAt'] === 'string' ? record['producedAt'] : undefined;
  const floor = sortsAfter(d, microsOf(original?.producedAt) ?? microsOf(given));
  const at = floor !== null && now <= floor ? floor + 1n : now;
  return Buffer.from(JSON.stringify({ ...record, ...identity, producedAt: formatEventTime(at) }), 'utf8');
}

/**
 * The record a replay publishes: the original (or corrected) value to the original topic under the
 * original key, marked with the dead letter it replays. A record that had no key (a person ingestion
 * refused for their login.uuid, a hostile producer's record) is keyed by the person the value names, as
 * ingestion and enrichment key theirs, so it lands in that person's partition, in order with their
 * other events. Envelope headers come from the value when it
 * has a readable envelope (it keeps its event id, so the audit joins it to its history), else from the
 * dead letter. It continues the dead letter's trace when the letter has one. No batch-size header: a
 * replay must not redefine how big the original batch was.
 */
export function replayMessage(d: ReplayableDeadLetter, value: Buffer): OutboundRecord {
  // Not an envelope: replayed as bytes.
  const envelope = envelopeOf(value);
  const headers: Record<string, string> = { [HEADERS.replayOf]: d.dlqEventId };
  const eventId = envelope?.eventId ?? d.deadLetter.originalEventId;
  const batchId = envelope?.batchId ?? d.deadLetter.originalBatchId;
  if (eventId) headers[HEADERS.eventId] = eventId;
  if (batchId) headers[HEADERS.batchId] = batchId;
  headers[HEADERS.source] = envelope?.source ?? d.source;
  if (envelope) headers[HEADERS.schemaVersion] = String(envelope.schemaVersion);
  const traceparent = d.trace?.traceparent;
  if (traceparent && TRACEPARENT.test(traceparent)) {
    headers[HEADERS.traceparent] = traceparent;
    if (d.trace?.tracestate) headers[HEADERS.tracestate] = d.trace.tracestate;
  }
  return { key: d.deadLetter.key ?? personOf(d.deadLetter.originalTopic, value), value, headers };
}

/** Who a users.raw or users.enriched record is about (its key: login.uuid or userId, lower case); null when unsaid. */
function personOf(topic: string, value: Buffer): string | null {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  const payload = (json as { payload?: { login?: { uuid?: unknown }; userId?: unknown } } | null)?.payload;
  const id =
    topic === TOPICS.usersRaw
      ? payload?.login?.uuid
      : topic === TOPICS.usersEnriched
        ? payload?.userId
        : undefined;
  return typeof id === 'string' ? id.toLowerCase() : null;
}

/**
 * Why a correction may not be published whatever else it fixes: it names another person than the record
 * it corrects. Published under the original key it would be stored as a second person, in the first
 * one's partition, with the first one's event. Null when it keeps the person, or the original had none.
 */
export function identityIssue(d: ReplayableDeadLetter, corrected: Buffer): string | null {
  const key = d.deadLetter.key?.toLowerCase() ?? null;
  const topic = d.deadLetter.originalTopic;
  const person = personOf(topic, corrected);
  if (key === null || person === null || person === key) return null;
  const field = topic === TOPICS.usersRaw ? 'payload.login.uuid' : 'payload.userId';
  return `${field}: ${person} is not the person this dead letter is about (${key}); a correction keeps the person (push another person to POST /v1/users)`;
}

/** Issues of a corrected value against its topic's contract; empty when it passes (or the topic has none). */
export function contractIssues(topic: string, value: Buffer): string[] {
  const schema =
    topic === TOPICS.usersRaw ? RawUserEvent : topic === TOPICS.usersEnriched ? EnrichedUserEvent : null;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  if (!schema) return [];
  const r = schema.safeParse(json);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * Re-publishes dead letters to their original topics, one at a time and in the order given, each
 * acknowledged before the next: what `sparkflow dlq replay` does. An original is published byte for
 * byte, so replaying it again rewrites identical cells. `corrected` replaces the value of the (single)
 * dead letter, published as `correctedValue` stamps it at `now` (`replayClock` unless given); `dryRun`
 * publishes nothing and says what would be published.
 */
export async function replayDeadLetters(
  publisher: RecordPublisher,
  letters: readonly ReplayableDeadLetter[],
  options: { corrected?: Buffer | null; dryRun?: boolean; now?: () => bigint } = {},
): Promise<ReplayResult[]> {
  const corrected = options.corrected ?? null;
  if (corrected && letters.length !== 1) {
    throw new Error(`a corrected value replaces one dead letter, not ${letters.length}`);
  }
  const results: ReplayResult[] = [];
  for (const d of letters) {
    const value = corrected
      ? correctedValue(d, corrected, (options.now ?? replayClock)())
      : originalValue(d.deadLetter);
    const identity = corrected ? identityIssue(d, value) : null;
    if (identity) throw new Error(identity);
    const record = replayMessage(d, value);
    const result: ReplayResult = {
      dlqEventId: d.dlqEventId,
      topic: d.deadLetter.originalTopic,
      key: record.key,
      eventId: record.headers?.[HEADERS.eventId] ?? null,
      producedAt: corrected ? producedAtOf(value) : (envelopeOf(value)?.producedAt ?? null),
      corrected: corrected !== null,
      partition: null,
      offset: null,
    };
    if (!options.dryRun) {
      const [landed] = await publisher.sendRecords(d.deadLetter.originalTopic, [record]);
      result.partition = landed.partition;
      result.offset = landed.baseOffset ?? null;
    }
    results.push(result);
  }
  return results;
}
