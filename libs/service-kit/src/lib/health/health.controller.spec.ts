import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConsumerHealth } from '@sparkflow/kafka';
import { HealthController, ServiceHealthModule } from './health.controller';
import { READINESS_CHECKS, READINESS_TIMEOUT_MS, type ReadinessChecks } from './readiness.indicator';

describe('HealthController', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  async function serve(checks: ReadinessChecks): Promise<string> {
    const module = await Test.createTestingModule({
      imports: [ServiceHealthModule],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, useValue: checks }],
    }).compile();
    app = module.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  }

  it('answers ready with every check up', async () => {
    const base = await serve({
      kafka: async () => ({ brokers: [] }),
      postgres: async () => [{ '?column?': 1 }],
    });
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(await res.json()).toEqual({
      status: 'ok',
      info: { kafka: { status: 'up' }, postgres: { status: 'up' } },
      error: {},
      details: { kafka: { status: 'up' }, postgres: { status: 'up' } },
    });
  });

  it('answers 503 naming each dependency that is down and why', async () => {
    const consumer = new ConsumerHealth();
    consumer.reportStalled(['users.raw[0] at offset 41 for 61 s']);
    consumer.report(null);
    const base = await serve({
      kafka: async () => undefined,
      cassandra: async () => {
        throw new Error('All host(s) tried for query failed');
      },
      consumer: () => consumer.check(),
    });
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; error: unknown; info: unknown };
    expect(body.status).toBe('error');
    expect(body.info).toEqual({ kafka: { status: 'up' } });
    expect(body.error).toEqual({
      cassandra: { status: 'down', message: 'All host(s) tried for query failed' },
      consumer: { status: 'down', message: 'stalled: users.raw[0] at offset 41 for 61 s' },
    });
  });

  it('is not ready while the consumer has not started, whatever the connections say', async () => {
    const base = await serve({ kafka: async () => undefined, consumer: () => new ConsumerHealth().check() });
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: { consumer: { status: 'down', message: 'not started' } },
    });
  });

  it('answers 503 within the deadline when a check never answers, naming it, with the others as they are', async () => {
    const base = await serve({
      kafka: async () => undefined,
      postgres: () => new Promise(() => undefined),
    });
    const started = Date.now();
    const res = await fetch(`${base}/health/ready`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      info: { kafka: { status: 'up' } },
      error: { postgres: { status: 'down', message: `no answer within ${READINESS_TIMEOUT_MS} ms` } },
    });
    expect(elapsed).toBeLessThan(READINESS_TIMEOUT_MS + 1000);
  });

  it('answers live without asking any dependency', async () => {
    const probe = jest.fn(async () => {
      throw new Error('down');
    });
    const base = await serve({ kafka: probe });
    const res = await fetch(`${base}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(probe).not.toHaveBeenCalled();
  });
});
