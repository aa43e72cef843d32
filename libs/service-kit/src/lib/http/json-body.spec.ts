import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import express from 'express';
import fc from 'fast-check';
import {
  ACCEPTED_CHARSETS,
  ACCEPTED_CONTENT_ENCODINGS,
  acceptedBodiesOnly,
  answerBodyFaults,
  bodyIsEmpty,
  firstInvalidUtf8,
  jsonBodyOptions,
} from './json-body';

describe('bodyIsEmpty, behind the JSON parser of jsonBodyOptions', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(express.json(jsonBodyOptions('1kb')));
    app.post('/', (req, res) => {
      res.json({ empty: bodyIsEmpty(req as IncomingMessage), body: req.body ?? null });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (headers: Record<string, string>, body?: Buffer | string) =>
    new Promise<{ empty: boolean; body: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });

  it('tells an empty JSON body from {} (the parser makes {} of both)', async () => {
    const json = { 'content-type': 'application/json' };
    expect(await send({ ...json, 'content-length': '0' }, '')).toEqual({ empty: true, body: {} });
    expect(await send({ ...json, 'content-length': '2' }, '{}')).toEqual({ empty: false, body: {} });
  });

  it('reads a gzip-encoded body as its decompressed size, and parses it as before', async () => {
    const gzip = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    expect(await send(gzip, gzipSync(''))).toEqual({ empty: true, body: {} });
    expect(await send(gzip, gzipSync('[1]'))).toEqual({ empty: false, body: [1] });
  });

  it('judges a body the parser did not read by its headers', async () => {
    expect(await send({ 'content-type': 'text/plain', 'content-length': '4' }, 'null')).toEqual({
      empty: false,
      body: null,
    });
    expect(await send({ 'content-type': 'text/plain', 'content-length': '0' }, '')).toEqual({
      empty: true,
      body: null,
    });
    expect(await send({ 'transfer-encoding': 'chunked' }, 'x')).toEqual({ empty: false, body: null });
    expect(await send({})).toEqual({ empty: true, body: null });
  });
});

describe('a JSON body that is not UTF-8', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(express.json(jsonBodyOptions('1kb')));
    app.post('/', (req, res) => res.json(req.body));
    // What the parser passes on; Nest answers it with the error's response.
    app.use(
      (
        err: { status: number; getResponse?: () => unknown },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => void res.status(err.status).json(err.getResponse?.() ?? null),
    );
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (contentType: string, body: Buffer, encoding = 'identity') =>
    new Promise<[number, unknown]>((resolve, reject) => {
      const headers = { 'content-type': contentType, 'content-encoding': encoding };
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve([res.statusCode ?? 0, JSON.parse(text)]));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('is a 400 naming the byte its first bad sequence starts at, however the body is compressed', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"Zo'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const detail = 'at byte 11 (0xc3 0x28 0x22 0x7d): no UTF-8 character starts there';
    const answer = [
      400,
      {
        statusCode: 400,
        code: 'MALFORMED_JSON',
        message: 'the request body is not valid UTF-8',
        reasons: [{ code: 'MALFORMED_JSON', message: detail, path: '' }],
        errors: [{ path: '', message: detail }],
      },
    ];
    expect(await post('application/json', body)).toEqual(answer);
    expect(await post('application/json; charset=UTF-8', body)).toEqual(answer);
    expect(await post('application/json', gzipSync(body), 'gzip')).toEqual(answer);
  });

  it('still reads UTF-8, and a body the client says is UTF-16 as UTF-16', async () => {
    expect(await post('application/json', Buffer.from('{"name":"Zoë 🐳"}'))).toEqual([
      200,
      { name: 'Zoë 🐳' },
    ]);
    const utf16 = Buffer.from('{"name":"Zoë"}', 'utf16le');
    expect(await post('application/json; charset=utf-16le', utf16)).toEqual([200, { name: 'Zoë' }]);
  });
});

