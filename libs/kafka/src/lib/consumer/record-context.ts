import { HEADERS } from '@sparkflow/contracts';
import { type LogIds, contextFromHeaders, inRecordContext } from '@sparkflow/telemetry';
import type { InboundMessage } from './inbound-message';

/** The envelope's event and batch ids, from the record's headers (the producer always sets both). */
export function recordLogIds(m: InboundMessage): LogIds {
  const ids: LogIds = {};
  const eventId = m.headers[HEADERS.eventId];
  const batchId = m.headers[HEADERS.batchId];
  if (eventId) ids.event_id = eventId;
  if (batchId) ids.batch_id = batchId;
  return ids;
}

/**
 * Runs `fn` as the work of one consumed record: its `process` span active and its event and batch ids
 * on every log line written meanwhile, however deep in the use case (no logger is passed around).
 */
export function inRecord<T>(m: InboundMessage, fn: () => T): T {
  return inRecordContext(contextFromHeaders(m.traceHeaders), recordLogIds(m), fn);
}

/**
 * The ids every record of a partition batch shares, for the lines about the batch as a whole (retries):
 * its batch id and upstream trace when one request produced them all, nothing where they differ.
 */
export function batchLogIds(messages: readonly InboundMessage[]): LogIds {
  const ids: LogIds = {};
  const batchId = shared(messages, (m) => m.headers[HEADERS.batchId]);
  const traceId = shared(messages, (m) => m.headers[HEADERS.traceparent]?.split('-')[1]);
  if (batchId) ids.batch_id = batchId;
  if (traceId && /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId)) ids.trace_id = traceId;
  return ids;
}

function shared(
  messages: readonly InboundMessage[],
  get: (m: InboundMessage) => string | undefined,
): string | undefined {
  const first = messages[0] && get(messages[0]);
  return first && messages.every((m) => get(m) === first) ? first : undefined;
}
