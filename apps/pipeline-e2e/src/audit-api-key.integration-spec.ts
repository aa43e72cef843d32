import { generateUsers } from '@sparkflow/sources';
import { uniqueName } from '@sparkflow/testing';
import { API_KEY, AUDIT, AUDIT_HEADERS, post, waitForBatch } from './pipeline-client';

/** The running audit service: its query API answers only callers with one of its keys, its probes everyone. */
describe("the audit's query API on the real stack", () => {
  let paths: string[];

  beforeAll(async () => {
    const [user] = generateUsers({ seed: uniqueName('e2e-audit-key'), count: 1 });
    const res = await post('/v1/users', [user]);
    expect(res.status).toBe(202);
    const { batchId, eventIds } = res.json as { batchId: string; eventIds: string[] };
    await waitForBatch(batchId, 60_000);
    paths = [`/v1/batches/${batchId}`, `/v1/events/${eventIds[0]}`, `/v1/users/${user.login.uuid}/history`];
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': 'not-an-audit-key' }],
    ["ingestion's key", { 'x-api-key': API_KEY }],
  ])('answers 401 naming the x-api-key header with %s', async (_case, headers: Record<string, string>) => {
    for (const path of paths) {
      const res = await fetch(`${AUDIT}${path}`, { headers });
      expect({ path, status: res.status, body: await res.json() }).toMatchObject({
        path,
        status: 401,
        body: {
          statusCode: 401,
          code: 'UNAUTHORIZED',
          message: 'a valid x-api-key header is required',
          reasons: [{ code: 'UNAUTHORIZED', path: 'x-api-key' }],
        },
      });
    }
  });

  it('answers 200 with a key from AUDIT_API_KEYS', async () => {
    for (const path of paths) {
      const res = await fetch(`${AUDIT}${path}`, { headers: AUDIT_HEADERS });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it('keeps health and /metrics open for probes and scrapers', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      expect({ path, status: (await fetch(`${AUDIT}${path}`)).status }).toEqual({ path, status: 200 });
    }
  });
});
