import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { API_KEYS_RULE, apiKeysOf, followsApiKeysRule, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

export const API_KEY_HEADER = 'x-api-key';

/** The keys an ApiKeyGuard accepts: each service provides them from its own `<SERVICE>_API_KEYS`. */
export const API_KEYS = Symbol('API_KEYS');

/** A `<SERVICE>_API_KEYS` variable: comma-separated keys (several, so a key can be rotated without downtime). */
export const apiKeysEnv = (devDefault: string) =>
  z.string().default(devDefault).transform(apiKeysOf).refine(followsApiKeysRule, API_KEYS_RULE);

/**
 * The refusal of a request without one of the keys: 401 UNAUTHORIZED naming the header, in the documented
 * error shape (SparkflowExceptionFilter answers it). It says nothing of what was sent, so a key is never
 * echoed into a response or a log line.
 */
export function apiKeyRequired(): SparkflowException {
  const message = `a valid ${API_KEY_HEADER} header is required`;
  return new SparkflowException(SparkflowErrorCode.Unauthorized, message, {
    reasons: [{ code: SparkflowErrorCode.Unauthorized, message, path: API_KEY_HEADER }],
  });
}

// Digests have one length whatever the key's, so neither the comparison's time nor an early length check
// tells a caller how close a guess was.
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Routes behind it need one of the configured keys in `x-api-key`; anything else is 401 UNAUTHORIZED
 * naming the header (`apiKeyRequired`). The key is never logged or echoed back.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly accepted: Buffer[];

  constructor(@Inject(API_KEYS) keys: readonly string[]) {
    this.accepted = keys.map(digest);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const sent = digest(ctx.switchToHttp().getRequest<Request>().header(API_KEY_HEADER) ?? '');
    // Every key is compared, so the time taken does not depend on which one matched.
    const ok = this.accepted.reduce((found, key) => timingSafeEqual(key, sent) || found, false);
    if (ok) return true;
    throw apiKeyRequired();
  }
}
