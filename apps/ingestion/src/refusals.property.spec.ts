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

/**
 * Whatever a push holds, each refusal ingestion answers is in the one error model (`libs/errors`): a code
 * whose status is the one answered, and reasons each with a code, a message and a path.
 */
describe('every refusal of POST /v1/users', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async () => [],
    };
    // Room for one person above INGESTION_MAX_PERSON_BYTES (256 KB), so ingestion's own 413 is reached too.
    let base: string;
    ({ app, base } = await listenIngestion([[EventProducer, producer]], '2mb'));
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
