import { Kafka, logLevel } from 'kafkajs';
import { integrationSettings, kafkaConnection, scratchKafka } from '@sparkflow/testing';
import { groupBehindAt } from './behind-at';

const kafka = new Kafka({
  clientId: 'behind-at-it',
  ...kafkaConnection(integrationSettings()),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

/**
 * On a topic of its own whose records carry the times the test gives them (a scratch topic keeps the
 * producer's timestamps), what a group has still to read among the records appended before an instant.
 */
describe('groupBehindAt, against the broker', () => {
  // Within the last minute, so the topic's retention keeps every record throughout.
  const base = Date.now() - 60_000;
  let topic: string;
  beforeAll(async () => {
    const at = (partition: number, ms: number) => ({
      partition,
      value: String(ms),
      timestamp: String(base + ms),
    });
    // Partition 0: offsets 0, 1, 2 at base, +1 s, +2 s; partition 1: offsets 0, 1 at +0.5 s, +3 s.
    topic = await scratch.topic('behind-at', [at(0, 0), at(0, 1000), at(0, 2000), at(1, 500), at(1, 3000)], {
      partitions: 2,
    });
  });

  const commit = async (groupId: string, offsets: [string, string]) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: offsets.map((offset, partition) => ({ partition, offset })),
      });
    } finally {
      await admin.disconnect();
    }
  };

  it('counts, for a group that committed nothing, every record appended before the instant', async () => {
    const group = scratch.group('behind-at-none');
    expect(await groupBehindAt(kafka, group, topic, base - 1)).toBe(0);
    expect(await groupBehindAt(kafka, group, topic, base + 1500)).toBe(3);
    expect(await groupBehindAt(kafka, group, topic, base + 10_000)).toBe(5);
  });

  it('counts from the committed offsets, and nothing once they pass the instant, whatever came after it', async () => {
    const group = scratch.group('behind-at-some');
    await commit(group, ['2', '0']);
    expect(await groupBehindAt(kafka, group, topic, base + 1500)).toBe(1);
    expect(await groupBehindAt(kafka, group, topic, base + 10_000)).toBe(3);
    await commit(group, ['2', '1']);
    expect(await groupBehindAt(kafka, group, topic, base + 1500)).toBe(0);
    expect(await groupBehindAt(kafka, group, topic, base + 10_000)).toBe(2);
    await commit(group, ['3', '2']);
    expect(await groupBehindAt(kafka, group, topic, base + 10_000)).toBe(0);
  });
});
