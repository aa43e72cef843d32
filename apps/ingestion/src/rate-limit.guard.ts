import { createHash } from 'node:crypto';
import { Injectable, type Provider } from '@nestjs/common';
import {
  ThrottlerGuard,
  ThrottlerStorageService,
  getOptionsToken,
  getStorageToken,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

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
 * 1 / RATE s. One window per key across every route: the key is the API key, never the route.
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

/** Runs after the ApiKeyGuard (`@UseGuards(ApiKeyGuard, RateLimitGuard)`), so only valid keys are counted. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {}

/**
 * The guard, its options from the ingestion's configuration, and where the hits are stored. The storage
 * is the one place to change to share the limit between replicas: today Throttler's in-memory
 * `ThrottlerStorageService`, so each ingestion replica limits on its own; any `ThrottlerStorage` (e.g.
 * one over Redis) plugs in here without touching the guard or the routes.
 */
export const RATE_LIMIT_PROVIDERS: Provider[] = [
  RateLimitGuard,
  {
    provide: getOptionsToken(),
    inject: [INGESTION_CONFIG],
    useFactory: (c: IngestionConfig) =>
      rateLimitOptions(c.INGESTION_RATE_LIMIT_PER_SECOND, c.INGESTION_RATE_LIMIT_BURST),
  },
  { provide: getStorageToken(), useClass: ThrottlerStorageService },
];
