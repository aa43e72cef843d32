import { Kafka, logLevel } from 'kafkajs';
import { integrationSettings, kafkaConnection, scratchKafka } from '@sparkflow/testing';
import type { PartitionLag } from '../lag/partition-progress';
import { EventProducer } from '../producer/event-producer';
import { BatchConsumer } from './batch-consumer';
import { ConsumerHealth } from './consumer-health';

const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'consumer-stall-it',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

describe('BatchConsumer stall reporting on the real broker', () => {
  it('reports a frozen consumer: lag seconds keep growing, the metrics observer and readiness name the stalled partition', async () => {
    const topic = await scratch.topic(
      'it-frozen',
      Array.from({ length: 5 }, (_, i) => ({ partition: 0, key: `k${i}`, value: '{}' })),
      { partitions: 2 },
    );
    const producedAt = Date.now(); // just after the records were acknowledged: a lower bound of their age

    // Every batch hangs until the end of the test: a consumer frozen with five records waiting on partition 0.
    let release!: () => void;
    const frozen = new Promise<never>((_, reject) => (release = () => reject(new Error('released'))));
    const rounds: PartitionLag[][] = [];
    let markStalled!: () => void;
    const stalled = new Promise<void>((resolve) => (markStalled = resolve));
    const health = new ConsumerHealth();
    const producer = new EventProducer(kafka);
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-frozen-group'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      sessionTimeoutMs: 10_000,
      watchdog: { checkEveryMs: 250, stallAfterMs: 2000, disconnectTimeoutMs: 500 },
      health,
      observer: {
        partitionLag: (partitions) => {
          rounds.push([...partitions]);
          if (partitions.some((p) => p.stalled)) markStalled();
        },
      },
      handler: () => frozen,
    });
    try {
      await consumer.start();
      await stalled;

      const p0 = rounds
        .map((r) => r.find((p) => p.partition === 0))
        .filter((p) => p && p.lag > 0) as PartitionLag[];
      const first = p0.find((p) => p.lagSecondsExact)!;
      const last = p0[p0.length - 1];
      expect(last).toMatchObject({
        topic,
        partition: 0,
        committed: null,
        lag: 5,
        stalled: true,
        lagSecondsExact: true,
      });
      // The age of the oldest unread record, measured from its own timestamp, and growing while frozen.
      expect(last.lagSeconds!).toBeGreaterThan(first.lagSeconds!);
      expect(last.lagSeconds!).toBeGreaterThanOrEqual((Date.now() - producedAt) / 1000 - 5);
      // Partition 1 has nothing waiting: neither lagging nor stalled.
      expect(rounds[rounds.length - 1].find((p) => p.partition === 1)).toMatchObject({
        lag: 0,
        lagSeconds: 0,
        stalled: false,
      });

      await expect(health.check()).rejects.toThrow(
        new RegExp(
          `stalled: ${topic}\\[0\\]: 5 records wait, committed offset none has not moved for \\d+ s`,
        ),
      );
    } finally {
      release();
      await consumer.stop();
      await producer.disconnect();
    }
  });
});
