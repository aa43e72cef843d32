import type { KafkaMessage } from 'kafkajs';

/** A record as consumed, before any parsing: handlers parse it through the contract themselves. */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Broker timestamp (ms since epoch) of the record. */
  readonly timestamp: number;
  /**
   * W3C trace headers of this record's `process` span: put them on every record produced on its
   * behalf so the trace continues in the next service. Empty when tracing is off.
   */
  readonly traceHeaders: Readonly<Record<string, string>>;
}

/**
 * When the broker appended the record: its Kafka timestamp, the broker's clock on every SparkFlow topic
 * (`TOPIC_TIMESTAMP_TYPE`), so one clock times every step of an event. Kafka's -1 (no timestamp) is unknown.
 */
export function appendedAtOf(m: Pick<InboundMessage, 'timestamp'>): Date | null {
  return Number.isFinite(m.timestamp) && m.timestamp >= 0 ? new Date(m.timestamp) : null;
}

export type MessageOutcome =
  { readonly status: 'ok' } | { readonly status: 'failed'; readonly error: unknown };

export const OK: MessageOutcome = Object.freeze({ status: 'ok' });
export const failed = (error: unknown): MessageOutcome => ({ status: 'failed', error });

/**
 * Handles the records of one partition batch and says, per record and in the same order, whether it
 * is done. Throwing fails the whole batch (every record is retried).
 */
export type BatchHandler = (messages: readonly InboundMessage[]) => Promise<readonly MessageOutcome[]>;

export function toInbound(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : null,
    value: m.value,
    headers,
    timestamp: Number(m.timestamp),
    traceHeaders: {},
  };
}
