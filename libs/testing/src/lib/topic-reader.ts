import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, Kafka } from 'kafkajs';
import { deleteFromBroker } from './test-topics';
import { uniqueName } from './unique';

/** An offset in each partition of one topic, by partition number. */
export type PartitionOffsets = ReadonlyMap<number, number>;

/** One record of a topic as the broker holds it, its key and value undecoded. */
export interface TopicRecord {
  partition: number;
  /** A number: a test topic's offsets stay far below 2^53. */
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** When the record was created or appended (the topic's timestamp type decides), ms since the epoch. */
  timestamp: number;
}

export interface ReadTopicOptions {
  /**
   * Where each partition's read starts: `'beginning'` (the default) for everything the broker still
   * holds, or the offsets `topicEndOffsets` gave before a step, for exactly the records written since.
   * A partition the map does not name starts at its beginning.
   */
  from?: 'beginning' | PartitionOffsets;
  /**
   * How long the read may take before it fails, naming the partitions it did not reach (and what
   * `missing` still names). 60 s by default.
   */
  timeoutMs?: number;
  /** The prefix of the throw-away consumer group's name, to tell the reader apart in the broker's logs. */
  groupPrefix?: string;
  /**
   * What the caller still waits for among the records read so far (each (partition, offset) once, in
   * partition then offset order), or null once nothing: a wait for records that a step writes later.
   * Given, the read does not end at the end offsets of the call while this names something: it takes the
   * end offsets again every `pollMs` and reads on to them with the same consumer, and on the deadline fails
   * quoting what this names (what was wanted, what was found). Without it the read ends at the end offsets
   * of the call.
   */
  missing?: (records: readonly TopicRecord[]) => string | null;
  /** How long a read that `missing` holds up waits at the end offsets before taking them again. 250 ms by default. */
  pollMs?: number;
}

/**
 * The end offset (the offset the next record will take) of each partition of `topic`, as the broker
 * gives it now: pass it as `from` to `readTopicToEnd` to read only what a later step writes.
 */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  return endOffsetsOf(await topicOffsets(kafka, topic));
}

