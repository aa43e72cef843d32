import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Stage } from '@sparkflow/contracts';
import { traceSampled } from '@sparkflow/telemetry';
import {
  BatchConsumer,
  type ConsumerObserver,
  type RetryPolicy,
  type WatchdogPolicy,
  describeDeadLetter,
  describeRetry,
} from '../consumer/batch-consumer';
import type { ConsumerHealth } from '../consumer/consumer-health';
import { consumerMetrics } from '../consumer/consumer-metrics';
import type { InboundMessage, MessageOutcome } from '../consumer/inbound-message';
import type { EventProducer } from '../producer/event-producer';

export interface KafkaBatchServerOptions {
  kafka: Kafka;
  producer: EventProducer;
  groupId: string;
  stage: Stage;
  retry?: Partial<RetryPolicy>;
  partitionsConsumedConcurrently?: number;
  observer?: ConsumerObserver;
  /** Reported to while consuming; the service's readiness check reads it. */
  health?: ConsumerHealth;
  /** The consumer watchdog: when a partition with records waiting counts as stalled (`stallAfterMs`). */
  watchdog?: Partial<WatchdogPolicy>;
}

/**
 * A NestJS transport strategy that hands `@EventPattern(topic)` handlers whole partition batches
 * (`InboundMessage[]`) and expects one outcome per record back. Offsets, retries and dead letters are
 * the transport's job (see BatchConsumer), so handlers stay one call into a use case.
 */
export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  private consumer?: BatchConsumer;

  constructor(private readonly options: KafkaBatchServerOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    const topics = [...this.getHandlers().keys()];
    const metrics = this.options.observer ?? consumerMetrics(this.options.stage);
    this.consumer = new BatchConsumer({
      ...this.options,
      observer: {
        ...metrics,
        restarted: (reason) => {
          this.logger.warn(`restarting the Kafka consumer of ${topics.join(', ')}: ${reason}`);
          metrics.restarted?.(reason);
        },
        // Crash-only: the process ends (a graceful SIGTERM) and its supervisor or orchestrator starts it
        // again; its closed sockets are what take the stale member out of the group.
        replacedConsumerStayed: (reason) => {
          this.logger.error(`${reason}; ending the process so the group can hand its partitions on`);
          process.kill(process.pid, 'SIGTERM');
        },
        // Nothing retries silently: every round, with its code and reason.
        retrying: (notice) => {
          this.logger.warn(describeRetry(notice));
          metrics.retrying?.(notice);
        },
        // The lines below are written inside the record's (or batch's) context, so the logger's mixin adds
        // its trace_id, span_id, event_id and batch_id. One per record only at debug, or at info when the
        // record's trace is sampled (so every exported trace has its lines); a batch is one debug line.
        processed: (topic, count, durationMs) => {
          this.logger.debug?.(`processed ${count} records of ${topic} in ${durationMs} ms`);
          metrics.processed?.(topic, count, durationMs);
        },
        recordProcessed: (m) => {
          const line = `processed ${m.topic}[${m.partition}] offset ${m.offset}`;
          if (traceSampled()) this.logger.log(line);
          else this.logger.debug?.(line);
        },
        recordDeadLettered: (notice) => this.logger.warn(describeDeadLetter(notice)),
      },
      topics,
      handler: async (messages) => {
        const handler = this.getHandlerByPattern(messages[0].topic);
        if (!handler) throw new Error(`no handler for topic ${messages[0].topic}`);
        const result = await handler(messages);
        return this.resolveOutcomes(result);
      },
    });
    this.consumer.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): void {
    /* no transport events to subscribe to */
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('not listening yet');
    return this.consumer.kafkaConsumer as T;
  }

  private async resolveOutcomes(result: unknown): Promise<readonly MessageOutcome[]> {
    // Nest wraps handler results in an Observable; take its (single) value.
    const value = isObservable(result) ? await lastValueFrom(result) : await result;
    return value as readonly MessageOutcome[];
  }
}

export type { InboundMessage };
