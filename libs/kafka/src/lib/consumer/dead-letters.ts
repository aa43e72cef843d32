import {
  DeadLetterReason,
  Envelope,
  EventSource,
  HEADERS,
  nameBasedEventId,
  SCHEMA_VERSION,
  TOPICS,
  cutAt,
  sha256Hex,
  storableId as optionalId,
  storableText,
  topicSpec,
  type DeadLetterEvent,
  type Stage,
} from '@sparkflow/contracts';
import { reasonsOf } from '@sparkflow/errors';
import type { OutboundEvent } from '../producer/event-producer';
import { type InboundMessage, appendedAtOf } from './inbound-message';

export const DLQ_TOPIC = TOPICS.usersDlq;

/** The largest record users.dlq accepts, as declared in its topic spec (and set on the topic). */
export const DLQ_MAX_MESSAGE_BYTES = topicSpec(DLQ_TOPIC).maxMessageBytes;

/**
 * Room left for what the broker adds around a value: record batch header (61 B), record framing,
 * the envelope headers EventProducer sets and W3C trace headers. Generous, so a dead letter built to
 * the limit is never refused for a few bytes.
 */
const FRAMING_BYTES = 4096;
const MAX_REASONS = 50;
const MAX_REASON_CHARS = 1000;
/** Ids (event, batch, key) longer than this are not ids: kept as a prefix and a hash. */
const MAX_ID_CHARS = 200;

/**
 * The dead letter's event id, derived from where the record failed (stage, topic, partition, offset):
 * a redelivered record that fails again at the same place gets the same id, so the audit (which keys a
 * dead letter without an original event id by this id) counts it once. A replayed record is a new record
 * at a new offset: when it fails again its dead letter has a new id, and names the same original event
 * (`originalEventId`), under which the audit files both and `sparkflow dlq` takes the newest for the
 * event. A name-based UUID (RFC 9562 v5 layout).
 */
export function deadLetterId(stage: Stage, topic: string, partition: number, offset: string): string {
  return nameBasedEventId(`sparkflow-dead-letter:${stage}:${topic}:${partition}:${offset}`);
}

/** The payload exactly as received: text when it is valid UTF-8, base64 otherwise. */
function preserve(value: Buffer | null): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  if (!value) return { payload: '', payloadEncoding: 'utf8' };
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value)
    ? { payload: text, payloadEncoding: 'utf8' }
    : { payload: value.toString('base64'), payloadEncoding: 'base64' };
}

/** Every reason, storable: escaped, bounded in length and in number. */
function storableReasons(reasons: DeadLetterReason[]): DeadLetterReason[] {
  const kept = reasons.slice(0, MAX_REASONS).map((r) => ({
    code: r.code,
    message: storableText(r.message, MAX_REASON_CHARS),
    path: r.path === null ? null : storableText(r.path, MAX_ID_CHARS),
  }));
  if (reasons.length > MAX_REASONS) {
    kept.push({ ...kept[0], message: `and ${reasons.length - MAX_REASONS} more reason(s)`, path: null });
  }
  return kept;
}

/** What a record's source or batch is when nothing readable names it. */
const UNKNOWN = 'unknown';

/** An event id as the audit keys events (PostgreSQL `uuid`): 32 hex digits in the 8-4-4-4-12 layout. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** JSON's insignificant whitespace: what may come before the `{` of an object. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Who a record is: the event, batch and source it belongs to, as stored (ids clamped like a dead
 * letter keeps them). A null field is one nothing readable names.
 */
export interface RecordIdentity {
  readonly eventId: string | null;
  readonly batchId: string | null;
  readonly source: EventSource | null;
}

/**
 * The record's envelope when its value is a JSON object whose envelope fields are valid, else null. The
 * value is decoded as every reader of an envelope decodes it (UTF-8, a bad byte read as U+FFFD); one
 * whose first significant byte is not `{` is refused before anything is decoded, and only the envelope's
 * fields are validated, never the payload.
 */
function readableEnvelope(value: Buffer | null): Envelope | null {
  if (!value) return null;
  let start = 0;
  while (start < value.length && JSON_WHITESPACE.has(value[start])) start++;
  if (value[start] !== 0x7b) return null;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  const envelope = Envelope.safeParse(json);
  return envelope.success ? envelope.data : null;
}

/**
 * Who `message` is, the one rule for every stage and the audit: the envelope's eventId, batchId and
 * source when the value holds a readable envelope (`Envelope`), otherwise each from its `sparkflow-*`
 * header — an event id only when it is a UUID, a batch id only when not empty, a source only when it is
 * one of the contract's — otherwise null. Headers never override a readable envelope: they are what a
 * producer said about the value, the envelope is the value. Ids are clamped as a dead letter stores them.
 */
export function recordIdentity(message: Pick<InboundMessage, 'value' | 'headers'>): RecordIdentity {
  return identityOf(readableEnvelope(message.value), message.headers);
}

