import { Controller, Get, type INestApplication, Module, Post, UseGuards } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { useServiceHttp } from '../bootstrap/bootstrap';
import { API_KEYS, ApiKeyGuard, apiKeysEnv } from './api-key.guard';

const KEYS = ['first-key-1234', 'second-key-5678'];

/** The documented 401: it names the header and holds nothing of what was sent. */
const UNAUTHORIZED = {
  statusCode: 401,
  code: 'UNAUTHORIZED',
  message: 'a valid x-api-key header is required',
  reasons: [{ code: 'UNAUTHORIZED', message: 'a valid x-api-key header is required', path: 'x-api-key' }],
};

@Controller()
class ProbeController {
  @Get('guarded')
  @UseGuards(ApiKeyGuard)
  guarded() {
    return { ok: true };
  }

  @Post('guarded')
  @UseGuards(ApiKeyGuard)
  create() {
    return { ok: true };
  }

  @Get('open')
  open() {
    return { ok: true };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [{ provide: API_KEYS, useValue: KEYS }, ApiKeyGuard],
})
class ProbeModule {}

describe('ApiKeyGuard', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    const express = module.createNestApplication<NestExpressApplication>({
      logger: false,
      bodyParser: false,
    });
    // As a service answers: the error model's filters, and the key checked before a body is read.
    useServiceHttp(express, '100kb', { apiKeys: KEYS });
    app = express;
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  const get = (path: string, key?: string) =>
    fetch(`${base}${path}`, { headers: key === undefined ? {} : { 'x-api-key': key } });

  it('lets a request with any configured key through', async () => {
    expect((await get('/guarded', 'first-key-1234')).status).toBe(200);
    expect((await get('/guarded', 'second-key-5678')).status).toBe(200);
  });

  it.each([
    ['no header', undefined],
    ['an empty key', ''],
    ['a wrong key of the same length', 'first-key-9999'],
    ['a prefix of a valid key', 'first-key'],
    ['a valid key with more after it', 'first-key-1234x'],
  ])(
    'answers 401 UNAUTHORIZED in the documented shape naming the header for %s, never echoing what was sent',
    async (_case, key) => {
      const res = await get('/guarded', key);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(UNAUTHORIZED);
    },
  );

  it('answers every key it was not given, with a body or without, with the same documented 401', async () => {
    // Keys as the header carries them: visible ASCII, spaces inside.
    const key = fc
      .string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        maxLength: 40,
      })
      .map((k) => k.trim())
      .filter((k) => !KEYS.includes(k));
    await fc.assert(
      fc.asyncProperty(key, fc.boolean(), async (sent, withBody) => {
        const res = await fetch(`${base}/guarded`, {
          method: withBody ? 'POST' : 'GET',
          headers: { 'x-api-key': sent, ...(withBody ? { 'content-type': 'application/json' } : {}) },
          body: withBody ? JSON.stringify({ key: sent }) : undefined,
        });
        expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({
          status: 401,
          body: UNAUTHORIZED,
        });
      }),
      { seed: 401, numRuns: 100 },
    );
  });

  it('leaves unguarded routes open', async () => {
    expect((await get('/open')).status).toBe(200);
  });
});

describe('apiKeysEnv', () => {
  const schema = apiKeysEnv('dev-some-key');

  it('defaults to the development key and splits a comma-separated list', () => {
    expect(schema.parse(undefined)).toEqual(['dev-some-key']);
    expect(schema.parse(' new-key-0001, old-key-0002 ')).toEqual(['new-key-0001', 'old-key-0002']);
  });

  it('refuses short keys and an empty list', () => {
    expect(schema.safeParse('short').success).toBe(false);
    expect(schema.safeParse(' , ').success).toBe(false);
  });
});
