import { context, propagation } from '@opentelemetry/api';
import { CompressionTypes, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { HEADERS, type Envelope } from '@sparkflow/contracts';

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
 * The one way SparkFlow writes events: idempotent producer, acks from all in-sync replicas, optional
 * compression, and the envelope plus W3C trace context in headers so consumers continue the trace.
 */
export class EventProducer {
  private readonly producer: Producer;
  private readonly compression: CompressionTypes;
  private connected = false;

  constructor(kafka: Kafka, options: { compression?: KafkaCompression } = {}) {
    this.compression = CODECS[options.compression ?? 'none'];
    this.producer = kafka.producer({
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
    return this.producer.send({
      topic,
      acks: -1,
      compression: this.compression,
      messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...trace, ...r.headers } })),
    });
  }
}