describe('the charsets and Content-Encodings of a JSON body, as useServiceHttp reads them', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(acceptedBodiesOnly);
    app.use(express.json(jsonBodyOptions('1kb')));
    app.use(answerBodyFaults);
    app.post('/', (req, res) => res.json(req.body));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (headers: Record<string, string>, body: Buffer) =>
    new Promise<
      [
        number,
        { message?: string; code?: string; reasons?: unknown[]; errors?: { path: string }[]; name?: string },
      ]
    >((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve([res.statusCode ?? 0, JSON.parse(text)]));
      });
      req.on('error', reject);
      req.end(body);
    });

  const TEXT = '{"name":"Zoë 🐳"}';
  const utf32 = (text: string, le: boolean) => {
    const points = [...text].map((c) => c.codePointAt(0) ?? 0);
    const out = Buffer.alloc(points.length * 4);
    points.forEach((p, i) => (le ? out.writeUInt32LE(p, i * 4) : out.writeUInt32BE(p, i * 4)));
    return out;
  };
  const ENCODED: Record<string, (text: string) => Buffer> = {
    'utf-8': (t) => Buffer.from(t),
    'utf-16le': (t) => Buffer.from(t, 'utf16le'),
    'utf-16be': (t) => Buffer.from(t, 'utf16le').swap16(),
    'utf-16': (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]),
    'utf-32le': (t) => utf32(t, true),
    'utf-32be': (t) => utf32(t, false),
    'utf-32': (t) => Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32(t, true)]),
  };
  const COMPRESSED: Record<string, (body: Buffer) => Buffer> = {
    identity: (b) => b,
    gzip: (b) => zlib.gzipSync(b),
    deflate: (b) => zlib.deflateSync(b),
    br: (b) => zlib.brotliCompressSync(b),
    zstd: (b) => (zlib as unknown as { zstdCompressSync: (b: Buffer) => Buffer }).zstdCompressSync(b),
  };

  it('reads a body in every accepted charset', async () => {
    for (const charset of ACCEPTED_CHARSETS) {
      const headers = { 'content-type': `application/json; charset=${charset}` };
      expect([charset, await post(headers, ENCODED[charset](TEXT))]).toEqual([
        charset,
        [200, { name: 'Zoë 🐳' }],
      ]);
    }
  });

  it('reads a body with every accepted Content-Encoding', async () => {
    for (const encoding of ACCEPTED_CONTENT_ENCODINGS) {
      const headers = { 'content-type': 'application/json', 'content-encoding': encoding };
      expect([encoding, await post(headers, COMPRESSED[encoding](Buffer.from(TEXT)))]).toEqual([
        encoding,
        [200, { name: 'Zoë 🐳' }],
      ]);
    }
  });

  it('hands the route any JSON value, whatever its top level, and refuses only bytes that are not JSON', async () => {
    // A JSON scalar is JSON: the route, which knows the shape it takes, judges it (SCHEMA_INVALID).
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 2 }), async (value) => {
        const text = JSON.stringify(value);
        expect(await post({ 'content-type': 'application/json' }, Buffer.from(text))).toEqual([
          200,
          JSON.parse(text),
        ]);
      }),
      { seed: 20261203, numRuns: 100 },
    );
    for (const text of ['{', 'NaN', "{'a':1}", ' ']) {
      const [status, answer] = await post({ 'content-type': 'application/json' }, Buffer.from(text));
      expect([status, answer.code, answer.message]).toEqual([
        400,
        'MALFORMED_JSON',
        'the request body is not JSON',
      ]);
    }
  });

  it('refuses any other charset 415, its message naming every accepted one', async () => {
    for (const charset of ['latin1', 'utf-7', 'UTF-16x']) {
      const [status, answer] = await post(
        { 'content-type': `application/json; charset=${charset}` },
        Buffer.from('{}'),
      );
      expect([status, answer.code, answer.reasons]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        [{ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'Content-Type', message: expect.any(String) }],
      ]);
      expect(answer.errors).toEqual([{ path: 'Content-Type', message: expect.any(String) }]);
      for (const accepted of ACCEPTED_CHARSETS) expect(answer.message).toContain(accepted);
    }
  });

  it('refuses any other Content-Encoding 415, its message naming every accepted one', async () => {
    for (const encoding of ['zstd2', 'gzip, br', 'compress']) {
      const headers = { 'content-type': 'application/json', 'content-encoding': encoding };
      const [status, answer] = await post(headers, Buffer.from('{}'));
      expect([status, answer.code, answer.reasons]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        [{ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'Content-Encoding', message: expect.any(String) }],
      ]);
      expect(answer.errors).toEqual([{ path: 'Content-Encoding', message: expect.any(String) }]);
      for (const accepted of ACCEPTED_CONTENT_ENCODINGS) expect(answer.message).toContain(accepted);
    }
  });
});

describe('firstInvalidUtf8', () => {
  // Mostly UTF-8 with a few bytes changed, so bad sequences sit among good ones of every length.
  const damaged = fc
    .tuple(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    )
    .map(([text, changes]) => {
      const bytes = Buffer.from(text, 'utf8');
      for (const [at, byte] of changes) if (bytes.length) bytes[at % bytes.length] = byte;
      return bytes;
    });

  // Short runs of the bytes where UTF-8's rules change: overlong forms, surrogates, the end of Unicode.
  const EDGES = [
    0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
  ];
  const edges = fc.array(fc.constantFrom(...EDGES), { maxLength: 5 }).map((b) => Uint8Array.from(b));

  it('finds a bad sequence exactly when the bytes are not UTF-8, and everything before it is', () => {
    fc.assert(
      fc.property(fc.oneof(damaged, edges, fc.uint8Array({ maxLength: 12 })), (bytes) => {
        const at = firstInvalidUtf8(bytes);
        expect(at === -1).toBe(isUtf8(bytes));
        if (at === -1) return;
        expect(isUtf8(bytes.subarray(0, at))).toBe(true);
        // No UTF-8 character, of any length, starts at `at`.
        for (let end = at + 1; end <= Math.min(at + 4, bytes.length); end++) {
          expect(isUtf8(bytes.subarray(at, end))).toBe(false);
        }
      }),
      { seed: 20261202, numRuns: 3_000 },
    );
  });
});
