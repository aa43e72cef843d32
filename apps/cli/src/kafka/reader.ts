import { CLI_GROUP_PREFIX } from '@sparkflow/contracts';
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** Where to read one partition: from `from` (inclusive) up to `to` (exclusive; absent = keep following). */
export interface PartitionRange {
  partition: number;
  from: bigint;
  to?: bigint;
}

/**
 * The reader's consumer could not join its throw-away group: kafkajs reports that as a crash, after which
 * the read cannot start. `cause` is kafkajs's error.
 */
export class GroupJoinError extends Error {
  constructor(
    readonly groupId: string,
    cause: Error,
  ) {
    super(`joining consumer group ${groupId}: ${cause.message}`, { cause });
    this.name = 'GroupJoinError';
  }
}

/** What the handler wants next on this partition. */
export type Directive = 'continue' | 'stop-partition' | 'stop' | { seek: bigint };

export type RecordHandler = (partition: number, message: KafkaMessage) => Directive | Promise<Directive>;

/** Consumer groups the CLI uses to read (prefix from libs/contracts, which grants them); `topics describe` hides them. They never commit offsets. */
export { CLI_GROUP_PREFIX };

/**
 * Reads chosen partitions of a topic between offsets, without committing anything. kafkajs has no
 * assign(), so this joins a throw-away group that owns every partition, seeks each one to its start
 * and pauses the ones it was not asked for. Resolves when every range is read, the handler says stop,
 * or `signal` aborts (Ctrl-C on `--follow`).
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  handle: RecordHandler,
  /**
   * `idleTimeoutMs`: fail when no partition moved forward for that long (a read that keeps moving is
   * never cut off, however large the topic).
   */
  opts: { signal?: AbortSignal; idleTimeoutMs?: number; allPartitions?: readonly number[] } = {},
): Promise<void> {
  const position = new Map<number, bigint>();
  const end = new Map<number, bigint | undefined>();
  const open = new Set<number>();
  for (const r of ranges) {
    position.set(r.partition, r.from);
    end.set(r.partition, r.to);
    if (r.to === undefined || r.from < r.to) open.add(r.partition);
  }
  if (!open.size) return;

  const groupId = `${CLI_GROUP_PREFIX}${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 250,
    // The broker already answered the admin client; joining a group may still meet a coordinator that is
    // loading or rebalancing under load, which is worth a few retries.
    retry: { initialRetryTime: 300, retries: 6 },
    allowAutoTopicCreation: false,
  });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A failure before `done` is awaited (the group could not be joined) is thrown from the start-up instead.
  done.catch(() => undefined);
  const close = (p: number) => {
    open.delete(p);
    consumer.pause([{ topic, partitions: [p] }]);
    if (!open.size) finish();
  };
  const onAbort = () => finish();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const stillMoving = () => {
    if (!opts.idleTimeoutMs) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => fail(new Error(`reading ${topic}: no record arrived for ${opts.idleTimeoutMs} ms`)),
      opts.idleTimeoutMs,
    );
  };
  stillMoving();

  let startFailure: Error | undefined;
  const offCrash = consumer.on(consumer.events.CRASH, (e) => {
    startFailure = e.payload.error;
    // kafkajs restarts itself after retriable errors; only a crash it gives up on ends the read.
    if (!e.payload.restart) fail(e.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, isRunning, resolveOffset }) => {
        const p = batch.partition;
        if (!open.has(p)) return;
        for (const m of batch.messages) {
          if (!isRunning() || !open.has(p)) return;
          const offset = BigInt(m.offset);
          // Resolved, read or not: kafkajs fetches from the first unresolved offset, so without this it
          // would hand the same batch back forever (auto-resolve is off to keep seeks in our hands).
          resolveOffset(m.offset);
          if (offset < (position.get(p) ?? 0n)) continue; // fetched before our seek took effect
          const to = end.get(p);
          if (to !== undefined && offset >= to) return close(p);
          position.set(p, offset + 1n);
          stillMoving();
          const directive = await handle(p, m);
          if (directive === 'stop') return finish();
          if (directive === 'stop-partition') return close(p);
          if (typeof directive === 'object') {
            position.set(p, directive.seek);
            consumer.seek({ topic, partition: p, offset: directive.seek.toString() });
            return;
          }
        }
        // An empty or fully read batch still tells how far the partition goes.
        const last = BigInt(batch.lastOffset());
        if (last + 1n > (position.get(p) ?? 0n) && !batch.isEmpty()) {
          position.set(p, last + 1n);
          resolveOffset(batch.lastOffset());
          stillMoving();
        }
        const to = end.get(p);
        if (to !== undefined && (position.get(p) ?? 0n) >= to) close(p);
      },
    });
    // run() resolves even when joining the group failed (a login that may read the topic but not use the
    // group, say): kafkajs reports it as a crash and has already let go of the group, so a seek would only
    // fail with "consumer#run must be called first". The crash is the reason.
    if (startFailure) throw new GroupJoinError(groupId, startFailure);
    const wanted = new Set(ranges.map((r) => r.partition));
    for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    const others = (opts.allPartitions ?? []).filter((x) => !wanted.has(x));
    if (others.length) consumer.pause([{ topic, partitions: others }]);
    await done;
  } finally {
    if (timer) clearTimeout(timer);
    offCrash();
    opts.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * The first record at or after each wanted offset (the exact one unless compaction or retention removed it),
 * read in one pass: after each hit the partition seeks straight to its next wanted offset.
 */
export async function recordsAt(
  kafka: Kafka,
  topic: string,
  wanted: readonly { partition: number; offset: bigint }[],
  high: ReadonlyMap<number, bigint>,
  idleTimeoutMs = 30_000,
): Promise<Map<string, KafkaMessage>> {
  const found = new Map<string, KafkaMessage>();
  const queues = new Map<number, bigint[]>();
  for (const w of wanted) {
    if (w.offset >= (high.get(w.partition) ?? 0n)) continue;
    const q = queues.get(w.partition) ?? [];
    if (!q.includes(w.offset)) q.push(w.offset);
    queues.set(w.partition, q);
  }
  for (const q of queues.values()) q.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges = [...queues].map(([partition, q]) => ({ partition, from: q[0], to: high.get(partition) }));
  await readRanges(
    kafka,
    topic,
    ranges,
    (partition, m) => {
      const q = queues.get(partition) ?? [];
      const offset = BigInt(m.offset);
      while (q.length && q[0] <= offset) found.set(`${partition}:${String(q.shift())}`, m);
      if (!q.length) return 'stop-partition';
      return q[0] > offset + 1n ? { seek: q[0] } : 'continue';
    },
    { idleTimeoutMs, allPartitions: [...high.keys()] },
  );
  return found;
}
