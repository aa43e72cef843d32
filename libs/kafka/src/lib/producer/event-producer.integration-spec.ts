import { Kafka, logLevel } from 'kafkajs';
import { SparkflowErrorCode, type TopicName } from '@sparkflow/contracts';
import { integrationSettings, kafkaConnection, scratchKafka } from '@sparkflow/testing';
import { failureCode } from '../errors/kafka-errors';
import { ensureTopics } from '../topics/ensure-topics';
import { EventProducer } from './event-producer';

const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'producer-integration',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});
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

/** Every record of the topic, from the beginning, in each partition's order. */
async function readAll(topic: string, count: number): Promise<{ key: string; value: string }[]> {
  const consumer = kafka.consumer({ groupId: scratch.group('it-producer-read'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const read: { key: string; value: string }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        read.push({ key: String(message.key), value: String(message.value) });
        if (read.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return read;
}

describe('EventProducer against the broker', () => {
  const producer = new EventProducer(kafka);
  afterAll(() => producer.disconnect());

  it('writes, in order, records of one partition adding up to more than one record batch the topic takes', async () => {
    const topic = scratch.topicName('it-producer-big');
    await createTopic(topic, 2);
    // 1.2 MB of one key in one send: kafkajs would put it in one record batch, refused whole.
    const big = Array.from({ length: 5 }, (_, i) => ({
      key: 'same-person',
      value: `${i}:`.padEnd(240_000, 'x'),
    }));
    const records = [...big, { key: 'another-person', value: 'small' }];
    await producer.sendRecords(topic, records);

    const read = await readAll(topic, records.length);
    expect(read.filter((r) => r.key === 'same-person').map((r) => r.value)).toEqual(big.map((r) => r.value));
    expect(read.filter((r) => r.key === 'another-person').map((r) => r.value)).toEqual(['small']);
  });

  it('refuses a record the topic cannot take as RECORD_TOO_LARGE, naming the topic', async () => {
    const topic = scratch.topicName('it-producer-too-big');
    await createTopic(topic, 1);
    const failure = await producer
      .sendRecords(topic, [{ key: 'k', value: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }])
      .catch((e: unknown) => e);
    expect(failureCode(failure)).toBe(SparkflowErrorCode.RecordTooLarge);
    expect((failure as Error).message).toContain(`producing 1 records to ${topic}`);
  });
});
