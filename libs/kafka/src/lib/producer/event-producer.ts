import { context, propagation } from '@opentelemetry/api';
import {
  type Admin,
  type Kafka,
  KafkaJSError,
  type Message,
  type PartitionMetadata,
  Partitioners,
  type RecordMetadata,
} from 'kafkajs';
import { HEADERS, TOPIC_SPECS, type Envelope } from '@sparkflow/contracts';
import { fromKafkaError } from '../errors/kafka-errors';
import {
  type KafkaCompression,
  type KafkaProducerClient,
  KafkajsSender,
  type PartitionedMessage,
  platformaticSender,
  type RecordSender,
} from './record-senders';

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

/** How long a topic's partition count is trusted before it is read again: kafkajs's own metadata age. */
const PARTITION_COUNT_TTL_MS = 5 * 60_000;
/** Sends of the records a send's answers left out (kafkajs has retried each one already) before giving up. */
const MAX_SENDS = 5;
/** The broker's default `max.message.bytes` (1 MiB plus 12), for a topic SparkFlow does not declare. */
const BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
/** Room left in a record batch for its own header (61 bytes) and the estimate's error. */
const BATCH_OVERHEAD_BYTES = 1024;
/** More than a record's own length, attributes, offset and timestamp deltas and counts take as varints. */
const RECORD_OVERHEAD_BYTES = 32;
/** More than a header's two length varints take. */
const HEADER_OVERHEAD_BYTES = 8;

export interface EventProducerOptions {
  /**
   * Record-batch compression. `none` by default: on one machine or a LAN, GZIP (the only codec kafkajs
   * ships) cost the producing and consuming services more CPU than the bytes it saved — measured in
   * bench/README.md. Choose `gzip` where the network, not the CPU, is the scarce resource.
   */
  compression?: KafkaCompression;
  /** The client that writes the records (`kafkajs` by default). */
  client?: KafkaProducerClient;
  /** Told when a send is repeated for records whose partitions went unacknowledged. */
  warn?: (message: string, extra: object) => void;
}

/**
 * The one way SparkFlow writes events: acks from all in-sync replicas, optional compression, and the
 * envelope plus W3C trace context in headers so consumers continue the trace. It resolves only once every
 * record's partition acknowledged it. kafkajs puts all the records of one partition in a send into one
 * record batch, which the broker refuses whole above the topic's `max.message.bytes`; so a send whose
 * records of a partition would not fit is cut into several, in order (`sendsWithin`). A failure is thrown
 * as a SparkflowException with its code (`fromKafkaError`): an outage is BROKER_UNAVAILABLE, a record too
 * large for the topic RECORD_TOO_LARGE.
 *
 * Two kafkajs faults, both seen under a broker killed with SIGKILL (`producer-failover.cluster-spec.ts`),
 * shape it — see docs/adr/0011-producer-acknowledges-every-partition.md:
 * - kafkajs resolves a send without writing the records of partitions whose leader moved, mid-send, to a
 *   broker that had already answered for other partitions. So each record's partition is chosen here,
 *   with kafkajs's own partitioner (the same key goes where it always went), every partition is checked in
 *   the answers, and the records of a partition missing from them are sent again.
 * - kafkajs's idempotent producer hands a failed request's sequence numbers back even when the broker
 *   wrote it; the next batch of that partition then reuses them, and the broker answers
 *   OUT_OF_ORDER_SEQUENCE_NUMBER, or, when the record counts match, acknowledges it as a duplicate without
 *   writing it. So the producer is not idempotent: a retry may write a record twice, which every consumer
 *   absorbs by event id (the audit's key, Cassandra's row at the event's own time), and loses none.
 */
