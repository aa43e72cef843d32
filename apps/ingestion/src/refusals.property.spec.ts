import { connect } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { httpStatus } from '@sparkflow/errors';
import { EventProducer } from '@sparkflow/kafka';
import {
  brokenJsonText,
  deepJsonText,
  hostileJsonValue,
  hostilePerson,
  invalidUtf8,
  withBytesNotUtf8InAString,
} from '@sparkflow/testing';
import { listenIngestion } from './testing/ingestion-app';

const CODES = new Set<string>(Object.values(SparkflowErrorCode));

/** A push body as sent: JSON of hostile people or values, text that is almost JSON, bytes that are no UTF-8. */
const hostilePushBody = (): fc.Arbitrary<string | Uint8Array> =>
  fc.oneof(
    fc.array(hostilePerson(), { maxLength: 3 }).map((people) => JSON.stringify(people)),
    hostilePerson().map((person) => JSON.stringify({ results: [person] })),
    hostilePerson().map((person) => JSON.stringify(person)),
    hostileJsonValue().map((value) => JSON.stringify(value) ?? ''),
    brokenJsonText(),
    deepJsonText(1, 20_000),
    invalidUtf8(),
    withBytesNotUtf8InAString(hostilePerson().map((person) => JSON.stringify(person))),
  );

/** The headers a push may come with: any Content-Type or Content-Encoding, an Idempotency-Key that is not one. */
const pushHeaders = (): fc.Arbitrary<Record<string, string>> =>
  fc
    .record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
        'content-encoding': fc.constantFrom('identity', 'gzip', 'zstd2'),
        'idempotency-key': fc.constantFrom('', 'two words', 'k'.repeat(256)),
      },
      { requiredKeys: [] },
    )
    .map((headers) => ({ 'x-api-key': 'dev-ingestion-key', ...headers }));

/** A producer Kafka acknowledges at once: these specs look at what ingestion answers, not at what it sends. */
const acceptingProducer = {
  connect: async () => undefined,
  disconnect: async () => undefined,
  send: async () => [],
};

/**
 * Whatever a push holds, each refusal ingestion answers is in the one error model (`libs/errors`): a code
 * whose status is the one answered, and reasons each with a code, a message and a path.
 */
describe('every refusal of POST /v1/users', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    // Room for one person above INGESTION_MAX_PERSON_BYTES (256 KB), so ingestion's own 413 is reached too.
    let base: string;
    ({ app, base } = await listenIngestion([[EventProducer, acceptingProducer]], '2mb'));
    url = `${base}/v1/users`;
  });
  afterAll(() => app.close());

  it('has a code answering its status, and reasons each with a code, a message and a path', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostilePushBody(), pushHeaders(), async (body, headers) => {
        const res = await fetch(url, { method: 'POST', headers, body });
        const answer = (await res.json()) as Record<string, unknown>;
        if (res.status < 400 || res.status >= 500) return;
        seen.add(`${res.status} ${String(answer['code'])}`);
        expect(answer).toMatchObject({ statusCode: res.status, code: expect.any(String) });
        const code = answer['code'] as SparkflowErrorCode;
        expect(CODES.has(code)).toBe(true);
        expect(httpStatus(code)).toBe(res.status);
        const reasons = answer['reasons'] as unknown[];
        expect(Array.isArray(reasons) && reasons.length > 0).toBe(true);
        for (const reason of reasons as { code?: unknown; message?: unknown; path?: unknown }[]) {
          expect(Object.keys(reason).sort()).toEqual(['code', 'message', 'path']);
          expect([CODES.has(String(reason.code)), typeof reason.message]).toEqual([true, 'string']);
          expect(reason.path === null || typeof reason.path === 'string').toBe(true);
        }
      }),
      { seed: 20261203, numRuns: 150 },
    );
    // The run reached refusals of each kind: a body that is not JSON or too large, one not sent as JSON,
    // and a field at fault.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        '400 MALFORMED_JSON',
        '400 SCHEMA_INVALID',
        '413 RECORD_TOO_LARGE',
        '415 UNSUPPORTED_MEDIA_TYPE',
      ]),
    );
  }, 120_000);
});

/** JSON whose top level is no object or array, as a client may send it: with spaces around, any value. */
const jsonScalarText = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('', ' ', '\n', '\t '),
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        fc.constant(null),
      ),
      fc.constantFrom('', ' ', '\r\n'),
    )
    .map(([before, value, after]) => `${before}${JSON.stringify(value)}${after}`);

