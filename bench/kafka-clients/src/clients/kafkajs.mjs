// kafkajs 2.2.4 from the repo root's node_modules, configured as libs/kafka configures it.
import kafkajs from 'kafkajs';
import { commitEachBatch } from './kafkajs-api.mjs';

const { Kafka, logLevel } = kafkajs;

export const name = 'kafkajs';

function client(opts) {
  return new Kafka({
    clientId: `bench-kc-kafkajs-${opts.runId}`,
    brokers: opts.brokers,
    sasl: opts.sasl,
    logLevel: logLevel.ERROR,
  });
}

export async function openProducer(opts) {
  const producer = client(opts).producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    prepare: (records) => records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    send: (topic, messages) => producer.send({ topic, acks: -1, messages }),
    close: () => producer.disconnect(),
  };
}

/** Calls onBatch(size) after each committed partition batch; resolves once stop() is called. */
export async function consume(opts, topic, onBatch) {
  const consumer = client(opts).consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: opts.maxBytesPerPartition,
    maxBytes: opts.maxBytes,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitions,
    eachBatch: commitEachBatch(consumer, topic, onBatch),
  });
  return { close: () => consumer.disconnect() };
}
