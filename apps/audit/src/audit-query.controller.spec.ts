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

/** The query API's HTTP contract; the repository (PostgreSQL) is not what this is about, so it answers from memory. */
describe('audit query API', () => {
  let app: INestApplication;
  let base: string;
  const userId = '6f1c2a9e-4b7d-4e3a-9c1f-2d8e5b7a0c11';
  const eventId = '0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40';

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
        { provide: ListBatchesUseCase, useValue: new ListBatchesUseCase({ batchesSince: async () => [] }) },
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
