import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

/**
 * A token bucket per API key: INGESTION_RATE_LIMIT_PER_SECOND requests a second on average, bursts up to
 * INGESTION_RATE_LIMIT_BURST. Beyond it a client gets 429 with Retry-After instead of degrading the
 * pipeline for everyone. In-process: each ingestion replica limits on its own.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** The clock; tests replace it. */
  now: () => number = Date.now;

  constructor(@Inject(INGESTION_CONFIG) private readonly config: IngestionConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const http = ctx.switchToHttp();
    const key = http.getRequest<Request>().header(API_KEY_HEADER) ?? '';
    const rate = this.config.INGESTION_RATE_LIMIT_PER_SECOND;
    const burst = this.config.INGESTION_RATE_LIMIT_BURST;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    const retryAfter = Math.ceil((1 - bucket.tokens) / rate);
    http.getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    throw new HttpException(
      `rate limit of ${rate} requests/s (burst ${burst}) exceeded; retry after ${retryAfter} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
