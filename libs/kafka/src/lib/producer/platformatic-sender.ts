import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { RecordMetadata } from 'kafkajs';
import type { KafkaOrigin } from '../kafka-client';
import type { KafkaCompression, PartitionedMessage, RecordSender } from './record-senders';

/** Keys, values and header values as EventProducer makes them: strings or bytes. */
const bytes = (v?: Buffer | string | null): Buffer | undefined =>
  v == null ? undefined : typeof v === 'string' ? Buffer.from(v) : v;

type Bytes = Buffer | string | null;

/**
 * Sends with @platformatic/kafka, for the cluster and principal a kafkajs client was made for. Only this
 * file loads the library, and only `platformaticSender` loads this file, at a producer's first send.
 */
export class PlatformaticSender implements RecordSender {
  private readonly producer: Producer<Bytes, Bytes, Bytes, Bytes>;

  constructor({ settings, bounds }: KafkaOrigin, compression: KafkaCompression) {
    this.producer = new Producer({
      clientId: settings.clientId,
      bootstrapBrokers: settings.brokers,
      sasl: {
        mechanism: settings.credentials.mechanism.toUpperCase() as
          'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
        username: settings.credentials.username,
        password: settings.credentials.password,
      },
      connectTimeout: bounds.connectionTimeoutMs,
      timeout: bounds.requestTimeoutMs,
      retries: bounds.retries,
      retryDelay: bounds.initialRetryTimeMs,
      idempotent: false,
      compression,
      autocreateTopics: false,
      serializers: { key: bytes, value: bytes, headerKey: bytes, headerValue: bytes },
    });
  }

  // The client connects on its first send.
  connect = async (): Promise<void> => undefined;
  disconnect = (): Promise<void> => this.producer.close();

  async send(topic: string, messages: PartitionedMessage[]): Promise<RecordMetadata[]> {
    const { offsets = [] } = await this.producer.send({
      // Per send: @platformatic/kafka 2.12 reads `acks` from the send's options only, and defaults a
      // non-idempotent send to the leader's acknowledgement alone (its constructor's `acks` is not read).
      acks: ProduceAcks.ALL,
      messages: messages.map((m) => ({
        topic,
        partition: m.partition,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headers as Record<string, Bytes>,
      })),
    });
    return offsets.map((o) => ({
      topicName: o.topic,
      partition: o.partition,
      errorCode: 0,
      baseOffset: String(o.offset),
    }));
  }
}
