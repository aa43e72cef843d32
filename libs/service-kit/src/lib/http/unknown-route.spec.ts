import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { useServiceHttp } from '../bootstrap/bootstrap';
import { HealthController, ServiceHealthModule } from '../health/health.controller';
import { READINESS_CHECKS } from '../health/readiness.indicator';
import { MetricsController } from '../observability/metrics.controller';

/** A route with a 404 of its own: a thing it does not have, named by its parameter. */
@Controller('things')
class ThingsController {
  @Get(':id')
  get(@Param('id') id: string) {
    if (id === 'known') return { id };
    const message = `no thing ${id}`;
    throw new SparkflowException(SparkflowErrorCode.NotFound, message, {
      reasons: [{ code: SparkflowErrorCode.NotFound, message, path: 'id' }],
    });
  }

  @Post()
  create() {
    return { created: true };
  }
}

@Module({
  imports: [ServiceHealthModule],
  controllers: [ThingsController, HealthController, MetricsController],
  providers: [{ provide: READINESS_CHECKS, useValue: {} }],
})
class ThingsModule {}

/** A service's app as `useServiceHttp` makes it, asked for paths no route of it takes. */
describe('a request no route takes', () => {
  let app: NestExpressApplication;
  let base: string;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [ThingsModule] }).compile();
    app = module.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
    useServiceHttp(app, '100kb');
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  const ask = async (method: string, target: string, body?: string) => {
    const res = await fetch(`${base}${target}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  /** A path segment no route of the app starts with: unreserved characters, or a UTF-8 character escaped. */
  const segment = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/).filter((s) => s !== '.' && s !== '..'),
    fc.constantFrom('%C3%A9t%C3%A9', '%E2%82%AC', 'a%20b'),
  );
  const unknownPath = fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .filter(([first]) => !['things', 'health', 'metrics'].includes(first.toLowerCase()))
    .map((segments) => `/${segments.join('/')}`);

  it('is 404 NOT_FOUND in the one error model, naming the path and quoting neither its query nor a stack', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        unknownPath,
        fc.boolean(),
        async (method, path, withBody) => {
          const secret = 'k3y-in-the-query';
          const { status, text, body } = await ask(
            method,
            `${path}?api_key=${secret}`,
            withBody && method !== 'GET' ? '{"a":1}' : undefined,
          );
          const quoted = JSON.stringify(path);
          expect([status, body]).toEqual([
            404,
            {
              statusCode: 404,
              code: 'NOT_FOUND',
              message: `Not Found: no route takes ${method} ${quoted}`,
              reasons: [{ code: 'NOT_FOUND', message: `no route takes ${quoted}`, path: 'path' }],
              errors: [{ path: 'path', message: `no route takes ${quoted}` }],
            },
          ]);
          expect(text).not.toContain(secret);
          expect(text).not.toMatch(/stack|\bat .*\.[jt]s:\d+/);
        },
      ),
      { seed: 20261203, numRuns: 100 },
    );
  });

  it('clips a long path to 100 characters', async () => {
    const { status, body } = await ask('GET', `/${'x'.repeat(500)}`);
    expect(status).toBe(404);
    expect(body['message']).toBe(`Not Found: no route takes GET "/${'x'.repeat(99)}…"`);
  });

  it("leaves a route's own 404 as the route answers it, naming its parameter", async () => {
    expect(await ask('GET', '/things/nope')).toMatchObject({
      status: 404,
      body: {
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'no thing nope',
        reasons: [{ code: 'NOT_FOUND', message: 'no thing nope', path: 'id' }],
      },
    });
    expect(await ask('GET', '/things/known')).toMatchObject({ status: 200, body: { id: 'known' } });
  });

  it('leaves the health endpoints and /metrics answered by their routes, and a wrong method 405', async () => {
    expect((await ask('GET', '/health/live')).status).toBe(200);
    expect((await ask('GET', '/health/ready')).status).toBe(200);
    // Served by its route: the metrics, or 503 where the exporter is off; never the 404 of no route.
    expect([200, 503]).toContain((await fetch(`${base}/metrics`)).status);
    expect(await ask('DELETE', '/things/known')).toMatchObject({
      status: 405,
      body: { code: 'METHOD_NOT_ALLOWED' },
    });
  });
});
