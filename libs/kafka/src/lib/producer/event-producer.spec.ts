import {
  Kafka,
  type LogEntry,
  type Message,
  Partitioners,
  type PartitionMetadata,
  type ProducerRecord,
} from 'kafkajs';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { kafkaErrorCode } from '../errors/kafka-errors';
import { EventProducer } from './event-producer';

const PARTITIONS = 6;

/**
 * A kafkajs client whose producer answers each send for every partition in it except the ones the script
 * names for that send: kafkajs's answer after a leader moved to a broker that had already answered.
 */
function kafkaLeavingOut(script: number[][]) {
  const sends: Message[][] = [];
  let metadataReads = 0;
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async ({ topic, messages }: ProducerRecord) => {
        sends.push(messages);
        const leftOut = script.shift() ?? [];
        const partitions = [...new Set(messages.map((m) => m.partition as number))];
        return partitions
          .filter((p) => !leftOut.includes(p))
          .map((partition) => ({ topicName: topic, partition, errorCode: 0, baseOffset: '0' }));
      },
    }),
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        metadataReads++;
        return {
          topics: topics.map((name) => ({
            name,
            partitions: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId })),
          })),
        };
      },
    }),
  } as unknown as Kafka;
  return { kafka, sends, metadataReads: () => metadataReads };
}

const records = Array.from({ length: 60 }, (_, i) => ({ key: `person-${i}`, value: `v${i}` }));

describe('EventProducer', () => {
  it('starts without kafkajs warning that its default partitioner changed', () => {
    const logged: LogEntry[] = [];
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logCreator: () => (entry) => logged.push(entry) });
    new EventProducer(kafka);
    expect(logged.map((e) => e.log.message)).toEqual([]);
  });

  it('puts each record where kafkajs would have put its key', async () => {
    const { kafka, sends } = kafkaLeavingOut([]);
    await new EventProducer(kafka).sendRecords('t', records);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 0,
    })) as PartitionMetadata[];
    expect(sends[0].map((m) => m.partition)).toEqual(
      records.map((r) => partitioner({ topic: 't', partitionMetadata, message: { ...r } })),
    );
    expect(new Set(sends[0].map((m) => m.partition)).size).toBe(PARTITIONS);
  });

  it('sends again the records of the partitions an answer left out, and only those', async () => {
    const { kafka, sends } = kafkaLeavingOut([[1, 4], [4]]);
    const warnings: string[] = [];
    const producer = new EventProducer(kafka, { warn: (m) => warnings.push(m) });
    const answers = await producer.sendRecords('t', records);

    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const partitionsOf = (messages: Message[]) => [...new Set(messages.map((m) => m.partition))].sort();
    expect(sends.map(partitionsOf)).toEqual([[0, 1, 2, 3, 4, 5], [1, 4], [4]]);
    expect(sends[1].map((m) => m.value)).toEqual(
      sends[0].filter((m) => m.partition === 1 || m.partition === 4).map((m) => m.value),
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/partitions 1, 4; sending them again/);
  });

  it('fails as a broker outage, naming the partitions, when one is never acknowledged', async () => {
    const { kafka, sends } = kafkaLeavingOut(Array.from({ length: 10 }, () => [2]));
    const failure = await new EventProducer(kafka).sendRecords('t', records).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      /records of t partitions 2 were not acknowledged after 5 sends/,
    );
    expect(kafkaErrorCode(failure)).toBe(SparkflowErrorCode.BrokerUnavailable);
    expect(sends).toHaveLength(5);
  });

  it('reads a topic’s partition count once, not per send', async () => {
    const { kafka, metadataReads } = kafkaLeavingOut([]);
    const producer = new EventProducer(kafka);
    await producer.sendRecords('t', records);
    await producer.sendRecords('t', records);
    expect(metadataReads()).toBe(1);
  });
});
