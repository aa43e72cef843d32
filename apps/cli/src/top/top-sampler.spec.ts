import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBatchesInFlight } from './top-sampler';

describe("top's batches in flight", () => {
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const srv: Server = createServer((_req, res) =>
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)),
  );
  let auditUrl = '';
  beforeAll(
    () =>
      new Promise<void>((r) =>
        srv.listen(0, '127.0.0.1', () => {
          auditUrl = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
          r();
        }),
      ),
  );
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