export class EventProducer {
  private readonly sender: RecordSender;
  private readonly admin: Admin;
  private readonly partitionOf = Partitioners.DefaultPartitioner();
  private readonly partitionCounts = new Map<string, { count: Promise<number>; readAt: number }>();
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly options: EventProducerOptions = {},
  ) {
    const compression = options.compression ?? 'none';
    this.sender =
      options.client === 'platformatic'
        ? platformaticSender(kafka, compression)
        : new KafkajsSender(kafka, compression);
    this.admin = kafka.admin();
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await Promise.all([this.sender.connect(), this.admin.connect()]);
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await Promise.all([this.sender.disconnect(), this.admin.disconnect()]);
  }

  /** Resolves once every event's partition acknowledged it (acks=all). */
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

  /**
   * Publishes records whose value and headers are already made; the trace context is added. Resolves with
   * one answer per partition written, once every record's partition acknowledged it (acks=all).
   */
  async sendRecords(topic: string, records: readonly OutboundRecord[]): Promise<RecordMetadata[]> {
    if (!records.length) return [];
    try {
      await this.connect();
      const trace: Record<string, string> = {};
      propagation.inject(context.active(), trace);
      const partitionMetadata = partitionList(await this.partitionCount(topic));
      const messages = records.map((r) => {
        const message: Message = { key: r.key, value: r.value, headers: { ...trace, ...r.headers } };
        return { ...message, partition: this.partitionOf({ topic, partitionMetadata, message }) };
      });
      const acknowledged: RecordMetadata[] = [];
      for (const send of sendsWithin(messages, recordBytes, maxBatchBytes(topic)))
        acknowledged.push(...(await this.sendAll(topic, send)));
      return acknowledged;
    } catch (error) {
      throw fromKafkaError(error, `producing ${records.length} records to ${topic}`);
    }
  }

  /** One client send, repeated for the records of partitions its answers left out. */
  private async sendAll(topic: string, messages: PartitionedMessage[]): Promise<RecordMetadata[]> {
    let pending = messages;
    const acknowledged: RecordMetadata[] = [];
    for (let sends = 1; ; sends++) {
      const answers = await this.sender.send(topic, pending);
      const written = answers.filter((a) => a.topicName === topic && a.errorCode === 0);
      const partitions = new Set(written.map((a) => a.partition));
      acknowledged.push(...written);
      pending = pending.filter((m) => !partitions.has(m.partition));
      if (!pending.length) return acknowledged;

      const missing = [...new Set(pending.map((m) => m.partition))].sort((a, b) => a - b);
      const what = `${pending.length} records of ${topic} partitions ${missing.join(', ')}`;
      if (sends === MAX_SENDS)
        throw new KafkaJSError(`${what} were not acknowledged after ${sends} sends`, { retriable: true });
      this.options.warn?.(`the broker's answers left out ${what}; sending them again`, {
        topic,
        partitions: missing,
        records: pending.length,
      });
    }
  }

  /** The topic's partition count from the broker, read again after kafkajs's metadata age; a failed read is not kept. */
  private partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known && Date.now() - known.readAt < PARTITION_COUNT_TTL_MS) return known.count;
    const count = this.admin.fetchTopicMetadata({ topics: [topic] }).then(({ topics }) => {
      const n = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (!n) throw new KafkaJSError(`the broker knows no partitions of topic ${topic}`, { retriable: true });
      return n;
    });
    const entry = { count, readAt: Date.now() };
    this.partitionCounts.set(topic, entry);
    count.catch(() => {
      if (this.partitionCounts.get(topic) === entry) this.partitionCounts.delete(topic);
    });
    return count;
  }
}

/** What kafkajs's partitioner reads of a topic: its partitions, each with a leader (any will do here). */
const partitionList = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));

/** The largest record batch the topic takes, less room for the batch's own header. */
const maxBatchBytes = (topic: string): number =>
  (TOPIC_SPECS.find((t) => t.name === topic)?.maxMessageBytes ?? BROKER_DEFAULT_MAX_MESSAGE_BYTES) -
  BATCH_OVERHEAD_BYTES;

/** What a record takes in its record batch, uncompressed: at least its key, value and headers. */
function recordBytes(m: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(m.key) + byteLength(m.value);
  for (const [name, value] of Object.entries(m.headers ?? {}))
    bytes +=
      HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + byteLength(value as Buffer | string | undefined);
  return bytes;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/**
 * Cuts records into sends in which each partition's records add up to at most `maxBytes`, keeping every
 * partition's records in their order: send k holds each partition's k-th run. A record larger than
 * `maxBytes` goes alone, for the broker to refuse by name.
 */
export function sendsWithin<T extends { partition: number }>(
  records: readonly T[],
  bytesOf: (record: T) => number,
  maxBytes: number,
): T[][] {
  const sends: T[][] = [];
  const runs = new Map<number, { send: number; bytes: number }>();
  for (const r of records) {
    const bytes = bytesOf(r);
    let run = runs.get(r.partition) ?? { send: 0, bytes: 0 };
    if (run.bytes > 0 && run.bytes + bytes > maxBytes) run = { send: run.send + 1, bytes: 0 };
    run.bytes += bytes;
    runs.set(r.partition, run);
    (sends[run.send] ??= []).push(r);
  }
  return sends;
}
