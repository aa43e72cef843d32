// @confluentinc/kafka-javascript through its KafkaJS-compatible API (librdkafka underneath).
import confluent from '@confluentinc/kafka-javascript';
import { commitEachBatch } from './kafkajs-api.mjs';

const { Kafka, logLevel, CompressionTypes } = confluent.KafkaJS;

export const name = 'confluent';

function client(opts) {
  return new Kafka({
    kafkaJS: {
      clientId: `bench-kc-confluent-${opts.runId}`,
      brokers: opts.brokers,
      sasl: opts.sasl,
      logLevel: logLevel.ERROR,
    },
  });
}

export async function openProducer(opts) {
  // acks and compression are per producer here, not per send(); librdkafka batches (linger.ms)
  // across the sends in flight, so its own defaults are kept.
  const producer = client(opts).producer({
    kafkaJS: {
      idempotent: true,
      acks: -1,
      compression: CompressionTypes.None,
      allowAutoTopicCreation: false,
    },
  });
  await producer.connect();
  return {
    prepare: (records) => records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    send: (topic, messages) => producer.send({ topic, messages }),
    close: () => producer.disconnect(),
  };
}

export async function consume(opts, topic, onBatch) {
  const consumer = client(opts).consumer({
    kafkaJS: { groupId: opts.groupId, fromBeginning: true, autoCommit: false, maxWaitTimeInMs: 250 },
    // eachBatch defaults to 32 messages; capped at one produce send so commits are not 15x as frequent.
    'js.consumer.max.batch.size': opts.maxBatch,
    'max.partition.fetch.bytes': opts.maxBytesPerPartition,
    'fetch.max.bytes': opts.maxBytes,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitions,
    eachBatch: commitEachBatch(consumer, topic, onBatch),
  });
  return { close: () => consumer.disconnect() };
}
