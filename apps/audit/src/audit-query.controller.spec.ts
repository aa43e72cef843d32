import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuditEventsRepository, ListBatchesUseCase } from '@sparkflow/audit-store';
import { API_KEYS, ApiKeyGuard, HealthController, READINESS_CHECKS, SparkflowExceptionFilter } from '@sparkflow/service-kit';
import { AuditQueryController } from './audit-query.controller';

/** The query API's HTTP contract; the repository (PostgreSQL) is not what this is about, so it answers from memory. */
describe('audit query API', () => {
  let app: INestApplication;
  let base: string;
  const userId = '6f1c2a9e-4b7d-4e3a-9c1f-2d8e5b7a0c11';
  const eventId = '0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40';

  beforeAll(async () => {
    const audit = {
      lineage: async () => [{ topic: 'users.raw', outcome: 'ingested' }],
      batchCounts: async () => ({
        batchId: 'b1',
        ingested: 1,
        persisted: 1,
        deadLettered: 0,
        complete: true,
      }),
      batchTiming: async () => null,
      sampleUser: async () => userId,
      userHistory: async () => [{ eventId, outcome: 'persisted' }],
    };
    const module = await Test.createTestingModule({
      controllers: [AuditQueryController, HealthController],
      providers: [
        { provide: AuditEventsRepository, useValue: audit },
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

  it.each(routes)('answers %s only with a valid x-api-key', async (path) => {
    expect((await fetch(`${base}${path}`)).status).toBe(401);
    expect((await fetch(`${base}${path}`, { headers: { 'x-api-key': 'not-the-audit-key' } })).status).toBe(
      401,
    );
    expect((await fetch(`${base}${path}`, { headers: { 'x-api-key': 'dev-audit-key' } })).status).toBe(200);
  });

  it('answers a bad batch-list parameter with 400 naming it', async () => {
    const res = await fetch(`${base}/v1/batches?since=yesterday`, { headers: { 'x-api-key': 'dev-audit-key' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('since');
  });

  it('keeps the health endpoints open for probes', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});
