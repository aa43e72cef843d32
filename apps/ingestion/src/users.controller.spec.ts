import type { INestApplication } from '@nestjs/common';
import { gzipSync } from 'node:zlib';
import { EventProducer, type OutboundEvent } from '@sparkflow/kafka';
import { generateUsers } from '@sparkflow/sources';
import type { DeadLetterEvent } from '@sparkflow/contracts';
import { ACCEPTED_CHARSETS, ACCEPTED_CONTENT_ENCODINGS, oneOf } from '@sparkflow/service-kit';
import { refusedBody } from '@sparkflow/testing';
import { listenIngestion } from './testing/ingestion-app';

/** The HTTP contract of ingestion, with the Kafka producer replaced by one that records what it was asked to send. */
describe('POST /v1/users', () => {
  let app: INestApplication;
  let url: string;
  const sent: { topic: string; events: readonly OutboundEvent[] }[] = [];

  beforeAll(async () => {
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (topic: string, events: readonly OutboundEvent[]) => {
        sent.push({ topic, events });
        return [];
      },
    };
    let base: string;
    ({ app, base } = await listenIngestion([[EventProducer, producer]], '64kb'));
    url = `${base}/v1/users`;
  });
  afterAll(() => app.close());
  beforeEach(() => (sent.length = 0));

  const post = (body: string, key = 'dev-ingestion-key') =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });

  it('answers 202 with the batch id after producing each user keyed by login.uuid', async () => {
    const users = generateUsers({ seed: 'unit', count: 3 });
    const res = await post(JSON.stringify(users));
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as { batchId: string; accepted: number };
    expect(receipt.accepted).toBe(3);
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('users.raw');
    expect(sent[0].events.map((e) => e.key)).toEqual(users.map((u) => u.login.uuid.toLowerCase()));
    expect(
      sent[0].events.every(
        (e) => e.event.batchId === receipt.batchId && e.headers?.['sparkflow-batch-size'] === '3',
      ),
    ).toBe(true);
  });

  it('ingests the valid people of a request and dead-letters the invalid ones in the same batch, saying which and why', async () => {
    const users: Record<string, unknown>[] = generateUsers({ seed: 'unit-mixed', count: 3 });
    users[1] = { ...users[1], email: 42 };
    const res = await post(JSON.stringify({ results: users }));
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as {
      batchId: string;
      accepted: number;
      rejected: {
        index: number;
        loginUuid: string;
        reasons: { code: string; message: string; path: string }[];
      }[];
    };
    expect(receipt.accepted).toBe(2);
    expect(receipt.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        loginUuid: (users[1]['login'] as { uuid: string }).uuid,
        reasons: [{ code: 'SCHEMA_INVALID', message: expect.any(String), path: 'email' }],
      }),
    ]);
    const raw = sent.find((s) => s.topic === 'users.raw')!;
    expect(raw.events.map((e) => e.headers?.['sparkflow-batch-size'])).toEqual(['3', '3']);
    const dlq = sent.find((s) => s.topic === 'users.dlq')!;
    const letter = dlq.events[0].event as DeadLetterEvent;
    expect(letter.payload).toMatchObject({
      stage: 'ingestion',
      originalTopic: 'users.raw',
      originalBatchId: receipt.batchId,
      reasons: [expect.objectContaining({ code: 'SCHEMA_INVALID', path: 'payload.email' })],
    });
    expect((JSON.parse(letter.payload.payload) as { payload: unknown }).payload).toEqual(users[1]);
  });

  it('answers 401 and produces nothing without a valid key', async () => {
    const res = await post(JSON.stringify(generateUsers({ seed: 'unit', count: 1 })), 'not-the-key');
    expect(res.status).toBe(401);
    expect(sent).toHaveLength(0);
  });

  it('answers 400 listing every bad field, and produces nothing', async () => {
    const [user] = generateUsers({ seed: 'unit', count: 1 });
    const res = await post(JSON.stringify({ ...user, email: null, nat: 'GBR' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; reasons: { code: string; path: string }[] };
    expect(body.code).toBe('SCHEMA_INVALID');
    expect(body.reasons.map((r) => [r.code, r.path]).sort()).toEqual([
      ['SCHEMA_INVALID', 'email'],
      ['SCHEMA_INVALID', 'nat'],
    ]);
    expect(sent).toHaveLength(0);
  });

  it('answers 400 for a body that is not UTF-8, naming the byte, and produces nothing', async () => {
    const [user] = generateUsers({ seed: 'unit', count: 1 });
    const text = JSON.stringify(user);
    const [before, after] = [
      text.slice(0, text.indexOf(user.name.first)),
      text.slice(text.indexOf(user.name.first)),
    ];
    const at = Buffer.byteLength(before);
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(after)]);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'dev-ingestion-key' },
      body,
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      refusedBody(400, 'MALFORMED_JSON', 'the request body is not valid UTF-8', [
        { path: '', message: expect.stringMatching(new RegExp(`^at byte ${at} \\(0xed 0xa0 0x80 `)) },
      ]),
    ]);
    expect(sent).toHaveLength(0);
  });

  it('answers malformed JSON and a body above the limit in the error model', async () => {
    const answer = async (res: Response) => [res.status, await res.json()];
    const CODES: Record<number, string> = {
      400: 'MALFORMED_JSON',
      413: 'RECORD_TOO_LARGE',
      415: 'UNSUPPORTED_MEDIA_TYPE',
    };
    const fault = (statusCode: number, message: string, detail: string | RegExp, path = '') => [
      statusCode,
      refusedBody(statusCode, CODES[statusCode], message, [
        { path, message: typeof detail === 'string' ? detail : expect.stringMatching(detail) },
      ]),
    ];
    expect(await answer(await post('{"results": ['))).toEqual(
      fault(400, 'the request body is not JSON', /JSON/),
    );
    const shapes = 'a user object, an array of users or {"results": [...]}';
    for (const [text, kind] of [
      ['null', 'null'],
      [' 42 ', 'a number'],
      ['"x"', 'a string'],
      ['true', 'a boolean'],
    ]) {
      // JSON, of a shape the route does not take: the body named, with the shapes it takes.
      expect(await answer(await post(text))).toEqual([
        400,
        refusedBody(400, 'SCHEMA_INVALID', `expected ${shapes}`, [
          { path: '', message: `expected ${shapes}, got ${kind}` },
        ]),
      ]);
    }
    expect(sent).toHaveLength(0);
    const big = JSON.stringify({ padding: 'x'.repeat(100_000) });
    expect(await answer(await post(big))).toEqual(
      fault(413, 'the request body is too large', `${big.length} bytes, over the limit of 65536`),
    );
    const gzipped = gzipSync(big);
    const inflated = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-api-key': 'dev-ingestion-key',
      },
      body: gzipped,
    });
    expect(await answer(inflated)).toEqual(
      fault(413, 'the request body is too large', /^over the limit of 65536 bytes \(\d+ read\)$/),
    );
    const corrupt = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-api-key': 'dev-ingestion-key',
      },
      body: '[{}]',
    });
    expect(await answer(corrupt)).toEqual(
      fault(400, 'the request body is not valid gzip', /^gzip could not be decompressed/, 'Content-Encoding'),
    );
    const send = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'x-api-key': 'dev-ingestion-key', ...headers }, body: '{}' });
    expect(await answer(await send({ 'content-type': 'application/json; charset=latin1' }))).toEqual(
      fault(
        415,
        `Unsupported Media Type: send the body in charset ${oneOf(ACCEPTED_CHARSETS)}`,
        /LATIN1/,
        'Content-Type',
      ),
    );
    expect(
      await answer(await send({ 'content-type': 'application/json', 'content-encoding': 'zstd2' })),
    ).toEqual(
      fault(
        415,
        `Unsupported Media Type: send the body with Content-Encoding ${oneOf(ACCEPTED_CONTENT_ENCODINGS)}`,
        /zstd2/,
        'Content-Encoding',
      ),
    );
    // A body that is not JSON at all: its 415 names every charset and Content-Encoding a JSON body may have.
    const [status, plain] = (await answer(await send({ 'content-type': 'text/plain' }))) as [
      number,
      { code: string; reasons: { code: string; message: string }[] },
    ];
    expect([status, plain.code, plain.reasons[0].code]).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    for (const accepted of [...ACCEPTED_CHARSETS, ...ACCEPTED_CONTENT_ENCODINGS]) {
      expect(plain.reasons[0].message).toContain(accepted);
    }
    expect(sent).toHaveLength(0);
  });

  describe('a body that is empty or not JSON', () => {
    const send = (headers: Record<string, string>, body: string | Uint8Array) =>
      fetch(url, { method: 'POST', headers: { 'x-api-key': 'dev-ingestion-key', ...headers }, body });
    const answer = async (res: Response) => [res.status, await res.json()];
    const empty = refusedBody(400, 'MALFORMED_JSON', 'the request body is empty', [
      { path: '', message: expect.stringMatching(/^the request body is empty: expected /) },
    ]);
    const unsupported = (got: string) =>
      refusedBody(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Unsupported Media Type: send the body as application/json',
        [{ path: 'Content-Type', message: expect.stringMatching(new RegExp(`, got ${got}$`)) }],
      );

    it('answers an empty body 400 saying it is empty, with or without a Content-Type', async () => {
      expect(await answer(await send({ 'content-type': 'application/json' }, ''))).toEqual([400, empty]);
      expect(await answer(await send({}, new Uint8Array()))).toEqual([400, empty]);
      const gzipped = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      expect(await answer(await send(gzipped, gzipSync('')))).toEqual([400, empty]);
      expect(sent).toHaveLength(0);
    });

    it('answers JSON sent as text/plain, or with no Content-Type, 415 naming Content-Type', async () => {
      const json = JSON.stringify(generateUsers({ seed: 'unit', count: 1 }));
      expect(await answer(await send({ 'content-type': 'text/plain' }, json))).toEqual([
        415,
        unsupported('"text/plain"'),
      ]);
      expect(await answer(await send({}, new TextEncoder().encode(json)))).toEqual([
        415,
        unsupported('none'),
      ]);
      expect(sent).toHaveLength(0);
    });

    it('still takes gzip-encoded JSON', async () => {
      const users = generateUsers({ seed: 'unit-gzip', count: 2 });
      const res = await send(
        { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' },
        gzipSync(JSON.stringify(users)),
      );
      expect(res.status).toBe(202);
      expect(((await res.json()) as { accepted: number }).accepted).toBe(2);
    });
  });

  it('answers 400 naming Idempotency-Key for a key that is not 1 to 255 visible ASCII characters, and produces nothing', async () => {
    const body = JSON.stringify(generateUsers({ seed: 'unit', count: 1 }));
    for (const key of ['', 'two words', 'k'.repeat(256)]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'dev-ingestion-key',
          'idempotency-key': key,
        },
        body,
      });
      expect(res.status).toBe(400);
      const refused = (await res.json()) as { message: string; code: string; reasons: unknown[] };
      expect(refused.message).toMatch(/^Idempotency-Key /);
      expect([refused.code, refused.reasons]).toEqual([
        'SCHEMA_INVALID',
        [{ code: 'SCHEMA_INVALID', message: refused.message, path: 'Idempotency-Key' }],
      ]);
    }
    expect(sent).toHaveLength(0);
  });
});
