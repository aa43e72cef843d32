import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyBudget, keyBeforeBody, sizeInBytes } from './body-budget';

describe('sizeInBytes', () => {
  it('reads kb and mb, and names a size it cannot read', () => {
    expect(sizeInBytes('512kb')).toBe(524_288);
    expect(sizeInBytes('5mb')).toBe(5_242_880);
    expect(() => sizeInBytes('5 MB')).toThrow('not a size such as 5mb or 512kb: 5 MB');
  });
});

describe('bodyBudget over real HTTP', () => {
  let server: Server;
  let url: string;
  const held: (() => void)[] = [];

  beforeAll(async () => {
    const budget = bodyBudget(10_000, 8_000);
    // The handler holds each request until the test lets it go, so requests overlap for certain.
    server = createServer((req, res) =>
      budget(req, res, () => {
        req.resume();
        held.push(() => res.end('ok'));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (bytes: number) => fetch(url, { method: 'POST', body: 'x'.repeat(bytes) });
  const whenHeld = async (n: number) => {
    while (held.length < n) await new Promise((resolve) => setImmediate(resolve));
  };

  it('lets bodies in up to the budget, refuses the next with 503 and Retry-After, and frees the budget as responses finish', async () => {
    const first = post(6_000);
    await whenHeld(1);
    const refused = await post(6_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const busy = (await refused.json()) as { message: string; code: string; reasons: unknown[] };
    expect(busy.message).toMatch(/^busy: 6 KB of request bodies/);
    expect([busy.code, busy.reasons]).toEqual([
      'SERVICE_BUSY',
      [{ code: 'SERVICE_BUSY', message: busy.message, path: null }],
    ]);

    const small = post(3_000); // 6,000 + 3,000 fits in 10,000
    await whenHeld(2);
    held.splice(0).forEach((release) => release());
    expect((await first).status).toBe(200);
    expect((await small).status).toBe(200);

    const after = post(6_000); // the budget is free again
    await whenHeld(1);
    held.splice(0).forEach((release) => release());
    expect((await after).status).toBe(200);
  });

  it('lets requests without a body through without counting them against the budget', async () => {
    const get = fetch(url);
    await whenHeld(1);
    const lone = post(9_000); // would not fit if the GET had counted
    await whenHeld(2);
    held.splice(0).forEach((release) => release());
    expect((await get).status).toBe(200);
    expect((await lone).status).toBe(200);
  });
});

describe('bodyBudget, a sender that stalls mid-body', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const budget = bodyBudget(10_000, 8_000, 50);
    server = createServer((req, res) => budget(req, res, () => req.on('end', () => res.end('ok'))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is answered 408 REQUEST_TIMEOUT naming the body, in the error model', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': '1000' } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"a":'); // and nothing more
    });
    const message = 'request body idle for 50 ms; connection closed';
    expect({ status: answer.status, body: JSON.parse(answer.body) as unknown }).toEqual({
      status: 408,
      body: {
        statusCode: 408,
        code: 'REQUEST_TIMEOUT',
        message,
        reasons: [{ code: 'REQUEST_TIMEOUT', message, path: '' }],
        errors: [{ path: '', message }],
      },
    });
  });
});

describe('keyBeforeBody over real HTTP', () => {
  let server: Server;
  let port: number;
  let bodiesRead = 0;

  beforeAll(async () => {
    const gate = keyBeforeBody(['the-right-key']);
    server = createServer((req, res) =>
      gate(req, res, () => {
        req.on('data', () => (bodiesRead += 1));
        req.on('end', () => res.end('ok'));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends the headers of a 10 MB body and nothing of the body itself, then waits for the answer. */
  const headersOnly = (key?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        headers: { 'content-length': String(10 * 1024 * 1024), ...(key ? { 'x-api-key': key } : {}) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });

  it('answers 401 to a request with a body and no valid key before a byte of the body is sent', async () => {
    const refused = {
      status: 401,
      body: JSON.stringify({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: 'a valid x-api-key header is required',
        reasons: [
          { code: 'UNAUTHORIZED', message: 'a valid x-api-key header is required', path: 'x-api-key' },
        ],
      }),
    };
    expect(await headersOnly()).toEqual(refused);
    expect(await headersOnly('a-wrong-key')).toEqual(refused);
    expect(bodiesRead).toBe(0);
  });

  it('lets a request with the right key through to read its body', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'x-api-key': 'the-right-key' },
      body: 'hello',
    });
    expect(await res.text()).toBe('ok');
  });
});
