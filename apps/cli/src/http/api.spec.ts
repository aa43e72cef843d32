import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { buildProgram } from '../main';
import { CliError, ComponentDownError, EXIT, unanswered } from '../errors';
import { auditEntity, callApi } from './api';

/** A local HTTP server answering every request with what `answer` says, and the paths it was asked. */
function server() {
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  const asked: string[] = [];
  const srv: Server = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  return {
    asked,
    answer: (status: number, body: unknown) =>
      (answer = { status, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    start: () =>
      new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port))),
    stop: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** Nest's answer for a route it does not have: what a wrong base URL or another service's port gets. */
const routeNotFound = (path: string) => ({
  message: `Cannot GET ${path}`,
  error: 'Not Found',
  statusCode: 404,
});
/** A SparkFlow service's answer for a route it does not have, in the one error model: its reason names `path`. */
const noRoute = (path: string) => ({
  statusCode: 404,
  code: 'NOT_FOUND',
  message: `Not Found: no route takes GET ${JSON.stringify(path)}`,
  reasons: [{ code: 'NOT_FOUND', message: `no route takes ${JSON.stringify(path)}`, path: 'path' }],
  errors: [{ path: 'path', message: `no route takes ${JSON.stringify(path)}` }],
});
const auditNotFound = (id: string) => ({
  statusCode: 404,
  code: 'NOT_FOUND',
  message: `no batch ${id} in the audit`,
  reasons: [{ path: 'batchId', message: `no batch ${id} in the audit` }],
});

describe('asking the audit for one entity', () => {
  const http = server();
  let base = '';
  beforeAll(async () => (base = `http://127.0.0.1:${await http.start()}`));
  afterAll(() => http.stop());
  const audit = (setting: string) => ({ auditUrl: base, auditUrlSetting: setting, auditKey: 'k' });

  it("shows the audit's 401 UNAUTHORIZED as sent and names the key's setting", async () => {
    const message = 'a valid x-api-key header is required';
    const refused = {
      statusCode: 401,
      code: 'UNAUTHORIZED',
      message,
      reasons: [{ code: 'UNAUTHORIZED', message, path: 'x-api-key' }],
    };
    http.answer(401, refused);
    const err = await auditEntity(audit('AUDIT_URL'), '/v1/batches/b-1').then(
      () => null,
      (e: unknown) => e as CliError,
    );
    expect(err).toBeInstanceOf(CliError);
    expect(err?.exitCode).toBe(EXIT.failure);
    expect(err?.message).toBe(
      `audit API answered GET /v1/batches/b-1 with HTTP 401: ${JSON.stringify(refused)}\n` +
        '  The key sent is not one it accepts: set AUDIT_API_KEYS or --audit-key.',
    );
  });

  it('reads a 404 as "absent" only when its JSON body is the audit\'s NOT_FOUND', async () => {
    // Any other 404 (a route 404, Nest's or in the error model, a proxy's page, JSON with another code, no
    // body) is a wrong address.
    const otherBody = fc.oneof(
      fc.string(),
      fc.string().map(routeNotFound),
      fc.string().map(noRoute),
      fc.dictionary(fc.string(), fc.jsonValue()).filter((o) => o['code'] !== 'NOT_FOUND'),
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
      fc.string().map((c) => ({ statusCode: 404, code: c === 'NOT_FOUND' ? 'not_found' : c })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ absent: fc.constant(true), body: fc.string().map(auditNotFound) }),
          fc.record({ absent: fc.constant(false), body: otherBody }),
        ),
        fc.constantFrom('AUDIT_URL', 'AUDIT_HTTP_PORT'),
        async ({ absent, body }, setting) => {
          http.answer(404, body);
          const got = auditEntity(audit(setting), '/v1/batches/b-1');
          if (absent) return expect(await got).toBeNull();
          const err = await got.then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(CliError);
          expect((err as CliError).exitCode).toBe(EXIT.failure);
          expect((err as CliError).message).toContain(setting);
          expect((err as CliError).message).toContain(`${base}/v1/batches/b-1`);
        },
      ),
      { seed: 0x5eed, numRuns: 150 },
    );
  });

  it('returns what the audit found', async () => {
    http.answer(200, { batchId: 'b-1' });
    await expect(auditEntity(audit('AUDIT_URL'), '/v1/batches/b-1')).resolves.toEqual({ batchId: 'b-1' });
  });

  describe('`batches get` with the address the user set', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of ['AUDIT_URL', 'AUDIT_HTTP_PORT']) delete process.env[k];
      Object.assign(process.env, saved);
    });
    const get = (id: string) => {
      const program = buildProgram(() => undefined);
      return program.parseAsync(['batches', 'get', id, '--json'], { from: 'user' }).then(
        () => null,
        (e: unknown) => e as CliError,
      );
    };

    it('names AUDIT_URL when a base URL ending in /v1 reaches a route the audit does not have', async () => {
      process.env['AUDIT_URL'] = `${base}/v1`;
      http.answer(404, routeNotFound('/v1/v1/batches/b-7'));
      const err = await get('b-7');
      expect(err).toBeInstanceOf(CliError);
      expect(err?.exitCode).toBe(EXIT.failure);
      expect(err?.message).toContain(`AUDIT_URL (it gave ${base}/v1)`);
      expect(err?.message).not.toMatch(/no batch/);
      expect(http.asked.at(-1)).toBe('/v1/v1/batches/b-7');
    });

    it('names AUDIT_HTTP_PORT when another service answers on that port', async () => {
      delete process.env['AUDIT_URL'];
      process.env['AUDIT_HTTP_PORT'] = base.split(':').at(-1);
      for (const answer of [routeNotFound('/v1/batches/b-7'), noRoute('/v1/batches/b-7')]) {
        http.answer(404, answer);
        const err = await get('b-7');
        expect(err?.message).toContain('AUDIT_HTTP_PORT');
        expect(err?.message).not.toMatch(/^no /);
        expect(err?.exitCode).toBe(EXIT.failure);
      }
    });

    it('names AUDIT_URL when the list of batches is asked at a wrong base URL', async () => {
      process.env['AUDIT_URL'] = `${base}/v1`;
      http.answer(404, routeNotFound('/v1/v1/batches'));
      const program = buildProgram(() => undefined);
      const err = await program.parseAsync(['batches', 'list', '--json'], { from: 'user' }).then(
        () => null,
        (e: unknown) => e as CliError,
      );
      expect(err?.exitCode).toBe(EXIT.failure);
      expect(err?.message).toContain(`AUDIT_URL (it gave ${base}/v1)`);
    });

    it('says the batch is not in the audit when the audit says so', async () => {
      process.env['AUDIT_URL'] = base;
      http.answer(404, auditNotFound('b-7'));
      const err = await get('b-7');
      expect(err?.message).toMatch(/^no batch b-7 in the audit/);
      expect(err?.exitCode).toBe(EXIT.failure);
    });

    it("says it in the audit's own words, which name its retention, with where to look next", async () => {
      process.env['AUDIT_URL'] = base;
      const words =
        'no batch b-7 in the audit (a complete batch and its events are forgotten 30 days after its last event arrived: AUDIT_RETENTION_DAYS)';
      http.answer(404, { ...auditNotFound('b-7'), message: words });
      const err = await get('b-7');
      expect(err?.message).toBe(`${words}; \`sparkflow batches list\` shows recent ones`);
      expect(err?.exitCode).toBe(EXIT.failure);
    });
  });
});

