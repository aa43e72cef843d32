import { ConfigResourceTypes, Kafka, logLevel, CompressionTypes, type EachBatchPayload } from 'kafkajs';
import type { TopicSpec, TopicName } from '@sparkflow/contracts';
import { integrationSettings, kafkaConnection, scratchKafka } from '@sparkflow/testing';
import { ensureTopics } from './ensure-topics';

const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'kafka-integration',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

const specFor = (name: string, overrides: Partial<TopicSpec> = {}): TopicSpec => ({
  name: name as TopicName,
  partitions: 3,
  retentionMs: 3_600_000,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_588,
  description: 'integration test topic',
  ...overrides,
});

describe('Kafka on the local stack', () => {
  const admin = kafka.admin();
  afterAll(() => admin.disconnect());

  it('creates missing topics once and reports nothing the second time', async () => {
    const spec = specFor(scratch.topicName('it-topics'));
    expect(await ensureTopics(kafka.admin(), [spec])).toEqual([`created topic ${spec.name} (3 partitions)`]);
    expect(await ensureTopics(kafka.admin(), [spec])).toEqual([]);
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [spec.name] });
    expect(meta.topics[0].partitions).toHaveLength(3);
  });

  it('adds partitions and fixes drifted retention on an existing topic', async () => {
    const name = scratch.topicName('it-drift');
    await ensureTopics(kafka.admin(), [specFor(name)]);
    const changes = await ensureTopics(kafka.admin(), [
      specFor(name, { partitions: 4, retentionMs: 7_200_000 }),
    ]);
    expect(changes).toEqual([`topic ${name}: partitions 3 -> 4`, `topic ${name}: retention.ms=7200000`]);
  });

  it('sets max.message.bytes from the spec and fixes it when it drifts', async () => {
    const name = scratch.topicName('it-max-bytes');
    await ensureTopics(kafka.admin(), [specFor(name)]);
    const changes = await ensureTopics(kafka.admin(), [specFor(name, { maxMessageBytes: 2_000_000 })]);
    expect(changes).toEqual([`topic ${name}: max.message.bytes=2000000`]);
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] }],
    });
    expect(described.resources[0].configEntries[0].configValue).toBe('2000000');
  });

  it('round-trips messages through an idempotent producer and a consumer group, committing offsets', async () => {
    const topic = scratch.topicName('it-roundtrip');
    const groupId = scratch.group('it-group');
    await ensureTopics(kafka.admin(), [specFor(topic)]);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: `user-${i % 7}`,
      value: JSON.stringify({ i }),
    }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload) => {
          for (const m of batch.messages) {
            received.push((JSON.parse(m.value!.toString()) as { i: number }).i);
            resolveOffset(m.offset);
          }
          await commitOffsetsIfNecessary();
          if (received.length === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received.sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const highTotal = ends.reduce((sum, p) => sum + Number(p.high), 0);
    expect(highTotal).toBe(sent.length);
    // No lag: on every partition the group's committed offset is the log end (-1 = nothing ever written there).
    for (const end of ends) {
      const committed = offsets.partitions.find((p) => p.partition === end.partition)!.offset;
      expect({ partition: end.partition, committed: end.high === '0' ? '0' : committed }).toEqual({
        partition: end.partition,
        committed: end.high,
      });
    }
    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0].state).toBe('Empty');
  });
});