/**
 * Every record of `topic` from `from` to the end offset the broker gives for each partition when this is
 * called, each (partition, offset) once, in partition then offset order.
 *
 * Integration tests read a topic this way rather than until a count of records arrived: producers are at
 * least once and a consumer group's rebalance delivers records again, so a count can be reached by
 * duplicates before every partition was read. Records written after the call may or may not be included.
 * A record a producer wrote twice is there twice, at two offsets: what the test counts is its own choice.
 * A test waiting for records a step writes later gives `missing`, which says what it waits for: the read
 * then goes on to the end offsets of later calls, until `missing` names nothing.
 *
 * The read is a consumer of a fresh group of its own (kafkajs has no consumer without a group), deleted
 * once the read is over. It seeks each partition to where `from` starts it whenever it joins the group,
 * before its first fetch, and passes over any record before that: committing the start offsets to the group
 * first (kafkajs's admin `setOffsets`) would cost every read a 5 s wait. A read held up by `missing` keeps
 * its consumer, so waiting costs no group per poll.
 * Rejects once `timeoutMs` has passed, naming each partition not read to its end and how far it got, and
 * what `missing` still names.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  {
    from = 'beginning',
    timeoutMs = 60_000,
    groupPrefix = 'it-read-to-end',
    missing = () => null,
    pollMs = 250,
  }: ReadTopicOptions = {},
): Promise<TopicRecord[]> {
  const partitions = (await topicOffsets(kafka, topic)).map((p) => ({
    partition: p.partition,
    // Below the log start the broker no longer holds the records, and the consumer starts at the first one.
    start: Math.max(p.start, from === 'beginning' ? 0 : (from.get(p.partition) ?? 0)),
    end: p.end,
  }));
  // The position is the offset of the next record to read: the read is over when it is each partition's end.
  const position = new Map(partitions.map((p) => [p.partition, p.start]));
  let ends: PartitionOffsets = new Map(partitions.map((p) => [p.partition, p.end]));
  if (!unreached(ends, position).length && missing([]) === null) return [];

  const starts: PartitionOffsets = new Map(partitions.map((p) => [p.partition, p.start]));
  const read = new Map<string, TopicRecord>();
  const records = () => [...read.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  // Resolves the wait for the end offsets `ends` holds now, once each partition's position is there.
  let atEnds: (() => void) | undefined;
  const reachEnds = () =>
    new Promise<void>((resolve) => {
      if (!unreached(ends, position).length) resolve();
      else atEnds = resolve;
    });
  let over = false;
  const groupId = uniqueName(groupPrefix);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  // The group commits no offsets: on every join (a rebalance's too) each partition starts over at its start.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, start] of starts) consumer.seek({ topic, partition, offset: String(start) });
  });
  let timer: NodeJS.Timeout | undefined;
  let failure: unknown;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const lacking = missing(records());
        if (!unreached(ends, position).length) {
          if (lacking === null) resolve();
          else reject(new Error(`${topic} read to its end offsets for ${timeoutMs} ms: ${lacking}`));
          return;
        }
        const short = `${topic} not read to its end offsets within ${timeoutMs} ms: ${describeUnreached(ends, position)}`;
        reject(new Error(lacking === null ? short : `${short}; ${lacking}`));
      }, timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              // Fetched from the log start before a seek took effect.
              if (offset < (starts.get(batch.partition) ?? 0)) continue;
              // A rebalance may deliver a record again: it is kept once.
              read.set(`${batch.partition}:${offset}`, {
                partition: batch.partition,
                offset,
                key: m.key ?? null,
                value: m.value ?? null,
                headers: m.headers ?? {},
                timestamp: Number(m.timestamp),
              });
            }
            // The batch's last offset counts the control records kafkajs does not hand over. (A fetch of
            // nothing but control records never reaches eachBatch: no producer here writes transactions.)
            const next = Number(batch.lastOffset()) + 1;
            if (next > (position.get(batch.partition) ?? 0)) position.set(batch.partition, next);
            if (atEnds && !unreached(ends, position).length) atEnds();
          },
        })
        .catch(reject);
      // At each end offsets, asks `missing`; while it names something, takes the end offsets again.
      const readOn = async () => {
        for (;;) {
          await reachEnds();
          if (over || missing(records()) === null) return;
          await sleep(pollMs);
          if (over) return;
          ends = endOffsetsOf(await topicOffsets(kafka, topic));
        }
      };
      readOn().then(resolve, reject);
    });
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    over = true;
    clearTimeout(timer);
    // Leaving the group and deleting it must not hide why the read failed.
    await consumer
      .disconnect()
      .then(() => deleteFromBroker(kafka, { groups: [groupId] }))
      .catch((error: unknown) => {
        if (failure === undefined) throw error;
      });
  }
  return records();
}

/** The partitions whose position is short of their end offset. */
export function unreached(ends: PartitionOffsets, positions: PartitionOffsets): number[] {
  return [...ends]
    .filter(([partition, end]) => (positions.get(partition) ?? 0) < end)
    .map(([partition]) => partition)
    .sort((a, b) => a - b);
}

/** Each partition short of its end offset, as `partition 3 at offset 12 of 40`, for a failure's message. */
export function describeUnreached(ends: PartitionOffsets, positions: PartitionOffsets): string {
  return unreached(ends, positions)
    .map((p) => `partition ${p} at offset ${positions.get(p) ?? 0} of ${ends.get(p)}`)
    .join(', ');
}

const endOffsetsOf = (offsets: readonly { partition: number; end: number }[]): Map<number, number> =>
  new Map(offsets.map((p) => [p.partition, p.end]));

async function topicOffsets(
  kafka: Kafka,
  topic: string,
): Promise<{ partition: number; start: number; end: number }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      start: Number(p.low),
      end: Number(p.high),
    }));
  } finally {
    await admin.disconnect();
  }
}
