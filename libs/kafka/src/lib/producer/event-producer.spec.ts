import {
  Kafka,
  KafkaJSProtocolError,
  type LogEntry,
  type Message,
  Partitioners,
  type PartitionMetadata,
  type ProducerRecord,
} from 'kafkajs';
import fc from 'fast-check';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { failureCode } from '../errors/kafka-errors';
import { EventProducer, sendsWithin } from './event-producer';

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

  it('refuses the platformatic client over a kafkajs client it cannot read brokers and principal from, naming the setting', () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
    expect(() => new EventProducer(kafka, { client: 'platformatic' })).toThrow(
      /KAFKA_PRODUCER_CLIENT=platformatic/,
    );
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
    expect(failure).toBeInstanceOf(SparkflowException);
    expect(failureCode(failure)).toBe(SparkflowErrorCode.BrokerUnavailable);
    expect(sends).toHaveLength(5);
  });

  it('reads a topic’s partition count once, not per send', async () => {
    const { kafka, metadataReads } = kafkaLeavingOut([]);
    const producer = new EventProducer(kafka);
    await producer.sendRecords('t', records);
    await producer.sendRecords('t', records);
    expect(metadataReads()).toBe(1);
  });

  it('cuts a send whose records of one partition would not fit one record batch, keeping their order', async () => {
    const { kafka, sends } = kafkaLeavingOut([]);
    // Five people of 240 KB, all of one key (one partition), and one small one elsewhere: 1.2 MB of one
    // partition in one send, which the broker would refuse whole above users.raw's 1 MiB.
    const big = Array.from({ length: 5 }, (_, i) => ({
      key: 'same-person',
      value: `${i}`.padEnd(240_000, 'x'),
    }));
    const small = { key: 'another-person', value: 'small' };
    const answers = await new EventProducer(kafka).sendRecords('users.raw', [...big, small]);

    const bytesOf = (ms: Message[], partition: number) =>
      ms.filter((m) => m.partition === partition).reduce((n, m) => n + String(m.value).length, 0);
    const partition = sends[0][0].partition as number;
    expect(sends.length).toBeGreaterThan(1);
    for (const send of sends) expect(bytesOf(send, partition)).toBeLessThanOrEqual(1024 * 1024 - 1024);
    const delivered = sends.flat();
    expect(delivered.filter((m) => m.key === 'same-person').map((m) => String(m.value)[0])).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(delivered.filter((m) => m.key === 'another-person')).toHaveLength(1);
    expect(answers.length).toBeGreaterThanOrEqual(sends.length);
  });

  it('throws a kafkajs failure as a SparkflowException with its code, a record too large as RECORD_TOO_LARGE', async () => {
    const refused = new KafkaJSProtocolError({
      message: 'The request included a message larger than the max message size the server will accept',
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
      retriable: false,
    } as never);
    const kafka = {
      producer: () => ({ connect: async () => undefined, send: async () => Promise.reject(refused) }),
      admin: () => ({
        connect: async () => undefined,
        fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: [{ partitionId: 0 }] }] }),
      }),
    } as unknown as Kafka;
    const failure = await new EventProducer(kafka).sendRecords('t', records).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SparkflowException);
    expect(failureCode(failure)).toBe(SparkflowErrorCode.RecordTooLarge);
    expect((failure as Error).message).toMatch(/producing 60 records to t: .*MESSAGE_TOO_LARGE/);
  });
});

describe('sendsWithin', () => {
  // Any records, any sizes: every partition's records arrive in their order, each send's records of a
  // partition fit unless one record alone is larger, and a run is cut only where the next would not fit.
  it('keeps each partition in order, within the limit, cutting only where it must', () => {
    const record = fc.record({
      partition: fc.integer({ min: 0, max: 5 }),
      bytes: fc.integer({ min: 1, max: 1500 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), fc.integer({ min: 100, max: 3000 }), (input, max) => {
        const rs = input.map((r, i) => ({ ...r, i }));
        const sends = sendsWithin(rs, (r) => r.bytes, max);
        expect(sends.every((s) => s.length > 0)).toBe(true);
        for (let p = 0; p <= 5; p++) {
          const runs = sends.map((s) => s.filter((r) => r.partition === p));
          expect(runs.flat().map((r) => r.i)).toEqual(rs.filter((r) => r.partition === p).map((r) => r.i));
          const sizes = runs.map((run) => run.reduce((n, r) => n + r.bytes, 0));
          runs.forEach((run, k) => {
            if (run.length > 1) expect(sizes[k]).toBeLessThanOrEqual(max);
            const next = runs[k + 1]?.[0];
            if (next) expect(sizes[k] + next.bytes).toBeGreaterThan(max);
          });
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
