import { request } from 'node:http';
import {
  Controller,
  Get,
  Global,
  type INestApplication,
  Module,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import fc from 'fast-check';
import { bootstrapService } from '../bootstrap/bootstrap';
import { API_KEYS, ApiKeyGuard } from './api-key.guard';

const CONFIG = Symbol('undecodable path spec config');
const KEY = 'undecodable-spec-key';

@Controller('v1/things')
class Things {
  @Post()
  create(): { created: true } {
    return { created: true };
  }

  @Get(':id')
  read(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get(':id/parts/:partId')
  @UseGuards(ApiKeyGuard)
  part(@Param('id') id: string, @Param('partId') partId: string): { id: string; partId: string } {
    return { id, partId };
  }
}

@Global()
@Module({
  controllers: [Things],
  providers: [
    { provide: CONFIG, useValue: { LOG_LEVEL: 'silent' } },
    { provide: API_KEYS, useValue: [KEY] },
    ApiKeyGuard,
  ],
  exports: [CONFIG, API_KEYS],
})
class ServiceModule {}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

const decodes = (segment: string) => {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
};

// Characters a request target may hold as they are, none of them `/`, `?`, `#` or `%`.
const PLAIN = [..."abcxyzABCXYZ0189-._~!$&'()*+,;=:@"];
const HEX = [...'0123456789abcdefABCDEF'];
const plain = fc.string({ unit: fc.constantFrom(...PLAIN), maxLength: 8 });
const hex = fc.constantFrom(...HEX);
const notHex = fc.constantFrom(...PLAIN, '%');
/** A character's UTF-8 escapes (`%E2%82%AC`), cut short by one escape or more: no character any more. */
const truncatedUtf8 = fc
  .integer({ min: 0x80, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .chain((cp) => {
    const escapes = encodeURIComponent(String.fromCodePoint(cp)).match(/%[0-9A-F]{2}/g) ?? [];
    return fc.integer({ min: 1, max: escapes.length - 1 }).map((keep) => escapes.slice(0, keep).join(''));
  });
/** Something that does not decode where it stands, or may not with what comes after it. */
const badEscape = fc.oneof(
  fc.constant('%'),
  hex.map((h) => `%${h}`),
  fc.tuple(notHex, fc.oneof(hex, notHex)).map(([a, b]) => `%${a}${b}`),
  fc.tuple(hex, notHex).map(([a, b]) => `%${a}${b}`),
  truncatedUtf8,
  // A lone continuation byte, a byte no UTF-8 sequence holds, a UTF-16 surrogate, an overlong slash.
  fc.constantFrom('%80', '%BF', '%C0', '%FF', '%ED%A0%80', '%C0%AF'),
);
const goodEscape = fc.constantFrom('%41', '%20', '%2F', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80');
/** A path segment that does not decode: plain characters, good escapes and at least one bad one. */
const hostileSegment = fc
  .tuple(plain, badEscape, fc.array(fc.oneof(plain, badEscape, goodEscape), { maxLength: 4 }))
  .map(([head, bad, tail]) => head + bad + tail.join(''))
  .filter((segment) => !decodes(segment));

const problem = (segment: string) =>
  `the path segment "${segment}" could not be decoded: a % must start an escape of two hexadecimal ` +
  'digits, and the escapes must spell UTF-8 characters';

describe('a path segment that does not decode, as bootstrapService sets it up', () => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    app = await bootstrapService<object>({
      name: 'undecodable-spec',
      module: ServiceModule,
      config: CONFIG,
      settings: () => ({ port: 0, host: '127.0.0.1', apiKeys: [KEY] }),
    });
    port = Number(new URL(await app.getUrl()).port);
  });
  afterAll(() => app.close());

  /** Sends the path exactly as given: fetch's URL parser would rewrite some of it (`\`, `..`). */
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });

  it('answers 400 SCHEMA_INVALID naming the segment and the route parameter that would hold it', async () => {
    const res = await send('GET', '/v1/things/%ZZ');
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(res.text)).toEqual({
      statusCode: 400,
      code: 'SCHEMA_INVALID',
      message:
        'id: the path segment "%ZZ" could not be decoded: a % must start an escape of two hexadecimal ' +
        'digits, and the escapes must spell UTF-8 characters',
      reasons: [
        {
          code: 'SCHEMA_INVALID',
          message:
            'the path segment "%ZZ" could not be decoded: a % must start an escape of two hexadecimal ' +
            'digits, and the escapes must spell UTF-8 characters',
          path: 'id',
        },
      ],
    });
  });

  it('names the parameter of the segment that does not decode, and the first such segment', async () => {
    const res = await send('GET', '/v1/things/42/parts/%E2%82', { 'x-api-key': KEY });
    expect(JSON.parse(res.text)).toEqual({
      statusCode: 400,
      code: 'SCHEMA_INVALID',
      message: `partId: ${problem('%E2%82')}`,
      reasons: [{ code: 'SCHEMA_INVALID', message: problem('%E2%82'), path: 'partId' }],
    });
    const both = await send('GET', '/v1/things/a%/parts/%G1', { 'x-api-key': KEY });
    expect(JSON.parse(both.text)).toMatchObject({ message: `id: ${problem('a%')}` });
  });

  it('answers a path no route takes the same way, without a parameter', async () => {
    const res = await send('GET', '/v1/nothing/%C3');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      statusCode: 400,
      code: 'SCHEMA_INVALID',
      message: problem('%C3'),
      reasons: [{ code: 'SCHEMA_INVALID', message: problem('%C3'), path: null }],
    });
  });

  it('checks the key first on a request with a body, then the path', async () => {
    const body = JSON.stringify({ a: 1 });
    const json = { 'content-type': 'application/json' };
    expect((await send('POST', '/v1/things/%ZZ', json, body)).status).toBe(401);
    const keyed = await send('POST', '/v1/things/%ZZ', { ...json, 'x-api-key': KEY }, body);
    expect(keyed.status).toBe(400);
    expect(JSON.parse(keyed.text)).toMatchObject({ code: 'SCHEMA_INVALID', reasons: [{ path: 'id' }] });
  });

  it('leaves a segment that decodes to its route', async () => {
    const res = await send('GET', '/v1/things/%E2%82%AC%25');
    expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
      status: 200,
      body: { id: '€%' },
    });
  });

  it('answers any path with a segment that does not decode 400 in the documented shape, never 500 or HTML', async () => {
    const where = fc.constantFrom(
      (s: string) => ({ path: `/v1/things/${s}`, parameter: 'id' }),
      (s: string) => ({ path: `/v1/things/${s}?q=%ZZ`, parameter: 'id' }),
      (s: string) => ({ path: `/v1/things/42/parts/${s}`, parameter: 'partId' }),
      (s: string) => ({ path: `/v1/things/${s}/parts/7`, parameter: 'id' }),
      (s: string) => ({ path: `/v1/${s}/things`, parameter: null }),
      (s: string) => ({ path: `/${s}`, parameter: null }),
    );
    await fc.assert(
      fc.asyncProperty(
        hostileSegment,
        where,
        fc.constantFrom('GET', 'HEAD', 'DELETE'),
        async (segment, at, method) => {
          const { path, parameter } = at(segment);
          const res = await send(method, path, { 'x-api-key': KEY });
          expect(res.status).toBe(400);
          expect(res.contentType).toMatch(/^application\/json/);
          if (method === 'HEAD') return;
          const body = JSON.parse(res.text) as Record<string, unknown>;
          const reason = { code: 'SCHEMA_INVALID', message: problem(segment), path: parameter };
          expect(body).toEqual({
            statusCode: 400,
            code: 'SCHEMA_INVALID',
            message: parameter === null ? problem(segment) : `${parameter}: ${problem(segment)}`,
            reasons: [reason],
          });
        },
      ),
      { seed: 20261202, numRuns: 300 },
    );
  });
});
