import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Global,
  type INestApplication,
  Module,
  NotFoundException,
  Post,
} from '@nestjs/common';
import { type CustomTransportStrategy, EventPattern, Server } from '@nestjs/microservices';
import { connect } from 'node:net';
import { isObservable, lastValueFrom } from 'rxjs';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { bootstrapService } from './bootstrap';

const CONFIG = Symbol('test service config');

const brokerDown = Object.assign(new Error('the broker is not reachable'), {
  name: 'KafkaJSConnectionError',
});
const sourceDown = new SparkflowException(
  SparkflowErrorCode.SourceUnavailable,
  'the source answered HTTP 503',
);

/** A handler class as a service writes one: no filter of its own. */
@Controller()
class Handlers {
  @EventPattern('broker-down')
  brokerDown(): never {
    throw brokerDown;
  }

  @EventPattern('source-down')
  sourceDown(): never {
    throw sourceDown;
  }

  @EventPattern('fine')
  fine(): string[] {
    return ['done'];
  }
}

@Controller()
class Routes {
  @Get('source-down')
  sourceDown(): never {
    throw new SparkflowException(SparkflowErrorCode.SourceUnavailable, 'the source answered HTTP 503');
  }

  @Get('bad-request')
  badRequest(): never {
    throw new BadRequestException('name is required');
  }

  @Get('not-found')
  notFound(): never {
    throw new NotFoundException();
  }

  @Get('plain')
  plain(): never {
    throw new Error('a bug');
  }

  @Get('fine')
  fine(): { ok: true } {
    return { ok: true };
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Global()
@Module({
  controllers: [Handlers, Routes],
  providers: [{ provide: CONFIG, useValue: { LOG_LEVEL: 'silent' } }],
  exports: [CONFIG],
})
class ServiceModule {}

/** A transport that only registers the handlers; `deliver` calls one as KafkaBatchServer does. */
class Recorder extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {
    /* nothing to close */
  }
  on(): void {
    /* no events */
  }
  unwrap<T>(): T {
    return undefined as T;
  }

  /** What the consumer gets from a handler: its value, or what it failed with. */
  async deliver(pattern: string): Promise<{ value: unknown } | { failure: unknown }> {
    const handler = this.getHandlerByPattern(pattern)!;
    try {
      const result: unknown = await handler([]);
      return { value: isObservable(result) ? await lastValueFrom(result) : result };
    } catch (failure) {
      return { failure };
    }
  }
}

describe("a service's errors, as bootstrapService sets it up", () => {
  const transport = new Recorder();
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await bootstrapService<object>({
      name: 'errors-spec',
      module: ServiceModule,
      config: CONFIG,
      settings: () => ({ port: 0, host: '127.0.0.1' }),
      transport: () => transport,
    });
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  describe('a Kafka handler of any class', () => {
    it('hands a plain error to the consumer as it was thrown', async () => {
      const got = await transport.deliver('broker-down');
      expect('failure' in got && got.failure).toBe(brokerDown);
    });

    it('hands a SparkflowException to the consumer as it was thrown, with its code', async () => {
      const got = await transport.deliver('source-down');
      expect('failure' in got && got.failure).toBe(sourceDown);
    });

    it("hands the consumer a handler's outcomes when it does not fail", async () => {
      expect(await transport.deliver('fine')).toEqual({ value: ['done'] });
    });
  });

  describe('an HTTP route', () => {
    const get = (path: string) => fetch(`${url}/${path}`);

    it('answers a SparkflowException with the status its code maps to and its code', async () => {
      const res = await get('source-down');
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        statusCode: 502,
        code: 'SOURCE_UNAVAILABLE',
        message: 'the source answered HTTP 503',
      });
    });

    it("answers an HttpException as Nest does: its status and Nest's body", async () => {
      const bad = await get('bad-request');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        statusCode: 400,
        message: 'name is required',
        error: 'Bad Request',
      });
      const missing = await get('not-found');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ statusCode: 404, message: 'Not Found' });
    });

    it('answers no such route in the error model, NOT_FOUND naming the path, and a malformed body, MALFORMED_JSON', async () => {
      const nowhere = await get('nowhere');
      expect(nowhere.status).toBe(404);
      const message = 'no route takes "/nowhere"';
      expect(await nowhere.json()).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'Not Found: no route takes GET "/nowhere"',
        reasons: [{ code: 'NOT_FOUND', message, path: 'path' }],
        errors: [{ path: 'path', message }],
      });
      const malformed = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(malformed.status).toBe(400);
      const detail = expect.stringMatching(/JSON/);
      expect(await malformed.json()).toEqual({
        statusCode: 400,
        code: 'MALFORMED_JSON',
        message: 'the request body is not JSON',
        reasons: [{ code: 'MALFORMED_JSON', message: detail, path: '' }],
        errors: [{ path: '', message: detail }],
      });
    });

    it("answers any other error with Nest's 500, and the service goes on answering", async () => {
      const res = await get('plain');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
      const after = await get('fine');
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({ ok: true });
    });

    it("answers a request Node cannot read in the error model, MALFORMED_REQUEST, not Node's bare 400", async () => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write('GET /fine HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
      await closed;
      const [head, body] = Buffer.concat(chunks).toString().split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(body)).toEqual({
        statusCode: 400,
        code: 'MALFORMED_REQUEST',
        message: 'a header is malformed',
        reasons: [
          {
            code: 'MALFORMED_REQUEST',
            message: 'a header name or value holds a character HTTP does not allow',
            path: 'headers',
          },
        ],
        errors: [
          { path: 'headers', message: 'a header name or value holds a character HTTP does not allow' },
        ],
      });
    });
  });
});
