import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuditQueriesUseCase, ListBatchesUseCase, type AuditEventEntity } from '@sparkflow/audit-store';
import {
  API_KEYS,
  ApiKeyGuard,
  HealthController,
  READINESS_CHECKS,
  ServiceHealthModule,
  SparkflowExceptionFilter,
} from '@sparkflow/service-kit';
import { AuditQueryController } from './audit-query.controller';
import { BATCH_LIST_SINCE_RANGE } from '@sparkflow/contracts';
import fc from 'fast-check';

/** The query API's HTTP contract; the repository (PostgreSQL) is not what this is about, so it answers from memory. */
describe('audit query API', () => {
  let app: INestApplication;
  let base: string;
  const userId = '6f1c2a9e-4b7d-4e3a-9c1f-2d8e5b7a0c11';
  const eventId = '0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40';
  /** Every `since` the batch list asked PostgreSQL for. */
  const sinceAsked: Date[] = [];

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
      recordedAt: new Date('2026-11-30T08:00:01.000Z'),
      reasons: null,
    });
    const audit = {
      lineage: async () => [row('users.raw', 'ingested')],
      batchCounts: async () => ({
        batchId: 'b1',
        source: 'http-push',
        expected: 1,
        ingested: 1,
        enriched: 1,
        persisted: 1,
        deadLettered: 0,
        complete: true,
      }),
      batchTiming: async () => ({
        firstIngestedAt: null,
        lastPersistedAt: null,
        throughputPerSec: null,
        latencyMs: { p50: null, p95: null, p99: null },
      }),
      sampleUser: async () => userId,
      userHistory: async () => [row('users.raw', 'ingested'), row('users.persisted', 'persisted')],
    };
    const module = await Test.createTestingModule({
      imports: [ServiceHealthModule],
      controllers: [AuditQueryController, HealthController],
      providers: [
        { provide: AuditQueriesUseCase, useValue: new AuditQueriesUseCase(audit) },
        {
          provide: ListBatchesUseCase,
          useValue: new ListBatchesUseCase({
            batchesSince: async (since: Date) => {
              sinceAsked.push(since);
              return [];
            },
          }),
        },
        { provide: API_KEYS, useValue: ['dev-audit-key'] },
        { provide: READINESS_CHECKS, useValue: {} },
        ApiKeyGuard,
      ],
    }).compile();
    app = module.createNestApplication({ logger: false });
    app.useGlobalFilters(new SparkflowExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  const routes = ['/v1/batches', '/v1/batches/b1', `/v1/events/${eventId}`, `/v1/users/${userId}/history`];

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
          recordedAt: '2026-11-30T08:00:01.000Z',
          reasons: null,
        },
      ],
    });
  });

  it.each(routes)('answers %s only with a valid x-api-key', async (path) => {
    expect((await fetch(`${base}${path}`)).status).toBe(401);
    expect((await fetch(`${base}${path}`, { headers: { 'x-api-key': 'not-the-audit-key' } })).status).toBe(
      401,
    );
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
    const namesSince = (body: { reasons?: { path: string }[] }) =>
      (body.reasons ?? []).some((r) => r.path === 'since');
    const { from, to } = BATCH_LIST_SINCE_RANGE;

    it.each([
      ['year 0000, which PostgreSQL has not', '0000-01-01T00:00:00Z'],
      ['year 0001 at +01:00, year 0000 in UTC', '0001-01-01T00:30:00+01:00'],
      ['a millisecond before the epoch', '1969-12-31T23:59:59.999Z'],
      ['year 9999 at -01:00, year 10000 in UTC', '9999-12-31T23:30:00-01:00'],
      ['29 February of a common year', '2026-02-29T00:00:00Z'],
      ['a leap second', '2026-06-30T23:59:60Z'],
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

  it.each([
    ['a NUL', encodeURIComponent('b\u00001'), 'NUL'],
    ['201 characters', 'b'.repeat(201), '1–200 characters'],
  ])('answers a batch id with %s, which no batch can have, with 400 naming it', async (_, id, problem) => {
    const res = await fetch(`${base}/v1/batches/${id}`, { headers: { 'x-api-key': 'dev-audit-key' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(problem);
  });

  it('keeps the health endpoints open for probes', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});