/**
 * A body that is JSON, but not of a shape any JSON route of ingestion takes, is no malformed JSON: each route
 * answers it 400 SCHEMA_INVALID naming the whole body (path `""`) and what the route takes, and produces
 * nothing; bytes that are not JSON stay MALFORMED_JSON.
 */
describe('a JSON scalar sent to every JSON route of ingestion', () => {
  let app: INestApplication;
  let base: string;
  const produced: unknown[] = [];

  beforeAll(async () => {
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (...args: unknown[]) => {
        produced.push(args);
        return [];
      },
    };
    ({ app, base } = await listenIngestion([[EventProducer, producer]], '64kb'));
  });
  afterAll(() => app.close());

  const ROUTES: Record<string, RegExp> = {
    users: /^expected a user object, an array of users or \{"results": \[\.\.\.\]\}, got /,
    synthetic: /^expected a JSON object \{"count", "seed", "page"\}, got /,
    pulls: /^expected a JSON object \{"count", "seed", "nat"\}, got /,
    backfills: /^expected a JSON object \{"from", "to", "perDay", "seed", "source"\}, got /,
  };
  const post = (route: string, body: string) =>
    fetch(`${base}/v1/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'dev-ingestion-key' },
      body,
    });

  it('is 400 SCHEMA_INVALID naming the body and the shape the route takes, and produces nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(ROUTES)), jsonScalarText(), async (route, body) => {
        const res = await post(route, body);
        const answer = (await res.json()) as { code: string; reasons: { path: string; message: string }[] };
        expect([res.status, answer.code]).toEqual([400, 'SCHEMA_INVALID']);
        expect(answer.reasons).toEqual([
          { code: 'SCHEMA_INVALID', path: '', message: expect.stringMatching(ROUTES[route]) },
        ]);
      }),
      { seed: 20261203, numRuns: 120 },
    );
    expect(produced).toEqual([]);
  }, 60_000);

  it('stays MALFORMED_JSON for bytes that are not JSON, and for an empty body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(ROUTES)),
        fc.oneof(brokenJsonText(), fc.constant('')),
        async (route, body) => {
          // The parser drops a byte order mark, so text that is JSON after one is JSON.
          fc.pre(!isJson(body.replace(/^\ufeff/, '')));
          const res = await post(route, body);
          expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([
            400,
            'MALFORMED_JSON',
          ]);
        },
      ),
      { seed: 20261203, numRuns: 80 },
    );
    expect(produced).toEqual([]);
  }, 60_000);
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** What the server sends on a new connection for `bytes`, until it closes it. */
function sendRaw(port: number, bytes: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...body] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n');
      resolve({ head, body: body.join('\r\n\r\n') });
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

/**
 * A push Node's HTTP parser cannot read (a header it refuses, a length that is not one, headers too large)
 * never reaches ingestion's routes: the server answers it in the one error model and closes the connection.
 */
describe('a push Node cannot read', () => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    let base: string;
    ({ app, base } = await listenIngestion([[EventProducer, acceptingProducer]], '64kb'));
    port = Number(new URL(base).port);
  });
  afterAll(() => app.close());

  it('is 400 MALFORMED_REQUEST, or 431 HEADERS_TOO_LARGE, in the one error model, quoting nothing sent', async () => {
    const fault = fc.oneof(
      fc.constantFrom('Bad Header: ', 'X-(a): ', 'X-A: a\u0000').map((h) => [400, `${h}MARK`] as const),
      fc.constantFrom('abc', '-1', '1, 2').map((n) => [400, `Content-Length: ${n}\r\nX-M: MARK`] as const),
      fc.integer({ min: 17_000, max: 40_000 }).map((n) => [431, `X-Big: MARK${'a'.repeat(n)}`] as const),
    );
    await fc.assert(
      fc.asyncProperty(fault, fc.stringMatching(/^[a-z]{10}$/), async ([status, header], mark) => {
        const request =
          'POST /v1/users HTTP/1.1\r\nHost: x\r\nx-api-key: dev-ingestion-key\r\n' +
          `content-type: application/json\r\n${header.replace('MARK', mark)}\r\n\r\n{}`;
        const { head, body } = await sendRaw(port, request);
        expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        const answer = JSON.parse(body) as { statusCode: number; code: string; reasons: { code: string }[] };
        expect([answer.statusCode, answer.code]).toEqual([
          status,
          status === 431 ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
        ]);
        expect(httpStatus(answer.code as SparkflowErrorCode)).toBe(status);
        expect(answer.reasons.every((r) => r.code === answer.code)).toBe(true);
        expect(body).not.toContain(mark);
      }),
      { seed: 20261203, numRuns: 40 },
    );
  }, 60_000);
});
