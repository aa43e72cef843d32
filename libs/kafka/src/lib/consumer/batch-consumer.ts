import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { HEADERS, type SparkflowErrorCode, type Stage } from '@sparkflow/contracts';
import {
  endSpan,
  headersFromContext,
  sampledInHeaders,
  startProcessSpan,
  traceHeadersOf,
  withLogIds,
} from '@sparkflow/telemetry';
import { assertNever } from '@sparkflow/contracts';
import { type Disposition, disposition, reasonsOf } from '@sparkflow/errors';
import { failureCode } from '../errors/kafka-errors';
import type { EventProducer } from '../producer/event-producer';
import { DEFAULT_STALL_AFTER_MS } from '../lag/lag';
import { type PartitionLag, PartitionProgress } from '../lag/partition-progress';
import { BatchHeartbeat } from './batch-heartbeat';
import type { ConsumerHealth } from './consumer-health';
import { DLQ_MAX_MESSAGE_BYTES, DLQ_TOPIC, deadLetterFor } from './dead-letters';
import {
  type BatchHandler,
  type InboundMessage,
  type MessageOutcome,
  failed,
  toInbound,
} from './inbound-message';
import { batchLogIds, inRecord } from './record-context';

export interface RetryPolicy {
  /** Attempts per record, the first included, before a failure without a known cause (`retry`) is dead-lettered. */
  maxAttempts: number;
  /**
   * How long a record failing because a dependency is down (`wait`: Cassandra, PostgreSQL, the broker)
   * keeps being retried before it is dead-lettered. Outages are waited out rather than turned into dead
   * letters: a valid record must not land on the DLQ because a database restarted. Poison (`dead-letter`)
   * is never retried.
   */
  outageBudgetMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  outageBudgetMs: 10 * 60_000,
  initialBackoffMs: 200,
  maxBackoffMs: 5000,
};

/**
 * When the consumer is considered stuck and rebuilt. kafkajs has been seen to stop fetching after a
 * broker restart without crashing or logging, and a consumer that crashed with a non-retriable error
 * does not restart itself; either way the process stays up while its partitions stall. The watchdog
 * notices both: no batch activity for `stallAfterMs` while this member's partitions have lag, or a crash
 * that kafkajs will not recover from, and replaces the kafkajs consumer with a fresh one.
 *
 * Every round it also measures this member's partitions (lag in messages, age of the oldest unread
 * record) and reports a partition whose committed offset has not moved for `stallAfterMs` while records
 * wait as stalled: to the observer (`/metrics`) and to readiness, until it moves again.
 */
export interface WatchdogPolicy {
  checkEveryMs: number;
  stallAfterMs: number;
  /** How long the stuck consumer gets to leave the group before it is abandoned. */
  disconnectTimeoutMs: number;
}

export const DEFAULT_WATCHDOG: WatchdogPolicy = {
  checkEveryMs: 10_000,
  stallAfterMs: DEFAULT_STALL_AFTER_MS,
  disconnectTimeoutMs: 30_000,
};

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  stage: Stage;
  handler: BatchHandler;
  /** Writes dead letters; the same producer the service uses for its output. */
  producer: EventProducer;
  retry?: Partial<RetryPolicy>;
  /**
   * Partitions processed at once; each partition's batches stay in order. By default, every partition
   * of the subscribed topics, as the broker reports them when `start()` runs (6 for users.raw and for
   * users.enriched, as `libs/contracts` creates them); the watchdog's replacement consumers keep it.
   * kafkajs fetches again only once every batch of the last fetch is done, so with fewer workers than
   * partitions a fetch is worked in waves and a record waits for the waves before its own
   * (bench/results/2026-12-01-p99.md).
   */
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  observer?: ConsumerObserver;
  watchdog?: Partial<WatchdogPolicy>;
  /** Told whether the consumer is consuming, for the service's readiness probe. */
  health?: ConsumerHealth;
  /** The group session timeout; a member that stops heartbeating is removed after it. */
  sessionTimeoutMs?: number;
  /**
   * How long the group waits for its members to rejoin a rebalance. A member finishes and commits the
   * batch in hand before it rejoins, so a batch that takes longer than this loses its partition to
   * another member, which works it again.
   */
  rebalanceTimeoutMs?: number;
}

