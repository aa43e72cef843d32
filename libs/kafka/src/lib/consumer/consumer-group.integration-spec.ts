import { Kafka, logLevel } from 'kafkajs';
import { integrationSettings, kafkaConnection, scratchKafka } from '@sparkflow/testing';
import type { PartitionLag } from '../lag/partition-progress';
import { EventProducer } from '../producer/event-producer';
import { BatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import { ConsumerHealth } from './consumer-health';
import { OK, type InboundMessage } from './inbound-message';

const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'consumer-group-it',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

/** A promise and the function that resolves it. */
function latch<T = void>(): { done: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const done = new Promise<T>((resolve) => (open = resolve));
  return { done, open };
}

/** Partitions each member was given at its latest join, by member name. */
type Assignments = Map<string, number[]>;

/** Resolves once the members' latest assignments share out every partition of `topic`, none empty. */
function sharedOut(
  topic: string,
  partitions: number,
  members: Record<string, BatchConsumer>,
): Promise<Assignments> {
  const latest: Assignments = new Map();
  const { done, open } = latch<Assignments>();
  for (const [name, member] of Object.entries(members)) {
    const consumer = member.kafkaConsumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      latest.set(name, payload.memberAssignment[topic] ?? []);
      const all = [...latest.values()];
      const owned = all.flat();
      if (
        latest.size === Object.keys(members).length &&
        all.every((p) => p.length > 0) &&
        owned.length === partitions &&
        new Set(owned).size === partitions
      ) {
        open(new Map(latest));
      }
    });
  }
  return done;
}

