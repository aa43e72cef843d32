import { context, propagation } from '@opentelemetry/api';
import { CompressionTypes, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { HEADERS, type Envelope } from '@sparkflow/contracts';
import { kafkaProtocolErrorType } from '../errors/kafka-errors';

export interface OutboundEvent {
  key: string | null;
  /** The full event: envelope fields plus `payload`. */
  event: Envelope & { payload: unknown };
  headers?: Record<string, string>;
}

/** A record published as it is: a replayed dead letter's value is bytes that may not be an event at all. */
export interface OutboundRecord {
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/**
 * Record-batch compression. `none` by default: on one machine or a LAN, GZIP (the only codec kafkajs
 * ships) cost the producing and consuming services more CPU than the bytes it saved — measured in
 * bench/README.md. Choose `gzip` where the network, not the CPU, is the scarce resource.
 */
export type KafkaCompression = 'none' | 'gzip';

const CODECS: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/**
 * Broker answers that mean the idempotent producer's session (its producer id and per-partition sequence
 * numbers) no longer matches the partition's leader, as after a broker failover: kafkajs keeps the
 * session and every later send to that partition fails the same way, for good.
 */
const SESSION_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/**
 * The one way SparkFlow writes events: idempotent producer, acks from all in-sync replicas, optional
 * compression, and the envelope plus W3C trace context in headers so consumers continue the trace.
 *
 * A send the broker refuses because the producer's session was lost is sent again on a new session (a
 * new producer id, sequences from 0). Records the old session had written may then be written twice;
 * every consumer is idempotent by event id (the audit's key, Cassandra's row), so a copy changes no count
 * and no cell, where giving up would fail the request or the backfill.
 */
export class EventProducer {
  private producer: Producer;
  private readonly compression: CompressionTypes;
  private connected = false;
  /** Sessions begun so far; a send that failed on an older one retries on the current without starting another. */
  private session = 0;
  private renewal: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    options: { compression?: KafkaCompression } = {},
  ) {
    this.compression = CODECS[options.compression ?? 'none'];
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  /**
   * Replaces a producer whose session the broker no longer knows, once for all the sends that failed on
   * it (they wait for the same connection); the old producer is closed in the background.
   */
  private renewSession(failedOn: number): Promise<void> {
    if (failedOn === this.session) {
      this.session++;
      const old = this.producer;
      this.producer = this.newProducer();
      this.connected = false;
      void old.disconnect().catch(() => undefined);
      this.renewal = this.connect();
    }
    return this.renewal ?? Promise.resolve();
  }

  /** Resolves once the broker acknowledged every event (acks=all). */
  async send(topic: string, events: readonly OutboundEvent[]): Promise<RecordMetadata[]> {
    return this.sendRecords(
      topic,
      events.map((e) => ({
        key: e.key,
        value: JSON.stringify(e.event),
        headers: {
          [HEADERS.eventId]: e.event.eventId,
          [HEADERS.schemaVersion]: String(e.event.schemaVersion),
          [HEADERS.source]: e.event.source,
          [HEADERS.batchId]: e.event.batchId,
          ...e.headers,
        },
      })),
    );
  }

  /** Publishes records whose value and headers are already made; the trace context is added. Acks=all. */
  async sendRecords(topic: string, records: readonly OutboundRecord[]): Promise<RecordMetadata[]> {
    if (!records.length) return [];
    await this.connect();
    const trace: Record<string, string> = {};
    propagation.inject(context.active(), trace);
    const send = () =>
      this.producer.send({
        topic,
        acks: -1,
        compression: this.compression,
        messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...trace, ...r.headers } })),
      });
    const session = this.session;
    try {
      return await send();
    } catch (err) {
      if (!SESSION_LOST.has(kafkaProtocolErrorType(err) ?? '')) throw err;
      await this.renewSession(session);
      return send();
    }
  }
}
