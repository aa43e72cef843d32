import {
  All,
  Controller,
  Delete,
  Get,
  Global,
  type INestApplication,
  Module,
  Patch,
  Post,
  Put,
} from '@nestjs/common';
import fc from 'fast-check';
import { bootstrapService } from '../bootstrap/bootstrap';

const CONFIG = Symbol('method spec config');
const KEY = 'method-spec-key';

@Controller('v1/things')
class Things {
  @Post()
  create(): { created: true } {
    return { created: true };
  }

  @Get(':id')
  read(): { read: true } {
    return { read: true };
  }

  @Delete(':id')
  remove(): { removed: true } {
    return { removed: true };
  }
}

@Controller('v1/edits')
class Edits {
  @Put()
  put(): { put: true } {
    return { put: true };
  }

  @Patch()
  patch(): { patched: true } {
    return { patched: true };
  }
}

@Controller('v1/anything')
class Anything {
  @All()
  any(): { any: true } {
    return { any: true };
  }
}

@Global()
@Module({
  controllers: [Things, Edits, Anything],
  providers: [{ provide: CONFIG, useValue: { LOG_LEVEL: 'silent' } }],
  exports: [CONFIG],
})
class ServiceModule {}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The test module's paths and the methods its routes declare for each (GET also answers HEAD). */
const ROUTED: Record<string, readonly string[]> = {
  '/v1/things': ['POST'],
  '/v1/things/42': ['DELETE', 'GET', 'HEAD'],
  '/v1/edits': ['PATCH', 'PUT'],
};
const UNROUTED = ['/v1/nothing', '/v1/things/42/more', '/', '/v1'];

describe('a method no route of the path takes, as bootstrapService sets it up', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await bootstrapService<object>({
      name: 'method-spec',
      module: ServiceModule,
      config: CONFIG,
      settings: () => ({ port: 0, host: '127.0.0.1', apiKeys: [KEY] }),
    });
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  const send = (method: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { method, ...init, headers: { 'x-api-key': KEY, ...init.headers } });

  it('answers 405 with Allow, METHOD_NOT_ALLOWED naming the method in the error model', async () => {
    const res = await send('DELETE', '/v1/things');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({
      statusCode: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: 'Method Not Allowed: /v1/things answers POST',
      reasons: [{ code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not one of POST', path: 'method' }],
      errors: [{ path: 'method', message: 'DELETE is not one of POST' }],
    });
    const put = await send('PUT', '/v1/things/42?x=1');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('DELETE, GET, HEAD');
  });

  it('answers OPTIONS as another method no route takes', async () => {
    const res = await send('OPTIONS', '/v1/edits');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('PATCH, PUT');
  });

  it('answers 405 before the API key is checked, without reading the body', async () => {
    const res = await fetch(`${url}/v1/things`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    // A method the path takes still needs the key.
    const post = await fetch(`${url}/v1/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(post.status).toBe(401);
  });

  it('leaves a path no route has to the 404, and a route of every method to its handler', async () => {
    const res = await send('DELETE', '/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect((await send('DELETE', '/v1/anything')).status).toBe(200);
    expect((await send('OPTIONS', '/v1/anything')).status).toBe(200);
  });

  it('answers 405 exactly when the path has routes and none takes the method, Allow naming theirs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        fc.constantFrom(...Object.keys(ROUTED), ...UNROUTED),
        async (method, path) => {
          const res = await send(method, path);
          await res.arrayBuffer();
          const routes = ROUTED[path];
          if (routes === undefined) {
            expect(res.status).toBe(404);
          } else if (routes.includes(method)) {
            expect([200, 201]).toContain(res.status);
          } else {
            expect(res.status).toBe(405);
            expect(res.headers.get('allow')?.split(', ')).toEqual(routes);
          }
        },
      ),
      { seed: 405, numRuns: 60 },
    );
  });
});