/** How often a member heartbeats, between batches (kafkajs) and while one is worked (BatchHeartbeat). */
const HEARTBEAT_INTERVAL_MS = 3_000;

/** Hooks for metrics and logs; every method optional. */
export interface ConsumerObserver {
  processed?(topic: string, count: number, durationMs: number): void;
  retried?(topic: string, count: number, attempt: number): void;
  /** `codes`: the failure code of each record dead-lettered, so dead letters can be counted by reason. */
  deadLettered?(topic: string, count: number, codes: readonly SparkflowErrorCode[]): void;
  lag?(topic: string, partition: number, lag: number): void;
  /** The kafkajs consumer was replaced; `reason` says why. */
  restarted?(reason: string): void;
  /**
   * A replaced kafkajs consumer did not leave the group (its disconnect did not finish, or it joined the
   * group again afterwards): it keeps its partitions without working them, and no member's watchdog sees
   * them, since each judges its own. Nothing in-process can remove it; the service ends the process so
   * its sockets close and the coordinator hands the partitions on.
   */
  replacedConsumerStayed?(reason: string): void;
  /** Records are about to be tried again (or a dead letter sent again): said every time, with code and reason. */
  retrying?(notice: RetryNotice): void;
  /** Every watchdog round: lag, age of the oldest unread record and stall of each partition this member owns. */
  partitionLag?(partitions: readonly PartitionLag[]): void;
  /** A record the handler reported done; called inside the record's context (its span and ids). */
  recordProcessed?(message: InboundMessage): void;
  /** A record whose dead letter the broker acknowledged; called inside the record's context. */
  recordDeadLettered?(notice: DeadLetterNotice): void;
}

/** One record sent to the dead-letter topic instead of being processed. */
export interface DeadLetterNotice {
  topic: string;
  partition: number;
  offset: string;
  /** Attempts made, the last included. */
  attempts: number;
  code: SparkflowErrorCode;
  /** The reasons (the first five), each with the field it names. */
  reason: string;
}

/** The warn line a dead letter is logged with. */
export function describeDeadLetter(n: DeadLetterNotice): string {
  return `dead-lettered ${n.topic}[${n.partition}] offset ${n.offset} after ${n.attempts} attempt(s): ${n.code}: ${n.reason}`;
}

/** One round of retries of one partition batch, for one failure code. */
export interface RetryNotice {
  topic: string;
  partition: number;
  /** What is retried: the records' processing, or the sending of their dead letters. */
  what: 'records' | 'dead letters';
  records: number;
  /** Offset of the first record retried. */
  offset: string;
  attempt: number;
  code: SparkflowErrorCode;
  reason: string;
  /** `wait`: a dependency is down; `retry`: cause unknown, bounded by maxAttempts. */
  disposition: Disposition;
  waitMs: number;
}

/** The warn line a retry is logged with. */
export function describeRetry(n: RetryNotice): string {
  const kind = n.disposition === 'wait' ? 'waiting out an outage' : 'retrying';
  return (
    `${kind}: ${n.records} ${n.what} of ${n.topic}[${n.partition}] from offset ${n.offset}, attempt ${n.attempt}, ` +
    `next in ${n.waitMs} ms: ${n.code}: ${n.reason}`
  );
}

export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2); // "equal jitter"
}

/**
 * Consumes topics in partition batches and guarantees, for every record, one of two ends before its
 * offset is committed: the handler reported it done, or its dead letter was acknowledged by the broker.
 * Retriable failures are retried with exponential backoff up to `maxAttempts` (outages: up to
 * `outageBudgetMs`), then dead-lettered, so
 * one bad record delays its partition by a bounded time and never stops it.
 */
