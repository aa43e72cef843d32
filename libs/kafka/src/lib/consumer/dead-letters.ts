import { randomUUID } from 'node:crypto';
import {
  EventSource,
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  type DeadLetterEvent,
  type Stage,
} from '@sparkflow/contracts';
import { reasonsOf } from '@sparkflow/errors';
import type { OutboundEvent } from '../producer/event-producer';
import type { InboundMessage } from './inbound-message';

/** The payload exactly as received: text when it is valid UTF-8, base64 otherwise. */
function preserve(value: Buffer | null): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  if (!value) return { payload: '', payloadEncoding: 'utf8' };
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value)
    ? { payload: text, payloadEncoding: 'utf8' }
    : { payload: value.toString('base64'), payloadEncoding: 'base64' };
}

/** Builds the `users.dlq` event that explains why `message` could not be processed at `stage`. */
export function deadLetterFor(
  message: InboundMessage,
  stage: Stage,
  error: unknown,
  attempts: number,
  now = new Date(),
): OutboundEvent {
  const source = EventSource.safeParse(message.headers[HEADERS.source]);
  const originalEventId = message.headers[HEADERS.eventId] ?? null;
  const originalBatchId = message.headers[HEADERS.batchId] ?? null;
  const event: DeadLetterEvent = {
    eventId: randomUUID(),
    schemaVersion: SCHEMA_VERSION,
    source: source.success ? source.data : 'unknown',
    batchId: originalBatchId ?? 'unknown',
    producedAt: now.toISOString(),
    payload: {
      stage,
      reasons: reasonsOf(error),
      originalTopic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      originalEventId,
      originalBatchId,
      ...preserve(message.value),
      attempts,
      failedAt: now.toISOString(),
    },
  };
  return { key: message.key, event, headers: { ...message.traceHeaders } };
}

export const DLQ_TOPIC = TOPICS.usersDlq;
