import {
  CompressionTypes,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { kafkaOrigin } from '../kafka-client';

/**
 * Which client writes the records. `kafkajs` by default; `platformatic` (@platformatic/kafka) encodes a
 * send with fewer copies — bench/results/2026-12-02-kafka-producer.md measures both on the whole pipeline.
 * Everything else a producer does (where each record goes, cutting sends to the topic's batch size,
 * checking every partition's answer, the error codes) is EventProducer's, whichever client sends.
 */
export type KafkaProducerClient = 'kafkajs' | 'platformatic';

export type KafkaCompression = 'none' | 'gzip';

/** A record whose partition EventProducer has already chosen. */
export type PartitionedMessage = Message & { partition: number };

/** One client's send: all of a topic's records at acks=all, answered per partition written. */
export interface RecordSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(topic: string, messages: PartitionedMessage[]): Promise<RecordMetadata[]>;
}

const KAFKAJS_CODECS: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

export class KafkajsSender implements RecordSender {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly compression: KafkaCompression,
  ) {
    this.producer = kafka.producer({
      // The records come with their partition, so it is never asked; named, so kafkajs does not warn at
      // start-up that v2 changed its default.
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: false,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
    });
  }

  connect = (): Promise<void> => this.producer.connect();
  disconnect = (): Promise<void> => this.producer.disconnect();

  send(topic: string, messages: PartitionedMessage[]): Promise<RecordMetadata[]> {
    return this.producer.send({ topic, acks: -1, compression: KAFKAJS_CODECS[this.compression], messages });
  }
}

/**
 * A @platformatic/kafka sender for the cluster and principal `kafka` was made for by `createKafka`. The
 * library (an ES module that loads every protocol API it knows, 16–22 MB of a service's RSS) is loaded
 * at the first send, so a service that rarely produces (the audit, only dead letters) loads it only then.
 * After `disconnect` the next send makes a new client, as kafkajs's producer connects again.
 */
export function platformaticSender(kafka: Kafka, compression: KafkaCompression): RecordSender {
  const origin = kafkaOrigin(kafka);
  if (!origin)
    throw new Error(
      'KAFKA_PRODUCER_CLIENT=platformatic needs a Kafka client made by createKafka, to read its brokers and principal',
    );
  let sender: RecordSender | undefined;
  const load = (): RecordSender => {
    const { PlatformaticSender } = require('./platformatic-sender') as typeof import('./platformatic-sender');
    return new PlatformaticSender(origin, compression);
  };
  return {
    // The client connects on its first send.
    connect: async () => undefined,
    disconnect: async () => {
      const open = sender;
      sender = undefined;
      await open?.disconnect();
    },
    send: (topic, messages) => (sender ??= load()).send(topic, messages),
  };
}