async function produce(
  topic: string,
  messages: { partition: number; key: string; value: string }[],
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** How many times each record (`partition:offset`) was handed to a handler, by any member. */
class Deliveries {
  private readonly counts = new Map<string, number>();
  private readonly waiters: { key: string; open: () => void }[] = [];

  record(messages: readonly InboundMessage[]): void {
    for (const m of messages) {
      const key = `${m.partition}:${m.offset}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      for (const w of this.waiters.filter((x) => x.key === key)) w.open();
    }
  }

  /** Resolves once the record at `partition:offset` was delivered. */
  reached(partition: number, offset: string): Promise<void> {
    const key = `${partition}:${offset}`;
    if (this.counts.has(key)) return Promise.resolve();
    const { done, open } = latch();
    this.waiters.push({ key, open });
    return done;
  }

  get total(): number {
    return this.counts.size;
  }

  /** The records delivered more than once, with how many times. */
  twice(): Record<string, number> {
    return Object.fromEntries([...this.counts].filter(([, n]) => n > 1));
  }
}

/** Ends the records written so far with one marker per partition; resolves when every marker was delivered. */
async function drained(topic: string, partitions: number, deliveries: Deliveries): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  await produce(
    topic,
    Array.from({ length: partitions }, (_, partition) => ({ partition, key: 'marker', value: '{}' })),
  );
  await Promise.all(ends.map((end) => deliveries.reached(end.partition, end.high)));
}

describe('BatchConsumer members of one group on the real broker', () => {
  const producer = new EventProducer(kafka);
  afterAll(() => producer.disconnect());

  function member(
    options: Partial<BatchConsumerOptions> & Pick<BatchConsumerOptions, 'groupId' | 'topics' | 'handler'>,
  ) {
    return new BatchConsumer({ kafka, stage: 'enrichment', producer, sessionTimeoutMs: 10_000, ...options });
  }

  it("judges each member on its own partitions: a quiet member stays ready while another member's partitions stall", async () => {
    const partitions = 4;
    const topic = await scratch.topic('it-group-judge', [], { partitions });
    const groupId = scratch.group('it-group-judge-group');
    // The quiet member would call itself stuck sooner than the busy one stalls, were it judged on the
    // group's lag: idle for longer than its stallAfterMs while records wait (on the other's partitions).
    const quietWatchdog = { checkEveryMs: 250, stallAfterMs: 1000, disconnectTimeoutMs: 500 };
    const busyWatchdog = { checkEveryMs: 250, stallAfterMs: 3000, disconnectTimeoutMs: 500 };

    let release!: () => void;
    const blocked = new Promise<never>((_, reject) => (release = () => reject(new Error('released'))));
    const busyHealth = new ConsumerHealth();
    const quietHealth = new ConsumerHealth();
    let quietRounds: PartitionLag[][] | null = null; // collected while records wait
    const { done: busyStalled, open: markStalled } = latch<{
      lags: PartitionLag[];
      quiet: PartitionLag[][];
    }>();
    const busy = member({
      groupId,
      topics: [topic],
      watchdog: busyWatchdog,
      health: busyHealth,
      observer: {
        partitionLag: (lags) => {
          // Judged here, before this member's own watchdog replaces it and the group rebalances.
          if (lags.some((l) => l.stalled)) markStalled({ lags: [...lags], quiet: [...(quietRounds ?? [])] });
        },
      },
      handler: () => blocked,
    });
    const quiet = member({
      groupId,
      topics: [topic],
      watchdog: quietWatchdog,
      health: quietHealth,
      observer: { partitionLag: (lags) => quietRounds?.push([...lags]) },
      handler: async (messages) => messages.map(() => OK),
    });
    const assigned = sharedOut(topic, partitions, { busy, quiet });
    try {
      await busy.start();
      await quiet.start();
      const assignments = await assigned;
      const busyPartitions = assignments.get('busy')!;
      const quietPartitions = assignments.get('quiet')!;

      // Records wait on the busy member's partitions only; its handler never returns.
      quietRounds = [];
      await produce(
        topic,
        busyPartitions.flatMap((partition) =>
          Array.from({ length: 3 }, (_, i) => ({ partition, key: `p${partition}-${i}`, value: '{}' })),
        ),
      );
      const { lags, quiet: rounds } = await busyStalled;
      await expect(quietHealth.check()).resolves.toBeUndefined();
      expect(quiet.restarts).toBe(0);
      await expect(busyHealth.check()).rejects.toThrow(
        new RegExp(`stalled: ${topic}\\[\\d\\]: 3 records wait`),
      );

      expect(lags.filter((l) => l.stalled).map((l) => l.partition)).toEqual(
        expect.arrayContaining([busyPartitions[0]]),
      );
      expect(lags.every((l) => busyPartitions.includes(l.partition))).toBe(true);
      // The quiet member judged itself for longer than its stallAfterMs while the group had lag.
      expect(rounds.length).toBeGreaterThan(quietWatchdog.stallAfterMs / quietWatchdog.checkEveryMs);
      for (const round of rounds) {
        expect(round.map((l) => l.partition).sort()).toEqual([...quietPartitions].sort());
        expect(round.every((l) => l.lag === 0 && !l.stalled)).toBe(true);
      }
    } finally {
      release();
      await quiet.stop();
      await busy.stop();
    }
  });

  it('keeps the membership of a member whose handler runs longer than the session timeout while another joins: no record is handled twice', async () => {
    const partitions = 2;
    const perPartition = 10;
    const sessionTimeoutMs = 6_000; // the broker's group.min.session.timeout.ms
    const handlerMs = 1.5 * sessionTimeoutMs;
    const topic = await scratch.topic(
      'it-group-long',
      Array.from({ length: partitions * perPartition }, (_, i) => ({
        partition: i % partitions,
        key: `k${i}`,
        value: '{}',
      })),
      { partitions },
    );
    const groupId = scratch.group('it-group-long-group');
    const deliveries = new Deliveries();
    const { done: working, open: startedWork } = latch();

    const slow = member({
      groupId,
      topics: [topic],
      sessionTimeoutMs,
      handler: async (messages) => {
        deliveries.record(messages);
        startedWork();
        await new Promise((resolve) => setTimeout(resolve, handlerMs)); // the long handler under test
        return messages.map(() => OK);
      },
    });
    const joiner = member({
      groupId,
      topics: [topic],
      sessionTimeoutMs,
      handler: async (messages) => {
        deliveries.record(messages);
        return messages.map(() => OK);
      },
    });
    const slowMembers: string[] = [];
    slow.kafkaConsumer.on(slow.kafkaConsumer.events.GROUP_JOIN, ({ payload }) =>
      slowMembers.push(payload.memberId),
    );
    const assigned = sharedOut(topic, partitions, { slow, joiner });
    try {
      await slow.start();
      await working;
      await joiner.start(); // a rebalance starts while the slow member's batches are in hand
      await assigned;
      await drained(topic, partitions, deliveries);

      expect(deliveries.twice()).toEqual({});
      expect(deliveries.total).toBe(partitions * (perPartition + 1));
      // The slow member rejoined under the same member id: the coordinator never dropped it.
      expect(slowMembers.length).toBeGreaterThanOrEqual(2);
      expect(new Set(slowMembers).size).toBe(1);
      expect(slow.restarts + joiner.restarts).toBe(0);
    } finally {
      await joiner.stop();
      await slow.stop();
    }
  });

  it('hands the partitions of a member stopped mid-batch over without redelivering a record: the batch in hand finishes and commits, then the member leaves', async () => {
    const partitions = 2;
    const perPartition = 150;
    const topic = await scratch.topic('it-group-stop', [], { partitions });
    const groupId = scratch.group('it-group-stop-group');
    const deliveries = new Deliveries();
    const handle = async (messages: readonly InboundMessage[]) => {
      deliveries.record(messages);
      await new Promise((resolve) => setTimeout(resolve, 200)); // work that takes a while
      return messages.map(() => OK);
    };
    let stopping: Promise<void> | undefined;
    let calls = 0;
    const leaving = member({
      groupId,
      topics: [topic],
      handler: (messages) => {
        // SIGTERM arrives while this member's second batch is in hand.
        if (++calls === 2) stopping = leaving.stop();
        return handle(messages);
      },
    });
    const staying = member({ groupId, topics: [topic], handler: handle });
    const assigned = sharedOut(topic, partitions, { leaving, staying });
    try {
      await leaving.start();
      await staying.start();
      await assigned;
      // Records of 20 KB: fetches of at most 512 KB a partition make batches of about 25.
      const pad = 'x'.repeat(20 * 1024);
      for (let i = 0; i < perPartition; i += 10) {
        await produce(
          topic,
          Array.from({ length: 2 * 10 }, (_, j) => ({ partition: j % 2, key: `k${i}-${j}`, value: pad })),
        );
      }
      await drained(topic, partitions, deliveries);
      await stopping;

      expect(calls).toBeGreaterThanOrEqual(2);
      expect(deliveries.twice()).toEqual({});
      expect(deliveries.total).toBe(partitions * (perPartition + 1));
    } finally {
      await staying.stop();
      await leaving.stop();
    }
  });
});
