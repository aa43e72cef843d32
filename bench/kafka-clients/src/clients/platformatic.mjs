// @platformatic/kafka: no eachBatch; its stream yields a fetch response's records partition by
// partition, so a batch is a run of one partition's records (at most maxBatch), committed once.
import { Consumer, MessagesStreamModes, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';

export const name = 'platformatic';

export async function openProducer(opts) {
  const producer = new Producer({
    clientId: `bench-kc-platformatic-${opts.runId}`,
    bootstrapBrokers: opts.brokers,
    sasl: { ...opts.sasl, mechanism: opts.sasl.mechanism.toUpperCase() },
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: 'none',
    autocreateTopics: false,
    serializers: stringSerializers,
  });
  return {
    prepare: (records, topic) =>
      records.map((r) => ({ topic, key: r.key, value: r.value, headers: r.headers })),
    send: (_topic, messages) => producer.send({ messages }),
    close: () => producer.close(),
  };
}

export async function consume(opts, topic, onBatch) {
  const consumer = new Consumer({
    clientId: `bench-kc-platformatic-${opts.runId}`,
    groupId: opts.groupId,
    bootstrapBrokers: opts.brokers,
    sasl: { ...opts.sasl, mechanism: opts.sasl.mechanism.toUpperCase() },
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
    maxWaitTime: 250,
    maxBytesPerPartition: opts.maxBytesPerPartition,
    maxBytes: opts.maxBytes,
  });
  let closed = false;
  const loop = (async () => {
    let partition = -1;
    let size = 0;
    let last;
    const flush = async () => {
      if (size === 0) return;
      await last.commit();
      onBatch(size);
      size = 0;
    };
    for await (const message of stream) {
      if (message.partition !== partition || size >= opts.maxBatch) {
        await flush();
        partition = message.partition;
      }
      size++;
      last = message;
      // The stream buffers ahead; an empty buffer means this fetch's records are all here.
      if (stream.readableLength === 0) await flush();
    }
  })().catch((err) => {
    if (!closed) throw err;
  });
  return {
    close: async () => {
      closed = true;
      await stream.close();
      await consumer.close();
      await loop;
    },
  };
}
