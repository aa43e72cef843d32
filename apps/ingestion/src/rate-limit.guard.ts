import { createHash } from 'node:crypto';
import { type ExecutionContext, HttpException, Injectable, Logger, type Provider } from '@nestjs/common';
import {
  ThrottlerGuard,
  ThrottlerStorageService,
  getOptionsToken,
  getStorageToken,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody } from '@sparkflow/errors';
import { RateLimitRepository, SharedThrottlerStorage } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER, postgresSettings } from '@sparkflow/service-kit';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

const rateLimitLog = new Logger('rate-limit');

/**
 * INGESTION_RATE_LIMIT_PER_SECOND requests a second on average per API key, bursts up to
 * INGESTION_RATE_LIMIT_BURST; beyond it 429 with Retry-After and a message naming the limit, instead of
 * degrading the pipeline for everyone.
 *
 * Throttler counts hits in a sliding window (each hit leaves it `ttl` after it was made), not a token
 * bucket, so the two settings map to one window: at most BURST requests in any BURST / RATE seconds.
 * That keeps both the burst (BURST at once) and the average (BURST per BURST / RATE s = RATE per s); what
 * differs is the recovery: a key that spent its whole burst gets requests back as its oldest ones leave
 * the window (Retry-After: up to BURST / RATE s, 2 s at the defaults), where a bucket gave one back every
 * 1 / RATE s. One window per key across every route: the key is the API key, never the route. The window
 * is kept in PostgreSQL, so it is one per key across every ingestion replica (ADR 10).
 */
export function rateLimitOptions(perSecond: number, burst: number): ThrottlerModuleOptions {
  return {
    // blockDuration 0: a refused request neither counts nor blocks the key beyond the window.
    throttlers: [
      { name: 'default', limit: burst, ttl: Math.ceil((burst / perSecond) * 1000), blockDuration: 0 },
    ],
    getTracker: (req) => String((req as { headers: Record<string, unknown> }).headers[API_KEY_HEADER] ?? ''),
    // Only a digest of the key is kept.
    generateKey: (_ctx, tracker, name) => createHash('sha256').update(`${name}:${tracker}`).digest('hex'),
    errorMessage: (_ctx, detail) =>
      `rate limit of ${perSecond} requests/s (burst ${burst}) exceeded; retry after ${detail.timeToBlockExpire} s`,
  };
}

/**
 * Runs after the ApiKeyGuard (`@UseGuards(ApiKeyGuard, RateLimitGuard)`), so only valid keys are counted.
 * Its 429 is in the one error model: `RATE_LIMITED`, its reason naming the header whose key is over its limit
 * (never the key), with the Retry-After Throttler set.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const message = await this.getErrorMessage(context, detail);
    throw new HttpException(
      refusalBody(429, SparkflowErrorCode.RateLimited, message, [{ path: API_KEY_HEADER, message }]),
      429,
    );
  }
}

/**
 * The guard, its options from the ingestion's configuration, and where the hits are stored: PostgreSQL
 * (`SharedThrottlerStorage`), so the limit is one per key across every ingestion replica, when the module
 * provides a `RateLimitRepository` (ingestion's does, see `RATE_LIMIT_STORE_PROVIDERS`); Throttler's
 * in-memory storage otherwise, which is what a test of the limit's arithmetic alone runs on.
 */
export const RATE_LIMIT_PROVIDERS: Provider[] = [
  RateLimitGuard,
  {
    provide: getOptionsToken(),
    inject: [INGESTION_CONFIG],
    useFactory: (c: IngestionConfig) =>
      rateLimitOptions(c.INGESTION_RATE_LIMIT_PER_SECOND, c.INGESTION_RATE_LIMIT_BURST),
  },
  {
    provide: getStorageToken(),
    inject: [{ token: RateLimitRepository, optional: true }],
    useFactory: (repository?: RateLimitRepository) =>
      repository
        ? new SharedThrottlerStorage(repository, {
            warn: (m) => rateLimitLog.warn(m),
            log: (m) => rateLimitLog.log(m),
          })
        : new ThrottlerStorageService(),
  },
];

/** The PostgreSQL rows the limit is shared through; connected on first use, so ingestion starts without it. */
export const RATE_LIMIT_STORE_PROVIDERS: Provider[] = [
  {
    provide: RateLimitRepository,
    inject: [INGESTION_CONFIG],
    useFactory: (c: IngestionConfig) =>
      new RateLimitRepository(postgresSettings(c), c.INGESTION_RATE_LIMIT_STORE_TIMEOUT_MS, (err) =>
        rateLimitLog.warn(`rate limit: an idle PostgreSQL connection failed: ${err.message}`),
      ),
  },
];