/**
 * `recordIdentity` for a reader that has already read the value's envelope (`null` when it has none that
 * `Envelope` accepts): the audit, which parses every record once, names raw records and their batches
 * with it, so a record and its dead letter are one event in one batch.
 */
export function identityOf(envelope: Envelope | null, headers: InboundMessage['headers']): RecordIdentity {
  if (envelope) {
    return {
      eventId: optionalId(envelope.eventId),
      batchId: optionalId(envelope.batchId),
      source: envelope.source,
    };
  }
  const eventId = headers[HEADERS.eventId];
  const batchId = headers[HEADERS.batchId];
  const source = EventSource.safeParse(headers[HEADERS.source]);
  return {
    eventId: eventId !== undefined && UUID.test(eventId) ? eventId : null,
    batchId: batchId ? optionalId(batchId) : null,
    source: source.success ? source.data : null,
  };
}

/**
 * The identity a dead letter of `message` at `stage` gives the audit: `recordIdentity`, and where it
 * names nothing, the fallbacks — the dead letter's own name-based id (`deadLetterId`), batch and
 * source `unknown`. The audit files the letter under exactly this event and batch.
 */
export function deadLetterIdentity(
  message: Pick<InboundMessage, 'value' | 'headers' | 'topic' | 'partition' | 'offset'>,
  stage: Stage,
): { readonly eventId: string; readonly batchId: string; readonly source: EventSource } {
  const original = recordIdentity(message);
  return {
    eventId: original.eventId ?? deadLetterId(stage, message.topic, message.partition, message.offset),
    batchId: original.batchId ?? UNKNOWN,
    source: original.source ?? UNKNOWN,
  };
}

const bytesOf = (event: DeadLetterEvent, key: string | null) =>
  Buffer.byteLength(JSON.stringify(event)) + (key === null ? 0 : Buffer.byteLength(key)) + FRAMING_BYTES;

/**
 * Builds the `users.dlq` event that explains why `message` could not be processed at `stage`, under the
 * record's identity (`recordIdentity`: its envelope's event, batch and source when it has a readable one,
 * else its headers'), so the audit files the letter with the original's event and batch.
 *
 * It always fits the topic (`maxBytes`): when the record's value would not, the payload keeps its
 * beginning (whole characters, or whole base64 quads) and the dead letter says so with the value's
 * original size and SHA-256. Ids and reasons are escaped and clamped (`storableText`), so every stage,
 * the audit included, can store the dead letter without failing on the values that made the record fail.
 */
export function deadLetterFor(
  message: InboundMessage,
  stage: Stage,
  error: unknown,
  attempts: number,
  now = new Date(),
  maxBytes = DLQ_MAX_MESSAGE_BYTES,
): OutboundEvent {
  const original = recordIdentity(message);
  const key = optionalId(message.key);
  const event: DeadLetterEvent = {
    eventId: deadLetterId(stage, message.topic, message.partition, message.offset),
    schemaVersion: SCHEMA_VERSION,
    source: original.source ?? UNKNOWN,
    batchId: original.batchId ?? UNKNOWN,
    producedAt: now.toISOString(),
    payload: {
      stage,
      reasons: storableReasons(reasonsOf(error)),
      originalTopic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key,
      originalEventId: original.eventId,
      originalBatchId: original.batchId,
      ...preserve(message.value),
      originalAppendedAt: appendedAtOf(message)?.toISOString() ?? null,
      attempts,
      failedAt: now.toISOString(),
    },
  };
  if (bytesOf(event, key) > maxBytes) fitPayload(event, message.value ?? Buffer.alloc(0), key, maxBytes);
  return { key, event, headers: { ...message.traceHeaders } };
}

/**
 * Cuts `event.payload.payload` to the longest prefix with which the whole dead letter fits. JSON
 * escaping makes the encoded size of a prefix grow unevenly (`"` takes 2 bytes, a control character 6,
 * `é` 2), so the length is found by bisection on the encoded size, not computed.
 */
function fitPayload(event: DeadLetterEvent, value: Buffer, key: string | null, maxBytes: number): void {
  const dl = event.payload;
  const whole = dl.payload;
  Object.assign(dl, {
    payload: '',
    payloadTruncated: true,
    payloadBytes: value.length,
    payloadSha256: sha256Hex(value),
  });
  const room = maxBytes - bytesOf(event, key);
  const base64 = dl.payloadEncoding === 'base64';
  const prefix = (n: number) => (base64 ? whole.slice(0, n - (n % 4)) : cutAt(whole, n));
  const encoded = (n: number) => Buffer.byteLength(JSON.stringify(prefix(n))) - 2; // minus the quotes
  let lo = 0;
  let hi = Math.min(whole.length, Math.max(0, room));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encoded(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  dl.payload = prefix(lo);
}
