import { Partitioners } from 'kafkajs';
import { SparkflowErrorCode, type TopicName } from '@sparkflow/contracts';
import { integrationSettings, readTopicToEnd, scratchKafka } from '@sparkflow/testing';
import { failureCode } from '../errors/kafka-errors';
import { createKafka } from '../kafka-client';
import { ensureTopics } from '../topics/ensure-topics';
import { EventProducer } from './event-producer';
import type { KafkaProducerClient } from './record-senders';

const settings = integrationSettings();
// Made by createKafka, so that a producer of either client finds the brokers and principal in it.
const kafka = createKafka(
  {
    brokers: settings.KAFKA_BROKERS.split(','),
    clientId: 'producer-integration',
    credentials: {
      mechanism: settings.KAFKA_SASL_MECHANISM,
      username: settings.KAFKA_USERNAME,
      password: settings.KAFKA_ADMIN_PASSWORD,
    },
  },
  () => undefined,
);
const scratch = scratchKafka(kafka);
/** The broker's default, which every SparkFlow topic keeps: the largest record batch it takes. */
const MAX_MESSAGE_BYTES = 1_048_588;

/** A topic of the test's own, with the broker's default record-batch limit. */
const createTopic = (name: string, partitions: number) =>
  ensureTopics(kafka.admin(), [
    {
      name: name as TopicName,
      partitions,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      maxMessageBytes: MAX_MESSAGE_BYTES,
      description: 'integration test topic',
    },
  ]);

/**
 * Every record the topic holds once the sends have been answered, from each partition's start to the end
 * offset the broker gives after them, in each partition's order, key and value as text.
 */
const readTopic = async (topic: string) =>
  (await readTopicToEnd(kafka, topic, { groupPrefix: 'it-producer-read' })).map((r) => ({
    ...r,
    key: String(r.key),
    value: String(r.value),
  }));

/** The values in the order they were first written, each once: what an at-least-once writer promises. */
const firstOccurrences = (values: string[]): string[] => [...new Set(values)];

/** The partition kafkajs's default partitioner (Java's murmur2) gives a key in a 6-partition topic. */
const partitionOf = (key: string): number =>
  Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    })),
    message: { key, value: null },
  });

describe.each<KafkaProducerClient>(['kafkajs', 'platformatic'])('EventProducer writing with %s', (client) => {
  const producer = new EventProducer(kafka, { client });
  afterAll(() => producer.disconnect());

  it('places each record where the key always went, and answers with an offset per partition written', async () => {
    const topic = scratch.topicName(`it-producer-keys-${client}`);
    await createTopic(topic, 6);
    const records = Array.from({ length: 60 }, (_, i) => ({ key: `person-${i % 20}`, value: `v${i}` }));
    const answers = await producer.sendRecords(topic, records);

    const read = await readTopic(topic);
    // The same key in the same partition, whichever client wrote it (kafkajs's murmur2, as Java's).
    for (const r of read) expect(r.partition).toBe(partitionOf(r.key));
    expect(firstOccurrences(read.map((r) => r.value)).sort()).toEqual(records.map((r) => r.value).sort());
    // One answer per partition the records went to, at the offset where that partition's first record
    // was written by the request that was acknowledged.
    const sentTo = [...new Set(records.map((r) => partitionOf(r.key)))].sort((a, b) => a - b);
    expect(answers.map((a) => a.partition).sort((a, b) => a - b)).toEqual(sentTo);
    for (const a of answers) {
      const first = records.find((r) => partitionOf(r.key) === a.partition);
      const atBase = read.find((r) => r.partition === a.partition && r.offset === Number(a.baseOffset));
      expect(atBase?.value).toBe(first?.value);
    }
  });

  it('writes, in order, records of one partition adding up to more than one record batch the topic takes', async () => {
    const topic = scratch.topicName(`it-producer-big-${client}`);
    await createTopic(topic, 2);
    // 1.2 MB of one key in one send: kafkajs would put it in one record batch, refused whole.
    const big = Array.from({ length: 5 }, (_, i) => ({
      key: 'same-person',
      value: `${i}:`.padEnd(240_000, 'x'),
    }));
    const records = [...big, { key: 'another-person', value: 'small' }];
    await producer.sendRecords(topic, records);

    const read = await readTopic(topic);
    const valuesOf = (key: string) => firstOccurrences(read.filter((r) => r.key === key).map((r) => r.value));
    expect(valuesOf('same-person')).toEqual(big.map((r) => r.value));
    expect(valuesOf('another-person')).toEqual(['small']);
  });

  it('refuses a record the topic cannot take as RECORD_TOO_LARGE, naming the topic', async () => {
    const topic = scratch.topicName(`it-producer-too-big-${client}`);
    await createTopic(topic, 1);
    const failure = await producer
      .sendRecords(topic, [{ key: 'k', value: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }])
      .catch((e: unknown) => e);
    expect(failureCode(failure)).toBe(SparkflowErrorCode.RecordTooLarge);
    expect((failure as Error).message).toContain(`producing 1 records to ${topic}`);
  });
});
