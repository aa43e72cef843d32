import { Controller, Get, type INestApplication, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { API_KEYS, ApiKeyGuard, apiKeysEnv } from './api-key.guard';

@Controller()
class ProbeController {
  @Get('guarded')
  @UseGuards(ApiKeyGuard)
  guarded() {
    return { ok: true };
  }

  @Get('open')
  open() {
    return { ok: true };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [{ provide: API_KEYS, useValue: ['first-key-1234', 'second-key-5678'] }, ApiKeyGuard],
})
class ProbeModule {}

describe('ApiKeyGuard', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    app = module.createNestApplication({ logger: false });
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
    'answers 401 with a JSON error naming the header for %s, never echoing what was sent',
    async (_case, key) => {
      const res = await get('/guarded', key);
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({
        statusCode: 401,
        message: 'a valid x-api-key header is required',
      });
      if (key) expect(body).not.toContain(key);
    },
  );

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
