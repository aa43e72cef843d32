import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNever } from '@sparkflow/contracts';
import { NATIONALITIES } from '../synthetic/nationalities';
import { generateResponse, isNationality } from '../synthetic/user.generator';

export type FixtureFault = '500' | '429' | 'timeout' | 'garbage';

export interface FixtureServerOptions {
  /** Consumed one per request, in order, before the server answers normally. */
  faults?: FixtureFault[];
  /** How long a 'timeout' fault holds the request before dropping the connection. Default 30000. */
  timeoutMs?: number;
}

export interface FixtureServer {
  /** http://127.0.0.1:<port>/api/ */
  url: string;
  /** Every request received, faulted ones included, in arrival order. */
  requests: URL[];
  close(): Promise<void>;
}

const API_CAP = 5_000;
// randomuser's own 500 body, so log-matching and error-message tests see what production sees.
const UPSTREAM_500 =
  'Uh oh, something has gone wrong. Please tweet us @randomapi about the issue. Thank you.';

/**
 * A randomuser.me stand-in on 127.0.0.1:<random port>: GET /api/?results&seed&page&nat answers
 * generateResponse({ seed, count: results, page, nat }). Like the real API it caps results at 5000,
 * ignores unknown nationalities and invents a seed when none is given.
 */
export async function startFixtureServer(opts: FixtureServerOptions = {}): Promise<FixtureServer> {
  const faults = [...(opts.faults ?? [])];
  const stallMs = opts.timeoutMs ?? 30_000;
  const requests: URL[] = [];
  const stalls = new Set<NodeJS.Timeout>();
  let base = 'http://127.0.0.1/';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push(url);
    if (url.pathname !== '/api/' && url.pathname !== '/api')
      return sendJson(res, 404, { error: `no route ${url.pathname}` });
    if (req.method !== 'GET') return sendJson(res, 405, { error: `method ${req.method} not allowed` });

    const fault = faults.shift();
    switch (fault) {
      case undefined:
        return answer(url, res);
      case '500':
        return sendJson(res, 500, { error: UPSTREAM_500 });
      case '429':
        res.setHeader('retry-after', '1');
        return sendJson(res, 429, { error: 'Too many requests' });
      case 'garbage':
        // A body cut off mid-stream, as a proxy that dropped the connection would leave it.
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        return void res.end('{"results":[{"gender":"female","name":{"title":"Ms","first":"Ol');
      case 'timeout':
        return stall(req, res);
      default:
        return assertNever(fault);
    }
  });

  function stall(req: IncomingMessage, res: ServerResponse): void {
    const timer = setTimeout(() => {
      stalls.delete(timer);
      req.socket.destroy();
    }, stallMs);
    stalls.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      stalls.delete(timer);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/`;

  let closing: Promise<void> | undefined;
  return {
    url: `${base}api/`,
    requests,
    // Idempotent, so an afterEach may close a server its test already closed.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of stalls) clearTimeout(timer);
        stalls.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets from fetch would otherwise hold close() open until they idle out.
        server.closeAllConnections();
      })),
  };
}

function answer(url: URL, res: ServerResponse): void {
  const results = intParam(url, 'results', 1);
  const page = intParam(url, 'page', 1);
  if (results === undefined || results < 1)
    return sendJson(res, 400, { error: 'results must be a positive integer' });
  if (page === undefined || page < 1) return sendJson(res, 400, { error: 'page must be a positive integer' });
  const seed = url.searchParams.get('seed') || randomBytes(8).toString('hex');
  const nat = (url.searchParams.get('nat') ?? '')
    .split(',')
    .map((n) => n.trim().toUpperCase())
    .filter(isNationality);
  const body = generateResponse({
    seed,
    count: Math.min(results, API_CAP),
    page,
    nat: nat.length > 0 ? nat : [...NATIONALITIES],
  });
  sendJson(res, 200, body);
}

function intParam(url: URL, name: string, fallback: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