describe('an API call that gets no answer', () => {
  it('names the settings of an address on a port Node will not connect to, as a setting to change', async () => {
    // 6000 is on the Fetch standard's list of blocked ports: fetch refuses it before connecting.
    const err = await callApi('audit API', 'http://127.0.0.1:6000', '/v1/batches').then(
      () => null,
      (e: unknown) => e as CliError,
    );
    expect(err?.exitCode).toBe(EXIT.usage);
    expect(err?.message).toContain('refuses port 6000');
    expect(err?.message).toContain('AUDIT_URL or AUDIT_HTTP_PORT');
    expect(err?.message).not.toContain('Start the stack');
  });

  it('says how long it waited when the API did not answer in time, not that it is down', () => {
    const timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const err = unanswered('ingestion API', 'http://127.0.0.1:3000', 15_000, timedOut);
    expect(err.message).toMatch(/^ingestion API at http:\/\/127\.0\.0\.1:3000 did not answer within 15 s\./);
    expect(err.message).not.toContain('Start the stack');
    expect(err.exitCode).toBe(EXIT.failure);
  });

  it('is the component being down when the connection is refused', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    const err = unanswered('audit API', 'http://127.0.0.1:1', 15_000, refused);
    expect(err).toBeInstanceOf(ComponentDownError);
    expect(err.message).toContain('ECONNREFUSED');
  });
});
