import { HttpException, type ExecutionContext } from '@nestjs/common';
import type { IngestionConfig } from './ingestion.config';
import { RateLimitGuard } from './rate-limit.guard';

function context(key: string, headers: Record<string, string>): ExecutionContext {
  return {
    switchToHttp: () => ({
      getRequest: () => ({ header: (name: string) => (name === 'x-api-key' ? key : undefined) }),
      getResponse: () => ({ setHeader: (name: string, value: string) => (headers[name] = value) }),
    }),
  } as unknown as ExecutionContext;
}

describe('RateLimitGuard', () => {
  const config = { INGESTION_RATE_LIMIT_PER_SECOND: 2, INGESTION_RATE_LIMIT_BURST: 3 } as IngestionConfig;

  it('allows a burst, then answers 429 with Retry-After, then refills at the configured rate', () => {
    let now = 0;
    const guard = new RateLimitGuard(config);
    guard.now = () => now;
    const headers: Record<string, string> = {};
    expect([1, 2, 3].map(() => guard.canActivate(context('k', headers)))).toEqual([true, true, true]);
    let status = 0;
    try {
      guard.canActivate(context('k', headers));
    } catch (err) {
      status = (err as HttpException).getStatus();
    }
    expect(status).toBe(429);
    expect(headers['Retry-After']).toBe('1');
    now = 500; // half a second at 2/s refills one token
    expect(guard.canActivate(context('k', headers))).toBe(true);
  });

  it('keeps a separate bucket per API key', () => {
    const guard = new RateLimitGuard(config);
    guard.now = () => 0;
    for (let i = 0; i < 3; i++) guard.canActivate(context('a', {}));
    expect(() => guard.canActivate(context('a', {}))).toThrow(HttpException);
    expect(guard.canActivate(context('b', {}))).toBe(true);
  });
});
