import {
  DeadLetterReason,
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
import type { InboundMessage } from './inbound-message';

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
 * a redelivered or replayed record that fails again gets the same id, so the audit (which keys a dead
 * letter without an original event id by this id) counts it once. A name-based UUID (RFC 9562 v5 layout).
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

const bytesOf = (event: DeadLetterEvent, key: string | null) =>
  Buffer.byteLength(JSON.stringify(event)) + (key === null ? 0 : Buffer.byteLength(key)) + FRAMING_BYTES;

/**
 * Builds the `users.dlq` event that explains why `message` could not be processed at `stage`.
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
  const source = EventSource.safeParse(message.headers[HEADERS.source]);
  const originalBatchId = optionalId(message.headers[HEADERS.batchId]);
  const key = optionalId(message.key);
  const event: DeadLetterEvent = {
    eventId: deadLetterId(stage, message.topic, message.partition, message.offset),
    schemaVersion: SCHEMA_VERSION,
    source: source.success ? source.data : 'unknown',
    batchId: originalBatchId || 'unknown',
    producedAt: now.toISOString(),
    payload: {
      stage,
      reasons: storableReasons(reasonsOf(error)),
      originalTopic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key,
      originalEventId: optionalId(message.headers[HEADERS.eventId]),
      originalBatchId,
      ...preserve(message.value),
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
