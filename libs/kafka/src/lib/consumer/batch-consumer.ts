import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { HEADERS, type Stage } from '@sparkflow/contracts';
import { endSpan, headersFromContext, startProcessSpan } from '@sparkflow/telemetry';
import { assertNever } from '@sparkflow/contracts';
import { type Disposition, disposition, errorCode } from '../errors/sparkflow-exception';
import type { EventProducer } from '../producer/event-producer';
import { DLQ_TOPIC, deadLetterFor } from './dead-letters';
import { type BatchHandler, type InboundMessage, type MessageOutcome, toInbound } from './inbound-message';

export interface RetryPolicy {
  /** Attempts per record, the first included, before a retriable failure is dead-lettered. */
  maxAttempts: number;
  /**
   * How long a record failing because a dependency is down (Cassandra, the broker) keeps being retried
   * before it is dead-lettered. Outages are waited out rather than turned into dead letters: a valid
   * record must not land on the DLQ because a database restarted.
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

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  stage: Stage;
  handler: BatchHandler;
  /** Writes dead letters; the same producer the service uses for its output. */
  producer: EventProducer;
  retry?: Partial<RetryPolicy>;
  /** Partitions processed at once; each partition's batches stay in order. */
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  observer?: ConsumerObserver;
}

/** Hooks for metrics and logs; every method optional. */
export interface ConsumerObserver {
  processed?(topic: string, count: number, durationMs: number): void;
  retried?(topic: string, count: number, attempt: number): void;
  deadLettered?(topic: string, count: number): void;
  lag?(topic: string, partition: number, lag: number): void;
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
  private readonly consumer: Consumer;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: BatchConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1_048_576,
    });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    await this.options.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Stops fetching, lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    if (!batch.messages.length) return;
    const started = Date.now();
    const { topic, partition } = batch;
    let pending: InboundMessage[] = batch.messages.map((m) => toInbound(topic, partition, m));
    const total = pending.length;

    for (let attempt = 1; pending.length; attempt++) {
      // After a rebalance the partition may belong to someone else: stop without committing.
      if (!isRunning() || isStale()) return;
      const outcomes = await this.run(pending);
      const retry: InboundMessage[] = [];
      const dead: { message: InboundMessage; error: unknown }[] = [];
      pending.forEach((message, i) => {
        const outcome = outcomes[i];
        if (outcome.status === 'ok') return;
        const giveUp = this.exhausted(disposition(errorCode(outcome.error)), attempt, started);
        if (giveUp) dead.push({ message, error: outcome.error });
        else retry.push(message);
      });
      if (dead.length) {
        await this.options.producer.send(
          DLQ_TOPIC,
          dead.map((d) => deadLetterFor(d.message, this.options.stage, d.error, attempt)),
        );
        this.options.observer?.deadLettered?.(topic, dead.length);
      }
      pending = retry;
      if (pending.length) {
        this.options.observer?.retried?.(topic, pending.length, attempt);
        await sleep(backoffMs(this.retry, attempt));
        await heartbeat();
      }
    }

    const last = batch.messages[batch.messages.length - 1].offset;
    payload.resolveOffset(last);
    // Explicit commit (autoCommit is off, so commitOffsetsIfNecessary would not): the next offset to read.
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
    this.options.observer?.processed?.(topic, total, Date.now() - started);
    this.options.observer?.lag?.(topic, partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
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

  /** Runs the handler with one `process <topic>` span per record, each continuing the record's own trace. */
  private async run(messages: InboundMessage[]): Promise<readonly MessageOutcome[]> {
    const spans = messages.map((m) =>
      startProcessSpan(m.topic, m.headers, {
        'messaging.kafka.partition': m.partition,
        'messaging.kafka.offset': m.offset,
        'sparkflow.event_id': m.headers[HEADERS.eventId] ?? '',
        'sparkflow.stage': this.options.stage,
      }),
    );
    const traced = messages.map((m, i) => ({ ...m, traceHeaders: headersFromContext(spans[i].ctx) }));
    let outcomes: readonly MessageOutcome[];
    try {
      outcomes = await this.options.handler(traced);
      if (outcomes.length !== messages.length) {
        throw new Error(`handler returned ${outcomes.length} outcomes for ${messages.length} records`);
      }
    } catch (error) {
      outcomes = messages.map(() => ({ status: 'failed' as const, error }));
    }
    outcomes.forEach((o, i) => endSpan(spans[i].span, o.status === 'failed' ? o.error : undefined));
    return outcomes;
  }
}