export class BatchConsumer {
  private consumer: Consumer;
  private readonly retry: RetryPolicy;
  private readonly watchdog: WatchdogPolicy;
  private watchdogTimer?: NodeJS.Timeout;
  private lastActivity = Date.now();
  /** Set when kafkajs gave up on the consumer (a crash it does not restart from). */
  private crashed: unknown = null;
  private restarting = false;
  /** Settles when the replacement the watchdog is making (if any) has started or given up. */
  private restartInFlight: Promise<void> = Promise.resolve();
  /** Disconnects of replaced consumers that have not finished (their batch still hangs). */
  private readonly abandoned = new Set<Promise<void>>();
  /** Consumers the watchdog replaced: none of them may hold partitions again. */
  private readonly replaced = new WeakSet<Consumer>();
  private stopped = false;
  private restartCount = 0;
  /** Partitions the current consumer was given at its last join, by topic; null before it joined. */
  private assignment: Record<string, number[]> | null = null;
  /** The first record of each batch being processed, by `topic:partition`: the oldest unread one in hand. */
  private readonly inFlight = new Map<string, { offset: bigint; timestampMs: number }>();
  private readonly progress: PartitionProgress;
  private admin?: Admin;
  /** Partitions worked at once: the options' number, or every partition of the topics when started. */
  private concurrency = 1;

