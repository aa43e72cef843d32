// What ingestion produced, read back with a real consumer: the integration specs of idempotent requests.
import type { Consumer, Kafka } from 'kafkajs';
import { TOPICS } from '@sparkflow/contracts';
import type { ScratchKafka } from '@sparkflow/testing';

export interface Seen {
  topic: string;
  partition: number;
  value: string;
  event: { eventId: string; batchId: string; producedAt: string; payload: { login?: { uuid?: string } } };
}

/** Every record users.raw and users.dlq receive from the moment `start` resolves. */
export class TopicTail {
  readonly seen: Seen[] = [];
  private readonly read = new Map<string, bigint>(); // topic:partition → next offset to read
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly scratch: ScratchKafka,
    private readonly group: string,
  ) {}

  async start(): Promise<void> {
    const topics = [TOPICS.usersRaw, TOPICS.usersDlq];
    const ends = await this.ends(topics);
    const consumer = this.kafka.consumer({
      groupId: this.scratch.group(this.group),
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        this.read.set(`${topic}:${partition}`, BigInt(message.offset) + 1n);
        const value = message.value?.toString('utf8') ?? '';
        try {
          this.seen.push({ topic, partition, value, event: JSON.parse(value) as Seen['event'] });
        } catch {
          // not an event of this test
        }
      },
    });
    for (const [at, offset] of ends) {
      const [topic, partition] = at.split(':');
      this.read.set(at, offset);
      consumer.seek({ topic, partition: Number(partition), offset: String(offset) });
    }
  }

  /** Resolves once every record the topics held when called has been read. */
  async caughtUp(): Promise<void> {
    const ends = await this.ends([TOPICS.usersRaw, TOPICS.usersDlq]);
    const deadline = Date.now() + 20_000;
    while ([...ends].some(([at, end]) => (this.read.get(at) ?? 0n) < end)) {
      if (Date.now() > deadline)
        throw new Error(
          `the consumer did not reach the end of the topics: ${[...ends]
            .filter(([at, end]) => (this.read.get(at) ?? 0n) < end)
            .map(([at, end]) => `${at} read ${this.read.get(at)} of ${end}`)
            .join(', ')}; seen ${this.seen.length}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  of(batchId: string, topic: string): Seen[] {
    return this.seen.filter((r) => r.topic === topic && r.event.batchId === batchId);
  }

  private async ends(topics: string[]): Promise<Map<string, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = new Map<string, bigint>();
      for (const topic of topics)
        for (const e of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}:${e.partition}`, BigInt(e.high));
      return ends;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** The records of one event id, every one of them byte for byte. */
export const byEventId = (records: Seen[]) => {
  const groups = new Map<string, Set<string>>();
  for (const r of records)
    groups.set(r.event.eventId, (groups.get(r.event.eventId) ?? new Set()).add(r.value));
  return groups;
};
