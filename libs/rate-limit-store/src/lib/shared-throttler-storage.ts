import { metrics } from '@opentelemetry/api';
import type { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimitRepository } from './rate-limit.repository';

/** What a storage answers for one request (Throttler does not export the record's type from its index). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface SharedThrottlerStorageOptions {
  /** After PostgreSQL failed to answer, how long requests are limited in process before it is asked again. */
  retryAfterMs?: number;
  /** How often rows whose requests all left their window are deleted. */
  sweepEveryMs?: number;
  warn: (message: string) => void;
  log: (message: string) => void;
}

/**
 * @nestjs/throttler's storage over PostgreSQL, so every ingestion replica counts against one limit per
 * key (`RateLimitRepository`: one atomic statement per request).
 *
 * While PostgreSQL does not answer, requests are limited by this process alone (Throttler's in-memory
 * storage) rather than let through unlimited: a push never fails because the limiter's store is down,
 * and a runaway client is still held to the limit per replica, which at worst multiplies it by the
 * number of replicas (what the limit was before it was shared). Failing open instead would leave nothing
 * between a client and Kafka exactly while the platform is degraded. The switch is one warn line each
 * way, and `sparkflow_rate_limit_local_decisions` counts the requests decided in process. PostgreSQL is
 * asked again after `retryAfterMs`, so an outage costs one statement timeout per interval, not per request.
 *
 * Refused requests are not counted and block nothing beyond the window: the store implements Throttler's
 * `blockDuration: 0`, the only one ingestion configures.
 */
export class SharedThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly local = new ThrottlerStorageService();
  private readonly retryAfterMs: number;
  private unavailableUntil = 0;
  private unavailable = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly localDecisions = metrics
    .getMeter('sparkflow-service')
    .createCounter('sparkflow_rate_limit_local_decisions', {
      description:
        'Requests whose rate limit this process decided alone because PostgreSQL, where replicas share it, did not answer',
    });

  constructor(
    private readonly repository: RateLimitRepository,
    private readonly options: SharedThrottlerStorageOptions,
  ) {
    this.retryAfterMs = options.retryAfterMs ?? 5000;
    this.localDecisions.add(0);
    this.sweeper = setInterval(() => void this.sweep(), options.sweepEveryMs ?? 60_000);
    this.sweeper.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (Date.now() < this.unavailableUntil) {
      return this.decideLocally(key, ttl, limit, blockDuration, throttlerName);
    }
    try {
      const hit = await this.repository.hit(key, ttl, limit);
      if (this.unavailable) {
        this.unavailable = false;
        this.options.log('rate limit: PostgreSQL answers again; the limit is shared by every replica again');
      }
      const seconds = Math.ceil(hit.msUntilFirstLeaves / 1000);
      return {
        totalHits: hit.total,
        timeToExpire: seconds,
        isBlocked: !hit.allowed,
        timeToBlockExpire: hit.allowed ? 0 : seconds,
      };
    } catch (err) {
      this.unavailableUntil = Date.now() + this.retryAfterMs;
      if (!this.unavailable) {
        this.unavailable = true;
        this.options.warn(
          `rate limit: PostgreSQL did not answer (${(err as Error).message}); limiting in this process alone, asking again every ${this.retryAfterMs} ms`,
        );
      }
      return this.decideLocally(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  private decideLocally(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    this.localDecisions.add(1);
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Deletes expired rows; one replica's sweep serves all, so a failure is only reported. */
  async sweep(): Promise<void> {
    if (Date.now() < this.unavailableUntil) return;
    try {
      await this.repository.sweep();
    } catch (err) {
      this.options.warn(`rate limit: deleting expired rows failed: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.local.onApplicationShutdown();
    await this.repository.close();
  }
}