  constructor(private readonly options: BatchConsumerOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.watchdog = { ...DEFAULT_WATCHDOG, ...options.watchdog };
    this.progress = new PartitionProgress(this.watchdog.stallAfterMs);
    this.consumer = this.createConsumer();
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  /** How many times the watchdog replaced the kafkajs consumer. */
  get restarts(): number {
    return this.restartCount;
  }

  async start(): Promise<void> {
    this.concurrency = this.options.partitionsConsumedConcurrently ?? (await this.partitionsOfTopics());
    await this.options.producer.connect();
    await this.run(this.consumer);
    this.options.health?.report(null);
    this.watchdogTimer = setInterval(() => void this.check(), this.watchdog.checkEveryMs);
    this.watchdogTimer.unref();
  }

  /** Stops fetching, lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.health?.report('stopped');
    clearInterval(this.watchdogTimer);
    // A replacement the watchdog is starting right now would otherwise join the group after we left it.
    await this.restartInFlight;
    await this.consumer.disconnect();
    // A consumer the watchdog gave up on leaves once its hung batch returns (kafkajs may rejoin it first):
    // wait for that, bounded, so nothing of ours is left in the group or on the event loop.
    await withTimeout(Promise.all(this.abandoned), this.watchdog.disconnectTimeoutMs).catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  private createConsumer(): Consumer {
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: 250,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      // Bounded fetches bound the memory a batch takes: records arrive decoded, several times their size.
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 2 * 1024 * 1024,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.lastActivity = Date.now();
      if (consumer === this.consumer) this.assignment = payload.memberAssignment;
      else if (this.replaced.has(consumer)) {
        this.options.observer?.replacedConsumerStayed?.(
          `a replaced consumer joined the group again, holding ${JSON.stringify(payload.memberAssignment)}`,
        );
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || consumer !== this.consumer) return;
      this.crashed = payload.error;
      this.options.health?.report(`kafkajs stopped the consumer: ${describe(payload.error)}`);
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: async (payload) => {
        const key = `${payload.batch.topic}:${payload.batch.partition}`;
        const first = payload.batch.messages[0];
        const entry = first && { offset: BigInt(first.offset), timestampMs: Number(first.timestamp) };
        if (entry) this.inFlight.set(key, entry);
        try {
          await this.processBatch(consumer, payload);
        } finally {
          if (entry && this.inFlight.get(key) === entry) this.inFlight.delete(key);
        }
      },
    });
    this.lastActivity = Date.now();
  }

  /**
   * One watchdog round: rebuild the consumer if kafkajs gave up on it or it stalled with work waiting on
   * its own partitions; measure and report those partitions' lag and stalls.
   */
  private async check(): Promise<void> {
    if (this.stopped || this.restarting) return;
    if (this.crashed) {
      const error = this.crashed;
      await this.restart(`kafkajs stopped the consumer after: ${describe(error)}`);
      return;
    }
    const lags = await this.partitionLag().catch(() => null); // broker unreachable: an outage, not a stall
    if (lags) {
      this.options.observer?.partitionLag?.(lags);
      this.options.health?.reportStalled(lags.filter((l) => l.stalled).map(describeStall));
    }
    const idleMs = Date.now() - this.lastActivity;
    if (idleMs < this.watchdog.stallAfterMs || !lags) return;
    const waiting = lags.reduce((n, l) => n + l.lag, 0);
    if (waiting)
      await this.restart(`no batch for ${Math.round(idleMs / 1000)} s while ${waiting} records wait`);
  }

  private restart(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.restartInFlight = this.replaceConsumer(reason);
    return this.restartInFlight;
  }

  private async replaceConsumer(reason: string): Promise<void> {
    this.restarting = true;
    this.restartCount++;
    this.options.observer?.restarted?.(reason);
    this.options.health?.report(`restarting the consumer: ${reason}`);
    const old = this.consumer;
    this.replaced.add(old);
    this.consumer = this.createConsumer();
    this.crashed = null;
    try {
      const leaving = old.disconnect().catch(() => undefined);
      this.abandoned.add(leaving);
      void leaving.finally(() => this.abandoned.delete(leaving));
      const left = await withTimeout(leaving, this.watchdog.disconnectTimeoutMs).then(
        () => true,
        () => false,
      );
      if (!left && !this.stopped) {
        this.options.observer?.replacedConsumerStayed?.(
          `the replaced consumer did not leave the group within ${this.watchdog.disconnectTimeoutMs / 1000} s`,
        );
      }
      if (!this.stopped) {
        await this.run(this.consumer);
        this.options.health?.report(null);
      }
    } catch (error) {
      // Broker still away: the next round tries again.
      this.crashed = error;
      this.options.health?.report(`the consumer could not be restarted (${describe(error)}); retrying`);
    } finally {
      this.lastActivity = Date.now();
      this.restarting = false;
    }
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.options.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /**
   * Every partition of the subscribed topics, as the broker counts them now, read with an admin client of
   * its own that is gone again before the consumer connects. Read once: the watchdog's replacement
   * consumers keep it, and partitions added later are worked from the next start of the service.
   */
  private async partitionsOfTopics(): Promise<number> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: this.options.topics });
      return Math.max(
        1,
        topics.reduce((sum, t) => sum + t.partitions.length, 0),
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Lag of the partitions this member owns — a quiet replica with no partitions has none, whatever the
   * rest of the group does. Before its first join it answers for every partition of its topics.
   */
  private async partitionLag(): Promise<PartitionLag[]> {
    const admin = await this.connectedAdmin();
    const now = Date.now();
    const out: PartitionLag[] = [];
    const committed = await admin.fetchOffsets({
      groupId: this.options.groupId,
      topics: this.options.topics,
    });
    for (const { topic, partitions } of committed) {
      const owned = this.assignment ? new Set(this.assignment[topic] ?? []) : null;
      for (const end of await admin.fetchTopicOffsets(topic)) {
        if (owned && !owned.has(end.partition)) continue;
        const at = BigInt(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        const inHand = this.inFlight.get(`${topic}:${end.partition}`);
        const low = BigInt(end.low);
        out.push(
          this.progress.observe(
            {
              topic,
              partition: end.partition,
              committed: at,
              low,
              high: BigInt(end.high),
              oldestUnreadTimestampMs:
                inHand && inHand.offset === (at < low ? low : at) ? inHand.timestampMs : null,
            },
            now,
          ),
        );
      }
    }
    this.progress.retain(new Set(out.map((l) => `${l.topic}:${l.partition}`)));
    return out;
  }

  private async processBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!batch.messages.length) return;
    const started = Date.now();
    this.lastActivity = started;
    const { topic, partition } = batch;
    const records = batch.messages.map((m) => toInbound(topic, partition, m));
    // Lines about the batch as a whole carry the batch id and trace its records share, if they share one.
    return withLogIds(batchLogIds(records), () => this.processRecords(consumer, payload, records, started));
  }

