import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import {
  AuditQueriesUseCase,
  LateDaysUseCase,
  ListBatchesUseCase,
  SettledUseCase,
  type AuditEventEntity,
} from '@sparkflow/audit-store';
import {
  API_KEYS,
  ApiKeyGuard,
  HealthController,
  READINESS_CHECKS,
  ServiceHealthModule,
  useServiceHttp,
} from '@sparkflow/service-kit';
import { AuditQueryController, notSeenMessage } from './audit-query.controller';
import { AUDIT_CONFIG } from './audit.config';
import { BATCH_LIST_SINCE_RANGE } from '@sparkflow/contracts';
import fc from 'fast-check';

/** The query API's HTTP contract; the repository (PostgreSQL) is not what this is about, so it answers from memory. */
describe('audit query API', () => {
  let app: NestExpressApplication;
  let base: string;
  const userId = '6f1c2a9e-4b7d-4e3a-9c1f-2d8e5b7a0c11';
  const eventId = '0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40';
  /** An id the audit has never seen. */
  const unknown = 'a5e2b0c4-1d3f-4e6a-8b9c-0d1e2f3a4b5c';
  /** Every `limit` a person's history asked PostgreSQL for. */
  const historyLimits: number[] = [];
  /** Every `since` the batch list asked PostgreSQL for. */
  const sinceAsked: Date[] = [];
  /** What the settled check's fakes answer, and what they were asked. */
  const settledState = {
    pending: 0,
    rawBehind: 0,
    windows: [] as [string, string][],
    behindAt: [] as number[],
  };
  /** What the late-days check's fakes answer, and what they were asked. */
  const lateState = {
    behind: 0,
    intervals: [] as [string, string][],
    behindAt: [] as number[],
  };
  const lateDay = { day: '2026-11-30', events: 2, lastAppendedAt: '2026-12-04T00:10:00.123Z' };
  /** The audit's clock for the settled check. */
  const settledNow = new Date('2026-12-04T00:30:00.000Z');

  beforeAll(async () => {
    const row = (topic: string, outcome: AuditEventEntity['outcome']): AuditEventEntity => ({
      eventId,
      topic,
      outcome,
      userId,
      batchId: 'b1',
      source: 'http-push',
      partition: 2,
      offset: '41',
      producedAt: new Date('2026-11-30T08:00:00.000Z'),
      appendedAt: new Date('2026-11-30T08:00:00.004Z'),
      recordedAt: new Date('2026-11-30T08:00:01.000Z'),
      reasons: null,
    });
    const audit = {
      lineage: async (id: string) => (id === unknown ? [] : [row('users.raw', 'ingested')]),
      batchCounts: async (id: string) =>
        id === 'nope'
          ? null
          : {
              batchId: 'b1',
              source: 'http-push',
              expected: 1,
              ingested: 1,
              enriched: 1,
              persisted: 1,
              deadLettered: 0,
              complete: true,
            },
      batchTiming: async () => ({
        firstIngestedAt: null,
        lastPersistedAt: null,
        throughputPerSec: null,
        latencyMs: { p50: null, p95: null, p99: null },
      }),
      sampleUser: async () => userId,
      userHistory: async (id: string, limit: number) => {
        historyLimits.push(limit);
        const rows = [row('users.raw', 'ingested'), row('users.persisted', 'persisted')];
        return { rows: id === unknown ? [] : rows.slice(-limit), truncated: id !== unknown && limit < 2 };
      },
    };
    const module = await Test.createTestingModule({
      imports: [ServiceHealthModule],
      controllers: [AuditQueryController, HealthController],
      providers: [
        { provide: AUDIT_CONFIG, useValue: { AUDIT_RETENTION_DAYS: 30 } },
        { provide: AuditQueriesUseCase, useValue: new AuditQueriesUseCase(audit) },
        {
          provide: ListBatchesUseCase,
          useValue: new ListBatchesUseCase({
            batchesSince: async (since: Date) => {
              sinceAsked.push(since);
              return [];
            },
            markComplete: async () => 0,
          }),
        },
        {
          provide: SettledUseCase,
          useValue: new SettledUseCase(
            {
              pendingIn: async (from: Date, to: Date) => {
                settledState.windows.push([from.toISOString(), to.toISOString()]);
                const oldest = {
                  eventId,
                  batchId: 'b1',
                  producedAt: '2026-12-03T23:59:59.999Z',
                };
                return { pending: settledState.pending, oldest: settledState.pending ? oldest : null };
              },
            },
            async (beforeMs) => {
              settledState.behindAt.push(beforeMs);
              return settledState.rawBehind;
            },
            () => settledNow,
          ),
        },
        {
          provide: LateDaysUseCase,
          useValue: new LateDaysUseCase(
            {
              terminalDaysAppendedIn: async (from: Date, to: Date) => {
                lateState.intervals.push([from.toISOString(), to.toISOString()]);
                return [lateDay];
              },
            },
            async (beforeMs) => {
              lateState.behindAt.push(beforeMs);
              return lateState.behind;
            },
            () => settledNow,
          ),
        },
        { provide: API_KEYS, useValue: ['dev-audit-key'] },
        { provide: READINESS_CHECKS, useValue: {} },
        ApiKeyGuard,
      ],
    }).compile();
    app = module.createNestApplication<NestExpressApplication>({ logger: false });
    useServiceHttp(app, '100kb');
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  const settledDay = '/v1/events/settled?from=2026-12-03T00:00:00Z&to=2026-12-04T00:00:00Z';
  const routes = [
    '/v1/batches',
    '/v1/batches/b1',
    `/v1/events/${eventId}`,
    `/v1/users/${userId}/history`,
    settledDay,
    '/v1/events/late-days?from=2026-12-04T00:00:00Z&to=2026-12-04T00:30:00Z',
  ];

  const getSettled = async (query: string) => {
    const res = await fetch(`${base}/v1/events/settled${query}`, {
      headers: { 'x-api-key': 'dev-audit-key' },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers a day as settled when it has ended, the consumer read users.raw up to its end and nothing is pending', async () => {
    Object.assign(settledState, { pending: 0, rawBehind: 0, windows: [], behindAt: [] });
    expect(await getSettled('?from=2026-12-03T00:00:00Z&to=2026-12-04T01:00:00%2B01:00')).toEqual({
      status: 200,
      body: {
        from: '2026-12-03T00:00:00.000Z',
        to: '2026-12-04T00:00:00.000Z',
        settled: true,
        pending: 0,
        oldestPending: null,
        rawBehind: 0,
        checkedAt: '2026-12-04T00:30:00.000Z',
      },
    });
    expect(settledState.windows).toEqual([['2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z']]);
    expect(settledState.behindAt).toEqual([Date.parse('2026-12-04T00:00:00Z')]);
  });

  it('answers not settled, saying why, while an event is pending, the consumer is behind, or the window is open', async () => {
    Object.assign(settledState, { pending: 3, rawBehind: 0 });
    expect(await getSettled('?from=2026-12-03T00:00:00Z&to=2026-12-04T00:00:00Z')).toMatchObject({
      status: 200,
      body: {
        settled: false,
        pending: 3,
        oldestPending: { eventId, batchId: 'b1', producedAt: '2026-12-03T23:59:59.999Z' },
      },
    });
    Object.assign(settledState, { pending: 0, rawBehind: 12 });
    expect(await getSettled('?from=2026-12-03T00:00:00Z&to=2026-12-04T00:00:00Z')).toMatchObject({
      status: 200,
      body: { settled: false, pending: 0, rawBehind: 12 },
    });
    Object.assign(settledState, { pending: 0, rawBehind: 0 });
    // The audit's clock reads 00:30: a window ending at 00:30:00.001 has not ended.
    expect(await getSettled('?from=2026-12-04T00:00:00Z&to=2026-12-04T00:30:00.001Z')).toMatchObject({
      status: 200,
      body: { settled: false, pending: 0, rawBehind: 0 },
    });
    expect((await getSettled('?from=2026-12-04T00:00:00Z&to=2026-12-04T00:30:00Z')).body['settled']).toBe(
      true,
    );
  });

  it('answers a bad or missing settled parameter with 400 naming it, before anything is read', async () => {
    Object.assign(settledState, { windows: [], behindAt: [] });
    const day = { from: '2026-12-03T00:00:00Z', to: '2026-12-04T00:00:00Z' };
    const cases: [string, string[]][] = [
      ['', ['from', 'to']],
      [`?from=${day.from}`, ['to']],
      [`?to=${day.to}`, ['from']],
      [`?from=2026-12-03&to=${day.to}`, ['from']],
      [`?from=${day.from}&to=tomorrow`, ['to']],
      [`?from=${day.from}&to=${day.from}`, ['to']],
      [`?from=${day.to}&to=${day.from}`, ['to']],
      [`?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:01Z`, ['to']],
      [`?from=0000-01-01T00:00:00Z&to=${day.to}`, ['from']],
      [`?from=${day.from}&to=${day.to}&day=2026-12-03`, ['day']],
      [`?from=${day.from}&from=${day.from}&to=${day.to}`, ['from']],
      // Finer than the millisecond event times are kept to: cut silently, this window would be empty.
      [`?from=2026-12-01T00:00:00.0001Z&to=2026-12-01T00:00:00.0009Z`, ['from', 'to']],
      [`?from=${day.from}&to=2026-12-04T00:00:00.000000001Z`, ['to']],
    ];
    await expectRefusedNaming(getSettled, cases);
    expect(settledState).toMatchObject({ windows: [], behindAt: [] });
    // A parameter not sent is told so, and a millisecond instant with an offset is taken.
    expect((await getSettled(`?to=${day.to}`)).body['reasons']).toEqual([
      { code: 'SCHEMA_INVALID', message: 'is required', path: 'from' },
    ]);
    expect(
      (await getSettled('?from=2026-12-03T01:00:00.123%2B01:00&to=2026-12-04T00:00:00.999Z')).status,
    ).toBe(200);
    // A month is the longest window answered.
    expect((await getSettled('?from=2026-11-02T00:00:00Z&to=2026-12-03T00:00:00Z')).status).toBe(200);
  });

  const getLateDays = async (query: string) => {
    const res = await fetch(`${base}/v1/events/late-days${query}`, {
      headers: { 'x-api-key': 'dev-audit-key' },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers the late days of an interval, complete once it has ended and the consumer read it to its end', async () => {
    Object.assign(lateState, { behind: 0, intervals: [], behindAt: [] });
    expect(await getLateDays('?from=2026-12-04T00:00:00Z&to=2026-12-04T01:30:00%2B01:00')).toEqual({
      status: 200,
      body: {
        from: '2026-12-04T00:00:00.000Z',
        to: '2026-12-04T00:30:00.000Z',
        complete: true,
        behind: 0,
        days: [lateDay],
        checkedAt: '2026-12-04T00:30:00.000Z',
      },
    });
    expect(lateState.intervals).toEqual([['2026-12-04T00:00:00.000Z', '2026-12-04T00:30:00.000Z']]);
    expect(lateState.behindAt).toEqual([Date.parse('2026-12-04T00:30:00Z')]);
    Object.assign(lateState, { behind: 4 });
    expect(await getLateDays('?from=2026-12-04T00:00:00Z&to=2026-12-04T00:30:00Z')).toMatchObject({
      status: 200,
      body: { complete: false, behind: 4, days: [lateDay] },
    });
    Object.assign(lateState, { behind: 0 });
    // The audit's clock reads 00:30: an interval ending at 00:30:00.001 has not ended.
    expect(await getLateDays('?from=2026-12-04T00:00:00Z&to=2026-12-04T00:30:00.001Z')).toMatchObject({
      status: 200,
      body: { complete: false, behind: 0 },
    });
  });

  it('answers a bad or missing late-days parameter with 400 naming it, before anything is read', async () => {
    Object.assign(lateState, { intervals: [], behindAt: [] });
    const hour = { from: '2026-12-03T23:00:00Z', to: '2026-12-04T00:00:00Z' };
    const cases: [string, string[]][] = [
      ['', ['from', 'to']],
      [`?from=${hour.from}`, ['to']],
      [`?to=${hour.to}`, ['from']],
      [`?from=2026-12-03&to=${hour.to}`, ['from']],
      [`?from=2026-12-03T23:00:00&to=${hour.to}`, ['from']],
      [`?from=${hour.from}&to=now`, ['to']],
      [`?from=${hour.from}&to=${hour.from}`, ['to']],
      [`?from=${hour.to}&to=${hour.from}`, ['to']],
      [`?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:01Z`, ['to']],
      [`?from=1969-12-31T23:59:59.999Z&to=${hour.to}`, ['from']],
      [`?from=9999-12-31T23:00:00Z&to=9999-12-31T23:30:00-01:00`, ['to']],
      [`?from=${hour.from}&to=${hour.to}&day=2026-12-03`, ['day']],
      [`?from=${hour.from}&to=${hour.to}&to=${hour.to}`, ['to']],
      [`?from[a]=1&to=${hour.to}`, ['from']],
      [`?from=${hour.from}&to=2026-12-04T00:00:00.0001Z`, ['to']],
    ];
    await expectRefusedNaming(getLateDays, cases);
    expect(lateState).toMatchObject({ intervals: [], behindAt: [] });
    expect((await getLateDays(`?from=${hour.from}&to=${hour.to}&day=x`)).body['reasons']).toEqual([
      {
        code: 'SCHEMA_INVALID',
        message: 'is not a parameter of GET /v1/events/late-days (it reads from, to)',
        path: 'day',
      },
    ]);
    // A month is the longest interval answered.
    expect((await getLateDays('?from=2026-11-02T00:00:00Z&to=2026-12-03T00:00:00Z')).status).toBe(200);
  });

  it("answers a person's history as the contract's AuditTrailEvent list", async () => {
    const res = await fetch(`${base}/v1/users/${userId}/history`, {
      headers: { 'x-api-key': 'dev-audit-key' },
    });
    expect(await res.json()).toEqual({
      userId,
      events: [
        expect.objectContaining({ topic: 'users.raw', outcome: 'ingested', partition: 2, offset: '41' }),
        {
          eventId,
          topic: 'users.persisted',
          outcome: 'persisted',
          userId,
          batchId: 'b1',
          source: 'http-push',
          partition: 2,
          offset: '41',
          producedAt: '2026-11-30T08:00:00.000Z',
          appendedAt: '2026-11-30T08:00:00.004Z',
          recordedAt: '2026-11-30T08:00:01.000Z',
          reasons: null,
        },
      ],
      truncated: false,
    });
  });

  it("answers a person's history up to limit (default 100, at most 1000) and says when it left rows out", async () => {
    const history = async (query: string) => {
      const res = await fetch(`${base}/v1/users/${userId}/history${query}`, {
        headers: { 'x-api-key': 'dev-audit-key' },
      });
      const body = (await res.json()) as {
        events?: unknown[];
        truncated?: boolean;
        reasons?: { path: string }[];
      };
      return { status: res.status, body };
    };
    historyLimits.length = 0;
    expect((await history('')).status).toBe(200);
    expect((await history('?limit=1000')).status).toBe(200);
    expect(await history('?limit=1')).toMatchObject({ status: 200, body: { truncated: true } });
    expect((await history('?limit=1')).body.events).toHaveLength(1);
    expect(historyLimits).toEqual([100, 1000, 1, 1]);
    for (const bad of ['0', '1001', '1e3', '-1', '']) {
      const { status, body } = await history(`?limit=${bad}`);
      expect([bad, status, body.reasons?.map((r) => r.path)]).toEqual([bad, 400, ['limit']]);
    }
  });

  it('says what is wrong with a limit: its range when it is written in plain digits, its writing when not', async () => {
    const range = 'must be from 1 to 1000';
    const writing = 'must be a whole number written in digits (no sign, exponent, fraction or leading 0)';
    const said = (value: string) =>
      Promise.all(
        [`/v1/users/${userId}/history`, '/v1/batches'].map(async (path) => {
          const res = await fetch(`${base}${path}?limit=${value}`, {
            headers: { 'x-api-key': 'dev-audit-key' },
          });
          const body = (await res.json()) as { reasons?: { message: string }[] };
          return body.reasons?.[0]?.message;
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(0), fc.integer({ min: 1001 }), fc.bigInt({ min: 10n ** 20n, max: 10n ** 40n })),
        async (n) => expect(await said(String(n))).toEqual([range, range]),
      ),
      { seed: 20261203, numRuns: 30 },
    );
    for (const value of ['05', '00', '1e3', '+5', '10.0'])
      expect([value, ...(await said(value))]).toEqual([value, writing, writing]);
  });

  it.each(routes)('answers %s only with a valid x-api-key', async (path) => {
    const message = 'a valid x-api-key header is required';
    const refused = {
      status: 401,
      body: {
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message,
        reasons: [{ code: 'UNAUTHORIZED', message, path: 'x-api-key' }],
      },
    };
    for (const headers of [{}, { 'x-api-key': 'not-the-audit-key' }]) {
      const res = await fetch(`${base}${path}`, { headers });
      expect({ status: res.status, body: (await res.json()) as unknown }).toEqual(refused);
    }
    expect((await fetch(`${base}${path}`, { headers: { 'x-api-key': 'dev-audit-key' } })).status).toBe(200);
  });

  it('answers a bad batch-list parameter with 400 naming it', async () => {
    const res = await fetch(`${base}/v1/batches?since=yesterday`, {
      headers: { 'x-api-key': 'dev-audit-key' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('since');
  });

  describe('GET /v1/batches?since=', () => {
    const list = async (since: string) => {
      const res = await fetch(`${base}/v1/batches?since=${encodeURIComponent(since)}`, {
        headers: { 'x-api-key': 'dev-audit-key' },
      });
      return {
        status: res.status,
        body: (await res.json()) as { since?: string; reasons?: { path: string }[] },
      };
    };
    /** The answer names since, with the one problem that applies to it. */
    const namesSince = (body: { reasons?: { path: string }[] }) =>
      (body.reasons ?? []).filter((r) => r.path === 'since').length === 1;
    const { from, to } = BATCH_LIST_SINCE_RANGE;

    it.each([
      ['year 0000, which PostgreSQL has not', '0000-01-01T00:00:00Z'],
      ['year 0001 at +01:00, year 0000 in UTC', '0001-01-01T00:30:00+01:00'],
      ['a millisecond before the epoch', '1969-12-31T23:59:59.999Z'],
      ['year 9999 at -01:00, year 10000 in UTC', '9999-12-31T23:30:00-01:00'],
      ['29 February of a common year', '2026-02-29T00:00:00Z'],
      ['a leap second', '2026-06-30T23:59:60Z'],
      ['second 60 of an ordinary minute', '2026-12-02T13:00:60Z'],
      ['an empty since', ''],
    ])('answers %s with 400 naming since, and asks PostgreSQL nothing', async (_, since) => {
      sinceAsked.length = 0;
      const { status, body } = await list(since);
      expect([status, namesSince(body)]).toEqual([400, true]);
      expect(sinceAsked).toEqual([]);
    });

    it.each([from, to, '2026-12-02T03:00:00+14:00'])('answers %s, at or within the bounds', async (since) => {
      const { status, body } = await list(since);
      expect([status, body.since]).toEqual([200, new Date(since).toISOString()]);
    });

    it('answers any since it is sent with 400 naming it, or lists from that very instant within the bounds', async () => {
      const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
      const year = fc
        .oneof(fc.constantFrom(0, 1, 1969, 1970, 9999), fc.integer({ min: 0, max: 9999 }))
        .map((y) => String(y).padStart(4, '0'));
      const offset = fc.oneof(
        fc.constant('Z'),
        fc.tuple(fc.constantFrom('+', '-'), two(24), two(59)).map(([sign, h, m]) => `${sign}${h}:${m}`),
      );
      const isoLike = fc
        .tuple(
          year,
          two(13),
          two(32),
          two(25),
          two(60),
          two(61),
          fc.option(fc.stringMatching(/^\d{1,9}$/)),
          offset,
        )
        .map(
          ([y, mo, d, h, mi, s, frac, off]) =>
            `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${off}`,
        );
      const since = fc.oneof(
        { weight: 4, arbitrary: isoLike },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      );
      await fc.assert(
        fc.asyncProperty(since, async (value) => {
          sinceAsked.length = 0;
          const { status, body } = await list(value);
          if (status === 400) return namesSince(body) && sinceAsked.length === 0;
          const asked = sinceAsked[0];
          return (
            status === 200 &&
            asked.getTime() === Date.parse(value) &&
            asked >= new Date(from) &&
            asked <= new Date(to) &&
            body.since === asked.toISOString()
          );
        }),
        { seed: 20261202, numRuns: 300 },
      );
    });
  });

  describe('hostile query strings', () => {
    /** Status, and the parameters the answer names, of a GET with this query string (already encoded). */
    const ask = async (path: string, query: string) => {
      const res = await fetch(`${base}${path}?${query}`, { headers: { 'x-api-key': 'dev-audit-key' } });
      const body = (await res.json()) as { reasons?: { path: string }[] };
      return { status: res.status, named: [...new Set((body.reasons ?? []).map((r) => r.path))] };
    };
    const q = (key: string, value: string) => `${key}=${encodeURIComponent(value)}`;
    const idRoutes = ['/v1/batches/b1', `/v1/events/${eventId}`, `/v1/users/${userId}/history`];

    it.each([
      ['since as an object', 'since[a]=1', 'since'],
      ['since as an array', 'since[]=2026-12-01T00:00:00Z', 'since'],
      ['since twice', `${q('since', '2026-12-01T00:00:00Z')}&${q('since', '2026-12-01T00:00:00Z')}`, 'since'],
      ['an empty since', 'since=', 'since'],
      ['since without its offset', q('since', '2026-12-01T00:00:00'), 'since'],
      ['since as a number', 'since=1764547200000', 'since'],
      ['limit in exponent notation', 'limit=1e3', 'limit'],
      ['limit in exponent notation, signed exponent', q('limit', '1e+2'), 'limit'],
      ['a fractional limit', 'limit=1.5', 'limit'],
      ['a whole limit written as a fraction', 'limit=10.0', 'limit'],
      ['a negative limit', 'limit=-1', 'limit'],
      ['a signed limit', q('limit', '+5'), 'limit'],
      ['a hexadecimal limit', 'limit=0x10', 'limit'],
      ['a limit with a leading 0', 'limit=05', 'limit'],
      ['a limit padded with a space', q('limit', ' 5'), 'limit'],
      ['limit 0', 'limit=0', 'limit'],
      ['limit above 1000', 'limit=1001', 'limit'],
      ['a limit past 2^64', 'limit=99999999999999999999999', 'limit'],
      ['an empty limit', 'limit=', 'limit'],
      ['limit Infinity', 'limit=Infinity', 'limit'],
      ['limit twice', 'limit=5&limit=5', 'limit'],
      ['limit as an object', 'limit[max]=5', 'limit'],
      ['incomplete as yes', 'incomplete=yes', 'incomplete'],
      ['incomplete in capitals', 'incomplete=TRUE', 'incomplete'],
      ['an empty incomplete', 'incomplete', 'incomplete'],
      ['incomplete as an array', 'incomplete[]=true', 'incomplete'],
      ['a cursor no answer gave', 'cursor=abc', 'cursor'],
      [
        'a cursor naming a batch id no batch can have',
        `cursor=${Buffer.from('["1",""]').toString('base64url')}`,
        'cursor',
      ],
      ['a misspelt parameter', 'limt=5', 'limt'],
      ['a parameter the list does not read', 'page=2', 'page'],
    ])('GET /v1/batches answers %s with 400 naming it, asking PostgreSQL nothing', async (_, query, name) => {
      sinceAsked.length = 0;
      expect(await ask('/v1/batches', query)).toEqual({ status: 400, named: [name] });
      expect(sinceAsked).toEqual([]);
    });

    it('names every parameter at fault at once', async () => {
      expect(await ask('/v1/batches', 'since[a]=1&limit=1e3&incomplete=1')).toEqual({
        status: 400,
        named: ['since', 'limit', 'incomplete'],
      });
    });

    it.each(['limit=1', 'limit=1000', 'incomplete=true&limit=250', 'incomplete=false'])(
      'GET /v1/batches still answers %s',
      async (query) => expect((await ask('/v1/batches', query)).status).toBe(200),
    );

    it.each(idRoutes)('%s reads no query parameter and answers one with 400 naming it', async (path) => {
      expect(await ask(path, 'since=2026-12-01T00:00:00Z')).toEqual({ status: 400, named: ['since'] });
      expect(await ask(path, 'pretty[a]=1')).toEqual({ status: 400, named: ['pretty'] });
      expect((await ask(path, '')).status).toBe(200);
    });

    it('answers any malformed value of any parameter of any route with 400 naming it, never a default or a 500', async () => {
      const digits = fc.integer({ min: 1, max: 1000 });
      const badLimit = fc.oneof(
        digits.map((n) => n.toExponential()),
        digits.map((n) => `${n}e0`),
        fc.tuple(digits, fc.integer({ min: 1, max: 99 })).map(([n, f]) => `${n}.${f}`),
        digits.map((n) => `${n}.0`),
        fc.integer({ min: 1001 }).map(String),
        fc.integer({ max: 0 }).map(String),
        fc.tuple(fc.constantFrom('+', '0', ' ', '0x', '-'), digits).map(([p, n]) => `${p}${n}`),
        digits.map((n) => `${n} `),
        fc.string({ maxLength: 12 }).filter((v) => !/^[1-9][0-9]*$/.test(v)),
      );
      const badSince = fc.oneof(
        fc.string({ maxLength: 30 }).filter((v) => Number.isNaN(Date.parse(v)) || !v.includes('T')),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '')),
        fc.integer().map(String),
      );
      const badIncomplete = fc.string({ maxLength: 12 }).filter((v) => v !== 'true' && v !== 'false');
      const goodValue = fc.constantFrom('2026-12-01T00:00:00Z', '10', 'true');
      /** A key and its value as sent: malformed, or well-formed but sent as a structure or twice. */
      const malformed = fc.oneof(
        fc.tuple(fc.constant('limit'), badLimit).map(([k, v]) => ({ k, query: q(k, v) })),
        fc.tuple(fc.constant('since'), badSince).map(([k, v]) => ({ k, query: q(k, v) })),
        fc.tuple(fc.constant('incomplete'), badIncomplete).map(([k, v]) => ({ k, query: q(k, v) })),
        fc
          .tuple(
            fc.constantFrom('since', 'limit', 'incomplete'),
            fc.stringMatching(/^[a-z0-9]{0,6}$/),
            goodValue,
          )
          .map(([k, sub, v]) => ({ k, query: `${k}[${sub}]=${encodeURIComponent(v)}` })),
        fc
          .tuple(fc.constantFrom('since', 'limit', 'incomplete'), goodValue)
          .map(([k, v]) => ({ k, query: `${q(k, v)}&${q(k, v)}` })),
        fc
          .stringMatching(/^[a-z_]{1,10}$/)
          .filter((k) => !['since', 'limit', 'incomplete'].includes(k))
          .map((k) => ({ k, query: q(k, '1') })),
      );
      await fc.assert(
        fc.asyncProperty(malformed, async ({ k, query }) => {
          sinceAsked.length = 0;
          const list = await ask('/v1/batches', query);
          const one = await ask('/v1/batches/b1', query);
          return (
            list.status === 400 &&
            list.named.includes(k) &&
            sinceAsked.length === 0 &&
            one.status === 400 &&
            one.named.includes(k)
          );
        }),
        { seed: 20261202, numRuns: 300 },
      );
    });
  });

  it.each([
    ['a NUL', encodeURIComponent('b\u00001'), 'NUL'],
    ['201 characters', 'b'.repeat(201), '1–200 characters'],
  ])('answers a batch id with %s, which no batch can have, with 400 naming it', async (_, id, problem) => {
    const res = await fetch(`${base}/v1/batches/${id}`, { headers: { 'x-api-key': 'dev-audit-key' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(problem);
  });

  describe('answers a bad path parameter or an entity not in the audit in the documented error shape', () => {
    const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`, { headers: { 'x-api-key': 'dev-audit-key' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const segment = fc
      .string({ minLength: 1, maxLength: 60, unit: 'grapheme' })
      .filter((s) => s !== '.' && s !== '..')
      .map(encodeURIComponent);
    const notUuid = segment.filter((s) => !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(s));

    it.each([
      ['eventId', (id: string) => `/v1/events/${id}`],
      ['userId', (id: string) => `/v1/users/${id}/history`],
    ])('answers any %s that is not a UUID with 400 naming it', async (name, route) => {
      await fc.assert(
        fc.asyncProperty(notUuid, async (id) => {
          const { status, body } = await get(route(id));
          expect(status).toBe(400);
          expect(body).toEqual({
            statusCode: 400,
            code: 'SCHEMA_INVALID',
            message: expect.stringContaining(name),
            reasons: [expect.objectContaining({ code: 'SCHEMA_INVALID', path: name })],
          });
        }),
        { seed: SEED, numRuns: 100 },
      );
    });

    it.each([encodeURIComponent('b\u00001'), '%00', 'b'.repeat(201)])(
      'answers batch id %s, which no batch can have, with 400 naming batchId',
      async (id) => {
        const { status, body } = await get(`/v1/batches/${id}`);
        expect(status).toBe(400);
        expect(body).toEqual({
          statusCode: 400,
          code: 'SCHEMA_INVALID',
          message: expect.stringContaining('batchId'),
          reasons: [expect.objectContaining({ code: 'SCHEMA_INVALID', path: 'batchId' })],
        });
      },
    );

    it.each([
      ['batchId', '/v1/batches/%ZZ', '%ZZ'],
      ['eventId', '/v1/events/%E2%82', '%E2%82'],
      ['userId', '/v1/users/a%/history', 'a%'],
    ])(
      'answers a %s whose path segment does not decode with 400 naming both',
      async (path, route, segment) => {
        const problem =
          `the path segment "${segment}" could not be decoded: a % must start an escape of two hexadecimal ` +
          'digits, and the escapes must spell UTF-8 characters';
        expect(await get(route)).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            code: 'SCHEMA_INVALID',
            message: `${path}: ${problem}`,
            reasons: [{ code: 'SCHEMA_INVALID', message: problem, path }],
          },
        });
      },
    );

    const forgotten =
      ' (a complete batch and its events are forgotten 30 days after its last event arrived: AUDIT_RETENTION_DAYS)';
    it.each([
      ['batchId', '/v1/batches/nope', `no batch nope in the audit${forgotten}`],
      ['eventId', `/v1/events/${unknown}`, `no event ${unknown} in the audit${forgotten}`],
      ['userId', `/v1/users/${unknown}/history`, `no events for user ${unknown} in the audit${forgotten}`],
    ])(
      'answers a %s the audit has not seen with 404 NOT_FOUND naming it, and retention',
      async (path, route, message) => {
        expect(await get(route)).toEqual({
          status: 404,
          body: {
            statusCode: 404,
            code: 'NOT_FOUND',
            message,
            reasons: [{ code: 'NOT_FOUND', message, path }],
          },
        });
      },
    );

    it('says nothing of retention when it is off', () => {
      expect(notSeenMessage('no batch b', 0)).toBe('no batch b in the audit');
    });

    it('answers a route that does not exist 404 NOT_FOUND naming the path, where an entity not found names its parameter', async () => {
      const message = 'no route takes "/v1/batchez/b1"';
      expect(await get('/v1/batchez/b1?cursor=secret')).toEqual({
        status: 404,
        body: {
          statusCode: 404,
          code: 'NOT_FOUND',
          message: `Not Found: no route takes GET "/v1/batchez/b1"`,
          reasons: [{ code: 'NOT_FOUND', message, path: 'path' }],
          errors: [{ path: 'path', message }],
        },
      });
    });
  });

  it('keeps the health endpoints open for probes', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});

/** Each query answered 400 SCHEMA_INVALID, its reasons naming exactly the parameters listed with it. */
async function expectRefusedNaming(
  get: (query: string) => Promise<{ status: number; body: Record<string, unknown> }>,
  cases: readonly (readonly [string, readonly string[]])[],
): Promise<void> {
  for (const [query, paths] of cases) {
    const { status, body } = await get(query);
    const reasons = body['reasons'] as { path: string }[] | undefined;
    expect([query, status, body['code'], reasons?.map((r) => r.path)]).toEqual([
      query,
      400,
      'SCHEMA_INVALID',
      paths,
    ]);
  }
}
