import type { INestApplication } from '@nestjs/common';
import { BackfillStore, type StoredBackfill } from '@sparkflow/backfill-store';
import { EventProducer, type OutboundEvent } from '@sparkflow/kafka';
import { exceptionBody, refusedBody } from '@sparkflow/testing';
import { listenIngestion } from './testing/ingestion-app';

/** The HTTP contract of the generating routes, over a producer and a backfill store that record what they are asked. */
describe('POST /v1/synthetic, /v1/pulls and /v1/backfills', () => {
  let app: INestApplication;
  let base: string;
  const sent: { topic: string; events: readonly OutboundEvent[] }[] = [];
  const created: unknown[] = [];
  /** What the backfill store fails `create` with, if anything. */
  let storeFails: Error | null = null;
  /** The backfills the store holds, by id, as it reads them back. */
  const stored = new Map<string, StoredBackfill>();
  const cancels: string[] = [];
  /** The days each listing of running backfills asked the store for. */
  const listings: { from?: string; to?: string }[] = [];

  beforeAll(async () => {
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (topic: string, events: readonly OutboundEvent[]) => {
        sent.push({ topic, events });
        return [];
      },
    };
    const store = {
      owner: 'spec',
      leaseSeconds: 30,
      create: async (b: unknown) => {
        if (storeFails) throw storeFails;
        created.push(b);
        return true;
      },
      get: async (id: string) => structuredClone(stored.get(id) ?? null),
      running: async (limit: number, days: { from?: string; to?: string } = {}) => {
        listings.push(days);
        const producing = [...stored.values()]
          .filter((b) => b.status === 'running')
          .filter((b) => b.batches.some((x) => x.day >= (days.from ?? '') && x.day <= (days.to ?? '9')))
          .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
        return { backfills: structuredClone(producing.slice(0, limit)), more: producing.length > limit };
      },
      cancel: async (id: string) => {
        cancels.push(id);
        const b = stored.get(id);
        if (b?.status !== 'running') return false;
        b.status = 'cancelled';
        return true;
      },
      claimExpired: async () => null,
      recordProgress: async () => true,
      renew: async () => true,
      finish: async () => true,
      release: async () => true,
      close: async () => undefined,
    };
    let root: string;
    ({ app, base: root } = await listenIngestion(
      [
        [EventProducer, producer],
        [BackfillStore, store],
      ],
      '64kb',
    ));
    base = `${root}/v1`;
  });
  afterAll(() => app.close());
  beforeEach(() => {
    sent.length = 0;
    created.length = 0;
    storeFails = null;
    stored.clear();
    cancels.length = 0;
    listings.length = 0;
  });

  const send = (route: string, headers: Record<string, string>, body: string | Uint8Array) =>
    fetch(`${base}/${route}`, {
      method: 'POST',
      headers: { 'x-api-key': 'dev-ingestion-key', ...headers },
      body,
    });
  const answer = async (res: Response) => [res.status, await res.json()];
  const requests = {
    synthetic: { count: 2, seed: 'unit' },
    pulls: { count: 2, seed: 'unit' },
    backfills: { from: '2026-01-01', to: '2026-01-01', perDay: 1 },
  };

  describe.each(Object.entries(requests))('POST /v1/%s, as POST /v1/users', (route, request) => {
    it('answers an empty body 400 saying it is empty, with or without a Content-Type', async () => {
      const empty = refusedBody(400, 'MALFORMED_JSON', 'the request body is empty', [
        { path: '', message: 'the request body is empty: expected a JSON object' },
      ]);
      expect(await answer(await send(route, { 'content-type': 'application/json' }, ''))).toEqual([
        400,
        empty,
      ]);
      expect(await answer(await send(route, {}, new Uint8Array()))).toEqual([400, empty]);
      expect([sent, created]).toEqual([[], []]);
    });

    it('answers JSON sent as text/plain, or with no Content-Type, 415 naming Content-Type', async () => {
      const json = JSON.stringify(request);
      for (const [headers, got] of [
        [{ 'content-type': 'text/plain' }, '"text/plain"'],
        [{}, 'none'],
      ] as const) {
        expect(await answer(await send(route, headers, new TextEncoder().encode(json)))).toEqual([
          415,
          refusedBody(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            'Unsupported Media Type: send the body as application/json',
            [{ path: 'Content-Type', message: expect.stringMatching(new RegExp(`, got ${got}$`)) }],
          ),
        ]);
      }
      expect([sent, created]).toEqual([[], []]);
    });

    it('answers JSON that is no object (a scalar, null, an array) 400 SCHEMA_INVALID naming the body and the object it takes', async () => {
      const fields: Record<string, string> = {
        synthetic: '"count", "seed", "page"',
        pulls: '"count", "seed", "nat"',
        backfills: '"from", "to", "perDay", "seed", "source"',
      };
      for (const [text, kind] of [
        ['42', 'a number'],
        ['"x"', 'a string'],
        ['true', 'a boolean'],
        ['null', 'null'],
        ['[]', 'an array'],
        [`[${JSON.stringify(request)}]`, 'an array'],
      ]) {
        expect(await answer(await send(route, { 'content-type': 'application/json' }, text))).toEqual([
          400,
          refusedBody(400, 'SCHEMA_INVALID', 'the request body must be a JSON object', [
            { path: '', message: `expected a JSON object {${fields[route]}}, got ${kind}` },
          ]),
        ]);
      }
      expect([sent, created]).toEqual([[], []]);
    });

    it('answers a field it does not declare 400 naming it, and a misspelt one with the field meant', async () => {
      const body = JSON.stringify({ ...request, extra: true, Seed: 'x' });
      expect(await answer(await send(route, { 'content-type': 'application/json' }, body))).toEqual([
        400,
        refusedBody(400, 'SCHEMA_INVALID', 'invalid request', [
          { path: 'extra', message: expect.stringMatching(/^unknown field: expected "/) },
          { path: 'Seed', message: 'unknown field: did you mean "seed"?' },
        ]),
      ]);
      expect([sent, created]).toEqual([[], []]);
    });
  });

  it('answers 503 with Retry-After only while PostgreSQL does not answer, and a statement it refused 500 without', async () => {
    const post = () =>
      send('backfills', { 'content-type': 'application/json' }, JSON.stringify(requests.backfills));
    storeFails = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
    const down = await post();
    expect([
      down.status,
      down.headers.get('retry-after'),
      ((await down.json()) as { code: string }).code,
    ]).toEqual([503, '1', 'POSTGRES_UNAVAILABLE']);
    storeFails = Object.assign(new Error('date/time field value out of range'), { code: '22008' });
    const refused = await post();
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([500, null]);
  });

  it('still takes a backfill sent as JSON', async () => {
    const res = await send(
      'backfills',
      { 'content-type': 'application/json; charset=utf-8' },
      JSON.stringify(requests.backfills),
    );
    expect(res.status).toBe(202);
    expect(created).toHaveLength(1);
  });

  it('answers a backfill id whose path segment does not decode with 400 naming it, in the documented shape', async () => {
    const res = await fetch(`${base}/backfills/%E2%82`, { headers: { 'x-api-key': 'dev-ingestion-key' } });
    const problem =
      'the path segment "%E2%82" could not be decoded: a % must start an escape of two hexadecimal ' +
      'digits, and the escapes must spell UTF-8 characters';
    expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        code: 'SCHEMA_INVALID',
        message: `id: ${problem}`,
        reasons: [{ code: 'SCHEMA_INVALID', message: problem, path: 'id' }],
      },
    });
  });

  it('answers a backfill id no backfill has 404 NOT_FOUND naming id, in the documented shape', async () => {
    for (const id of ['5f0c7d1e-8a43-4b6e-9b0e-3c2a1d4e5f60', 'not-a-uuid']) {
      const res = await fetch(`${base}/backfills/${id}`, { headers: { 'x-api-key': 'dev-ingestion-key' } });
      expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({
        status: 404,
        body: {
          statusCode: 404,
          code: 'NOT_FOUND',
          message: `no backfill ${id}`,
          reasons: [{ code: 'NOT_FOUND', message: `no backfill ${id}`, path: 'id' }],
        },
      });
    }
  });

  describe('GET /v1/backfills?status=running', () => {
    const backfill = (id: string, status: StoredBackfill['status'], requestedAt: string): StoredBackfill => ({
      id,
      request: { from: '2026-01-05', to: '2026-01-05', perDay: 10, seed: 'unit', source: 'synthetic' },
      status,
      error: null,
      attempts: 1,
      batches: [{ day: '2026-01-05', batchId: 'backfill-unit-2026-01-05', expected: 10, produced: 3 }],
      leaseOwner: 'spec',
      leaseUntil: null,
      requestedAt: new Date(requestedAt),
    });
    const list = async (query: string) => {
      const res = await fetch(`${base}/backfills${query}`, { headers: { 'x-api-key': 'dev-ingestion-key' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('answers the running backfills alone, the oldest request first', async () => {
      const [a, b, c] = [
        '11111111-1111-4111-8111-111111111111',
        '22222222-2222-4222-8222-222222222222',
        '33333333-3333-4333-8333-333333333333',
      ];
      stored.set(a, backfill(a, 'running', '2026-01-07T10:00:00.000Z'));
      stored.set(b, backfill(b, 'produced', '2026-01-06T10:00:00.000Z'));
      stored.set(c, backfill(c, 'running', '2026-01-05T23:59:59.999Z'));
      const { status, body } = await list('?status=running');
      expect(status).toBe(200);
      expect(body['truncated']).toBe(false);
      expect(
        (body['backfills'] as { id: string; status: string; requestedAt: string }[]).map((x) => [
          x.id,
          x.status,
          x.requestedAt,
        ]),
      ).toEqual([
        [c, 'running', '2026-01-05T23:59:59.999Z'],
        [a, 'running', '2026-01-07T10:00:00.000Z'],
      ]);
      stored.clear();
      expect(await list('?status=running')).toEqual({
        status: 200,
        body: { backfills: [], truncated: false },
      });
    });

    it('answers a missing or other status, and any other parameter, 400 naming it', async () => {
      for (const [query, paths] of [
        ['', ['status']],
        ['?status=produced', ['status']],
        ['?status=running&status=running', ['status']],
        ['?status[a]=running', ['status[a]', 'status']],
        ['?status=running&limit=5', ['limit']],
      ] as const) {
        const { status, body } = await list(query);
        const reasons = body['reasons'] as { path: string; code: string }[];
        expect([query, status, body['code'], reasons.map((r) => r.path)]).toEqual([
          query,
          400,
          'SCHEMA_INVALID',
          paths,
        ]);
      }
      expect((await list('?status=running&limit=5')).body['reasons']).toEqual([
        {
          code: 'SCHEMA_INVALID',
          path: 'limit',
          message: 'is not a parameter of GET /v1/backfills (it reads status, from and to)',
        },
      ]);
      expect(listings).toEqual([]);
    });

    it('passes the days asked for to the store, each end alone or both, and lists only backfills with a batch on one', async () => {
      const [on5th, on6th, on7th] = [
        '11111111-1111-4111-8111-111111111111',
        '22222222-2222-4222-8222-222222222222',
        '33333333-3333-4333-8333-333333333333',
      ];
      for (const [id, day] of [
        [on5th, '2026-01-05'],
        [on6th, '2026-01-06'],
        [on7th, '2026-01-07'],
      ] as const) {
        const b = backfill(id, 'running', `${day}T10:00:00.000Z`);
        stored.set(id, { ...b, batches: [{ ...b.batches[0], day, batchId: `backfill-unit-${day}` }] });
      }
      const ids = async (query: string) => {
        const { status, body } = await list(query);
        expect([query, status, body['truncated']]).toEqual([query, 200, false]);
        return (body['backfills'] as { id: string }[]).map((b) => b.id);
      };
      expect(await ids('?status=running&from=2026-01-06&to=2026-01-06')).toEqual([on6th]);
      expect(await ids('?from=2026-01-06&status=running')).toEqual([on6th, on7th]);
      expect(await ids('?status=running&to=2026-01-06')).toEqual([on5th, on6th]);
      expect(await ids('?status=running&from=2024-02-29&to=2026-01-05')).toEqual([on5th]);
      expect(await ids('?status=running')).toEqual([on5th, on6th, on7th]);
      expect(listings).toEqual([
        { from: '2026-01-06', to: '2026-01-06' },
        { from: '2026-01-06' },
        { to: '2026-01-06' },
        { from: '2024-02-29', to: '2026-01-05' },
        {},
      ]);
    });

    it('answers a day that is not a real ISO date, given twice, or `from` after `to`, 400 naming each', async () => {
      const notADay = 'must be a day, YYYY-MM-DD (a real date), given once';
      for (const [query, reasons] of [
        ['?status=running&from=2026-02-30', [['from', notADay]]],
        ['?status=running&to=2026-1-5', [['to', notADay]]],
        [
          '?status=running&from=yesterday&to=2026-01-05T00:00:00Z',
          [
            ['from', notADay],
            ['to', notADay],
          ],
        ],
        ['?status=running&from=0000-01-01', [['from', notADay]]],
        ['?status=running&from=2026-01-05&from=2026-01-05', [['from', notADay]]],
        ['?status=running&to=2026-01-05&to=2026-01-06', [['to', notADay]]],
        ['?status=running&to=', [['to', notADay]]],
        ['?status=running&from=2026-01-06&to=2026-01-05', [['to', '`from` must not be after `to`']]],
        [
          '?status=done&from=2026-01-06&to=2026-01-05&day=2026-01-05',
          [
            ['status', 'must be `running`, given once'],
            ['day', 'is not a parameter of GET /v1/backfills (it reads status, from and to)'],
            ['to', '`from` must not be after `to`'],
          ],
        ],
      ] as const) {
        const { status, body } = await list(query);
        expect([query, status, body['code'], body['reasons']]).toEqual([
          query,
          400,
          'SCHEMA_INVALID',
          reasons.map(([path, message]) => ({ code: 'SCHEMA_INVALID', path, message })),
        ]);
      }
      expect(listings).toEqual([]);
    });
  });

  describe('DELETE /v1/backfills/:id', () => {
    const ID = '5f0c7d1e-8a43-4b6e-9b0e-3c2a1d4e5f60';
    const store = (status: StoredBackfill['status'], error: string | null = null) =>
      stored.set(ID, {
        id: ID,
        request: { from: '2026-01-05', to: '2026-01-06', perDay: 1000, seed: 'unit', source: 'synthetic' },
        status,
        error,
        attempts: 1,
        batches: [
          { day: '2026-01-05', batchId: 'backfill-unit-2026-01-05', expected: 1000, produced: 1000 },
          { day: '2026-01-06', batchId: 'backfill-unit-2026-01-06', expected: 1000, produced: 500 },
        ],
        leaseOwner: 'spec',
        leaseUntil: null,
        requestedAt: new Date('2026-01-07T10:00:00.000Z'),
      });
    const call = async (method: string, id: string, key = 'dev-ingestion-key') => {
      const res = await fetch(`${base}/backfills/${id}`, { method, headers: { 'x-api-key': key } });
      return { status: res.status, body: (await res.json()) as unknown };
    };

    it('answers 202 with the backfill as GET then shows it, cancelled, its progress kept; again, the same', async () => {
      store('running');
      const first = await call('DELETE', ID);
      expect(first).toEqual({
        status: 202,
        body: {
          id: ID,
          request: { from: '2026-01-05', to: '2026-01-06', perDay: 1000, seed: 'unit', source: 'synthetic' },
          status: 'cancelled',
          attempts: 1,
          requestedAt: '2026-01-07T10:00:00.000Z',
          eventTimes: { first: '2026-01-05T23:59:59.999000Z', last: '2026-01-06T23:59:59.999999Z' },
          batches: [
            { day: '2026-01-05', batchId: 'backfill-unit-2026-01-05', expected: 1000, produced: 1000 },
            { day: '2026-01-06', batchId: 'backfill-unit-2026-01-06', expected: 1000, produced: 500 },
          ],
        },
      });
      expect(await call('GET', ID)).toEqual({ status: 200, body: first.body });
      expect(await call('DELETE', ID)).toEqual(first);
      expect(cancels).toEqual([ID, ID]);
    });

    it('answers a backfill that already ended 409 CONFLICT naming its state, and leaves it as it was', async () => {
      for (const [status, error] of [
        ['produced', null],
        ['failed', 'gave up after 5 attempts: broker unreachable'],
      ] as const) {
        store(status, error);
        const message = `backfill ${ID} is already ${status}: only a running backfill can be cancelled`;
        expect(await call('DELETE', ID)).toEqual({
          status: 409,
          body: exceptionBody(409, 'CONFLICT', message, 'id'),
        });
        expect(await call('GET', ID)).toMatchObject({ status: 200, body: { status } });
      }
    });

    it('answers an id no backfill has 404 NOT_FOUND naming id, as GET does; a non-UUID never reaches the store', async () => {
      for (const id of [ID, 'not-a-uuid']) {
        const notFound = { status: 404, body: exceptionBody(404, 'NOT_FOUND', `no backfill ${id}`, 'id') };
        expect(await call('DELETE', id)).toEqual(notFound);
        expect(await call('GET', id)).toEqual(notFound);
      }
      expect(cancels).toEqual([ID]);
    });

    it('is under the API key as every route: without a valid one, 401 and nothing is cancelled', async () => {
      store('running');
      expect(await call('DELETE', ID, 'wrong-key')).toMatchObject({
        status: 401,
        body: { code: 'UNAUTHORIZED', reasons: [{ code: 'UNAUTHORIZED', path: 'x-api-key' }] },
      });
      expect([cancels, stored.get(ID)?.status]).toEqual([[], 'running']);
    });
  });

  it("answers a method no route of ingestion's paths takes 405 with Allow, and an unknown path 404", async () => {
    const call = (method: string, path: string) =>
      fetch(`${base}/${path}`, { method, headers: { 'x-api-key': 'dev-ingestion-key' } });
    for (const [method, path, allow] of [
      ['DELETE', 'users', 'POST'],
      ['GET', 'users', 'POST'],
      ['OPTIONS', 'users', 'POST'],
      ['PUT', 'backfills', 'GET, HEAD, POST'],
      ['GET', 'synthetic', 'POST'],
      ['PUT', 'backfills/2026-01-01', 'DELETE, GET, HEAD'],
    ] as const) {
      const res = await call(method, path);
      expect([method, path, res.status, res.headers.get('allow')]).toEqual([method, path, 405, allow]);
      expect(await res.json()).toMatchObject({
        statusCode: 405,
        code: 'METHOD_NOT_ALLOWED',
        reasons: [{ code: 'METHOD_NOT_ALLOWED', path: 'method' }],
      });
    }
    const unknown = await call('DELETE', 'nothing');
    expect([unknown.status, unknown.headers.get('allow')]).toEqual([404, null]);
  });
});