  private async processRecords(
    consumer: Consumer,
    payload: EachBatchPayload,
    records: InboundMessage[],
    started: number,
  ): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    let pending = records;
    const total = pending.length;

    // After a rebalance the partition may belong to someone else, and a consumer the watchdog replaced
    // has no partitions at all: either way, stop without committing. A consumer kafkajs stopped is
    // revoked too, unless we are stopping it: then the batch in hand finishes and commits before the
    // member leaves, so the next owner does not work it again.
    const revoked = () => (!isRunning() && !this.stopped) || isStale() || consumer !== this.consumer;
    const where = `${topic}[${partition}]`;
    // The member keeps its session, and so its partitions, however long the handler runs.
    const heartbeat = new BatchHeartbeat(payload.heartbeat, HEARTBEAT_INTERVAL_MS, revoked);
    try {
      for (let attempt = 1; pending.length; attempt++) {
        if (revoked()) return;
        this.lastActivity = Date.now();
        const { outcomes, traced } = await this.handle(pending);
        if (revoked()) return;
        const retry: { message: InboundMessage; code: SparkflowErrorCode; error: unknown }[] = [];
        const dead: { traced: InboundMessage; error: unknown }[] = [];
        pending.forEach((message, i) => {
          const outcome = outcomes[i];
          if (outcome.status === 'ok') return;
          const code = failureCode(outcome.error);
          if (this.exhausted(disposition(code), attempt, started))
            dead.push({ traced: traced[i], error: outcome.error });
          else retry.push({ message, code, error: outcome.error });
        });
        if (dead.length) {
          if (!(await this.sendDeadLetters(dead, attempt, payload, revoked, heartbeat))) return;
          this.options.observer?.deadLettered?.(
            topic,
            dead.length,
            dead.map((d) => failureCode(d.error)),
          );
          this.noticeDeadLetters(dead, attempt);
        }
        pending = retry.map((r) => r.message);
        if (pending.length && (heartbeat.rebalancing || this.stopped)) {
          // Retrying could outlast the rebalance or the shutdown: keep what is done, hand the rest on.
          await this.commitBefore(consumer, payload, pending[0].offset);
          return;
        }
        if (pending.length) {
          const waitMs = backoffMs(this.retry, attempt);
          this.options.observer?.retried?.(topic, pending.length, attempt);
          this.noticeRetries(where, 'records', retry, attempt, waitMs);
          await sleep(waitMs);
          await heartbeat.beat();
        }
      }
    } finally {
      heartbeat.stop();
      this.options.health?.outage(where, null);
    }

