import { Controller, Get, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';
import { RATE_LIMIT_PROVIDERS, RateLimitGuard } from './rate-limit.guard';

@Controller('v1')
@UseGuards(RateLimitGuard)
class LimitedController {
  @Post('users')
  push() {
    return { ok: true };
  }

  @Get('backfills')
  backfills() {
    return { ok: true };
  }
}

/** The limit's clock is Date.now: the tests move it by hand, so nothing waits for real time to pass. */
describe('RateLimitGuard', () => {
  let app: INestApplication;
  let base: string;
  let now = 1_800_000_000_000;
  afterEach(async () => {
    await app.close();
    jest.restoreAllMocks();
  });

  async function serve(perSecond: number, burst: number) {
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const config = {
      INGESTION_RATE_LIMIT_PER_SECOND: perSecond,
      INGESTION_RATE_LIMIT_BURST: burst,
    } as IngestionConfig;
    const module = await Test.createTestingModule({
      controllers: [LimitedController],
      providers: [{ provide: INGESTION_CONFIG, useValue: config }, ...RATE_LIMIT_PROVIDERS],
    }).compile();
    app = module.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  }

  const send = (key: string, path = '/v1/users') =>
    fetch(`${base}${path}`, {
      method: path === '/v1/users' ? 'POST' : 'GET',
      headers: { [API_KEY_HEADER]: key },
    });
  const statuses = async (n: number, key = 'k', path?: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await send(key, path)).status);
    return out;
  };

  it('allows a burst, then answers 429 with Retry-After and a message naming the limit and the wait', async () => {
    await serve(2, 3);
    expect(await statuses(3)).toEqual([201, 201, 201]);
    const refused = await send('k');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2'); // 3 requests per 1.5 s window, rounded up
    const message = 'rate limit of 2 requests/s (burst 3) exceeded; retry after 2 s';
    expect(await refused.json()).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message,
      reasons: [{ code: 'RATE_LIMITED', message, path: 'x-api-key' }],
      errors: [{ path: 'x-api-key', message }],
    });
  });

  it('gives requests back as the oldest leave the window of BURST / RATE seconds', async () => {
    await serve(2, 3);
    await statuses(2);
    now += 1000;
    expect(await statuses(2)).toEqual([201, 429]);
    now += 499; // the first two are 1.499 s old: still inside the 1.5 s window
    expect((await send('k')).status).toBe(429);
    now += 1; // they leave it
    expect(await statuses(3)).toEqual([201, 201, 429]);
  });

  it('holds a steady client to the average rate over time, plus one burst', async () => {
    await serve(2, 3);
    let accepted = 0;
    for (let t = 0; t < 10_000; t += 50) {
      now += 50;
      if ((await send('k')).status === 201) accepted++;
    }
    // RATE × 10 s = 20, and no more than one burst above it.
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(accepted).toBeLessThanOrEqual(23);
  });

  it('keeps a separate limit per API key, shared by every route of that key', async () => {
    await serve(2, 3);
    expect(await statuses(2, 'a', '/v1/users')).toEqual([201, 201]);
    expect(await statuses(2, 'a', '/v1/backfills')).toEqual([200, 429]);
    expect(await statuses(3, 'b')).toEqual([201, 201, 201]);
  });

  it('at the defaults (200/s, burst 400) takes 400 at once and asks the 401st to wait 2 s', async () => {
    await serve(200, 400);
    expect(new Set(await statuses(400))).toEqual(new Set([201]));
    const refused = await send('k');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
  }, 30_000);
});
