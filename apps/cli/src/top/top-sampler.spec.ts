import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probe, readBatchesInFlight } from './top-sampler';

/** Starts `srv` on a free loopback port; its base URL. */
const listen = (srv: Server) =>
  new Promise<string>((r) =>
    srv.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`)),
  );

describe("top's batches in flight", () => {
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const srv: Server = createServer((_req, res) =>
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)),
  );
  let auditUrl = '';
  beforeAll(async () => (auditUrl = await listen(srv)));
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));
  const read = () =>
    readBatchesInFlight({ auditUrl, auditUrlSetting: 'AUDIT_HTTP_PORT', auditKey: 'k' }, Date.now());
  const list = (n: number, truncated: boolean) => ({
    batches: Array.from({ length: n }, (_, i) => ({ batchId: `b-${i}` })),
    truncated,
    next: truncated ? 'x' : null,
  });

  it('counts the batches, and says when the audit listed only its page of them', async () => {
    answer = { status: 200, body: list(3, false) };
    expect(await read()).toEqual({ count: 3, more: false });
    answer = { status: 200, body: list(1000, true) };
    expect(await read()).toEqual({ count: 1000, more: true });
  });

  it('says why it has no count: a refused key, a wrong address, another status, an address fetch will not use', async () => {
    answer = { status: 401, body: { statusCode: 401, code: 'UNAUTHORIZED' } };
    expect(await read()).toEqual({
      problem: expect.stringMatching(/refused the key .*AUDIT_API_KEYS or --audit-key/),
    });
    answer = { status: 404, body: { statusCode: 404, message: 'Cannot GET /v1/batches' } };
    expect(await read()).toEqual({ problem: expect.stringMatching(/HTTP 404\): check AUDIT_HTTP_PORT$/) });
    answer = { status: 500, body: {} };
    expect(await read()).toEqual({ problem: 'the audit answered HTTP 500' });
    const blocked = await readBatchesInFlight(
      { auditUrl: 'http://127.0.0.1:6000', auditUrlSetting: 'AUDIT_HTTP_PORT', auditKey: 'k' },
      Date.now(),
    );
    expect(blocked).toEqual({ problem: expect.stringContaining('refuses port 6000') });
  });
});

describe("top's probe of a service", () => {
  let serviceName = 'persistence';
  const srv: Server = createServer((req, res) => {
    if (req.url === '/metrics')
      return res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(
          `target_info{service_name="${serviceName}"} 1\nsparkflow_process_start_time_seconds 1796000000\n`,
        );
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  let url = '';
  beforeAll(async () => (url = await listen(srv)));
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));

  it('is ready when the service answers, under its own name or a name of its own choosing', async () => {
    for (const name of ['persistence', 'sparkflow-persistence-eu']) {
      serviceName = name;
      const p = await probe('persistence', { name: 'persistence', url });
      expect({ health: p.health, detail: p.detail, metrics: p.metrics?.length }).toEqual({
        health: 'ready',
        detail: null,
        metrics: 2,
      });
    }
  });

  it('names the other service answering at its address, and the setting, and counts none of its metrics', async () => {
    serviceName = 'audit';
    const p = await probe('persistence', { name: 'persistence', url });
    expect(p).toEqual({
      replica: 'persistence',
      health: 'not ready',
      detail: `audit answers at ${url}, not persistence: check PERSISTENCE_URL or PERSISTENCE_HTTP_PORT`,
      metrics: null,
    });
  });
});