    const last = batch.messages[batch.messages.length - 1].offset;
    await this.commitBefore(consumer, payload, (BigInt(last) + 1n).toString());
    this.lastActivity = Date.now();
    this.options.observer?.processed?.(topic, total, Date.now() - started);
    this.options.observer?.lag?.(
      topic,
      partition,
      Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)),
    );
  }

  /**
   * Commits the partition up to `next` (the next offset to read): every record before it is done.
   * Explicit, since autoCommit is off. kafkajs's `consumer.commitOffsets` retries, but silently commits
   * nothing once the consumer is stopping; then the batch's own commit, which goes to the coordinator
   * whatever the consumer's state, takes the batch in hand to the group before the member leaves it.
   */
  private async commitBefore(consumer: Consumer, payload: EachBatchPayload, next: string): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    if (BigInt(next) <= BigInt(messages[0].offset)) return;
    payload.resolveOffset((BigInt(next) - 1n).toString());
    if (payload.isRunning()) await consumer.commitOffsets([{ topic, partition, offset: next }]);
    else
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: next }] }],
      });
  }

  /** One notice per dead letter, in the context of the attempt that gave the record up (its span, its ids). */
  private noticeDeadLetters(
    dead: readonly { traced: InboundMessage; error: unknown }[],
    attempts: number,
  ): void {
    const observe = this.options.observer?.recordDeadLettered;
    if (!observe) return;
    for (const { traced, error } of dead) {
      // The first few reasons keep the line short; the dead letter itself holds every one.
      const reasons = reasonsOf(error).map((r) => (r.path ? `${r.path}: ${r.message}` : r.message));
      const more = reasons.length > 5 ? ` (and ${reasons.length - 5} more)` : '';
      const reason = reasons.slice(0, 5).join('; ') + more;
      inRecord(traced, () =>
        observe({
          topic: traced.topic,
          partition: traced.partition,
          offset: traced.offset,
          attempts,
          code: failureCode(error),
          reason: reason || String(error),
        }),
      );
    }
  }

  private exhausted(d: Disposition, attempt: number, started: number): boolean {
    switch (d) {
      case 'dead-letter':
        return true;
      case 'retry':
        return attempt >= this.retry.maxAttempts;
      case 'wait':
        return Date.now() - started >= this.retry.outageBudgetMs;
      default:
        return assertNever(d);
    }
  }

  /**
   * Tells the observer (warn log, retries-by-code metric) about every retry round, one notice per
   * failure code, and readiness while a dependency is down.
   */
  private noticeRetries(
    where: string,
    what: RetryNotice['what'],
    failures: readonly { message: InboundMessage; code: SparkflowErrorCode; error: unknown }[],
    attempt: number,
    waitMs: number,
  ): void {
    const byCode = new Map<SparkflowErrorCode, (typeof failures)[number][]>();
    for (const f of failures) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
    let outage: string | null = null;
    const notices: RetryNotice[] = [];
    for (const [code, group] of byCode) {
      const notice: RetryNotice = {
        topic: group[0].message.topic,
        partition: group[0].message.partition,
        what,
        records: group.length,
        offset: group[0].message.offset,
        attempt,
        code,
        reason: reasonsOf(group[0].error)[0]?.message ?? String(group[0].error),
        disposition: disposition(code),
        waitMs,
      };
      notices.push(notice);
      if (notice.disposition !== 'retry')
        outage ??= `waiting out an outage: ${where} ${code}: ${notice.reason}`;
    }
    // Readiness first, so whoever hears of the retry already sees it there.
    this.options.health?.outage(where, outage);
    for (const notice of notices) this.options.observer?.retrying?.(notice);
  }

  /**
   * Sends the dead letters of a batch and resolves once the broker acknowledged them all; false when
   * the partition was revoked meanwhile (nothing is committed, the records come back). Dead letters are
   * built to fit users.dlq and sent in requests that stay under its limit; should the broker still refuse
   * one as too large (a topic configured smaller than declared), they are rebuilt with a payload cut
   * to a few KB. A broker that is down is waited for, said at warn and in readiness every round: a
   * failed dead letter never crashes the consumer.
   */
  private async sendDeadLetters(
    dead: readonly { traced: InboundMessage; error: unknown }[],
    attempt: number,
    payload: EachBatchPayload,
    revoked: () => boolean,
    heartbeat: BatchHeartbeat,
  ): Promise<boolean> {
    const { topic, partition } = payload.batch;
    const where = `${topic}[${partition}]`;
    let maxBytes = DLQ_MAX_MESSAGE_BYTES;
    for (let round = 1; ; round++) {
      const letters = dead.map((d) =>
        // The record as the handler saw it: its trace headers are the ones the letter carries on.
        deadLetterFor(d.traced, this.options.stage, d.error, attempt, new Date(), maxBytes),
      );
      try {
        // The producer cuts the send where a partition's dead letters would not fit one record batch.
        await this.options.producer.send(DLQ_TOPIC, letters);
        return true;
      } catch (error) {
        const code = failureCode(error);
        if (disposition(code) === 'dead-letter' && maxBytes > MINIMAL_DEAD_LETTER_BYTES) {
          maxBytes = MINIMAL_DEAD_LETTER_BYTES;
        }
        const waitMs = backoffMs(this.retry, Math.min(round, 10));
        this.noticeRetries(
          where,
          'dead letters',
          dead.map((d) => ({ message: d.traced, error: d.error, code })),
          round,
          waitMs,
        );
        if (revoked()) return false;
        await sleep(waitMs);
        if (revoked()) return false;
        await heartbeat.beat();
      }
    }
  }

  /**
   * Runs the handler with one `process <topic>` span per record, each continuing the record's own trace.
   * A record whose trace is not sampled gets no span (it would record and export nothing): its trace
   * headers are passed on as they came, so its logs and the records made from it keep its trace id.
   */
  private async handle(
    messages: InboundMessage[],
  ): Promise<{ outcomes: readonly MessageOutcome[]; traced: readonly InboundMessage[] }> {
    const spans = messages.map((m) =>
      sampledInHeaders(m.headers) === false
        ? null
        : startProcessSpan(m.topic, m.headers, {
            'messaging.kafka.partition': m.partition,
            'messaging.kafka.offset': m.offset,
            'sparkflow.event_id': m.headers[HEADERS.eventId] ?? '',
            'sparkflow.stage': this.options.stage,
          }),
    );
    const traced = messages.map((m, i) => {
      const span = spans[i];
      return { ...m, traceHeaders: span ? headersFromContext(span.ctx) : traceHeadersOf(m.headers) };
    });
    let outcomes: readonly MessageOutcome[];
    try {
      outcomes = await this.options.handler(traced);
      if (outcomes.length !== messages.length) {
        throw new Error(`handler returned ${outcomes.length} outcomes for ${messages.length} records`);
      }
    } catch (error) {
      outcomes = await this.isolate(traced, error);
    }
    const processed = this.options.observer?.recordProcessed;
    outcomes.forEach((o, i) => {
      if (processed && o.status === 'ok') inRecord(traced[i], () => processed(traced[i]));
      const span = spans[i];
      if (span) endSpan(span.span, o.status === 'failed' ? o.error : undefined);
    });
    return { outcomes, traced };
  }

  /**
   * The handler failed a whole batch at once. When the failure is one that dead-letters (the broker
   * refused the batch's output as too large, say), one record is to blame: each record is run alone so
   * that only it is dead-lettered, not the healthy records beside it. Any other failure (an outage)
   * fails every record alike.
   */
  private async isolate(messages: readonly InboundMessage[], error: unknown): Promise<MessageOutcome[]> {
    if (messages.length < 2 || disposition(failureCode(error)) !== 'dead-letter')
      return messages.map(() => failed(error));
    const outcomes: MessageOutcome[] = [];
    for (const m of messages) {
      try {
        const [one] = await this.options.handler([m]);
        outcomes.push(one ?? failed(new Error('the handler returned no outcome')));
      } catch (e) {
        outcomes.push(failed(e));
      }
    }
    return outcomes;
  }
}

/**
 * Dead letters rebuilt this small when the broker refused one built to the declared limit: the
 * explanation, the original's size and SHA-256, and the first few KB of the payload.
 */
const MINIMAL_DEAD_LETTER_BYTES = 16 * 1024;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** `users.raw[3]: 17 records wait, committed offset 42 has not moved for 75 s` */
function describeStall(l: PartitionLag): string {
  return (
    `${l.topic}[${l.partition}]: ${l.lag} records wait, committed offset ${l.committed ?? 'none'} ` +
    `has not moved for ${Math.round((l.stalledForMs ?? 0) / 1000)} s`
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
