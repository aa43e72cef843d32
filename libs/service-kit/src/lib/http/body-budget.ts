import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody } from '@sparkflow/errors';
import { API_KEY_HEADER, apiKeyRequired } from './api-key.guard';
import { sparkflowErrorBody } from './sparkflow-exception.filter';

/** Bytes of a size written the way body-parser takes it: `512kb`, `5mb`. */
export function sizeInBytes(size: string): number {
  const m = /^(\d+)(kb|mb)$/.exec(size);
  if (!m) throw new Error(`not a size such as 5mb or 512kb: ${size}`);
  return Number(m[1]) * (m[2] === 'mb' ? 1024 * 1024 : 1024);
}

const hasBody = (req: IncomingMessage) =>
  req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;

/** Answers `body` and closes the connection, so a body the server will not read is not read either. */
function refuse(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
  res.end(JSON.stringify(body));
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Express middleware, before the body parser: a request that carries a body and no valid `x-api-key` gets
 * the ApiKeyGuard's 401 UNAUTHORIZED (`apiKeyRequired`) before a byte of its body is read or parsed (the
 * guard runs only after Nest parsed it). Requests without a body (health, metrics, reads) go on to the
 * guards as before.
 */
export function keyBeforeBody(keys: readonly string[]) {
  const accepted = keys.map(digest);
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (!hasBody(req)) return next();
    const sent = req.headers[API_KEY_HEADER];
    const given = digest(typeof sent === 'string' ? sent : '');
    // Every key is compared, so the time taken does not depend on which one matched.
    if (accepted.reduce((found, key) => timingSafeEqual(key, given) || found, false)) return next();
    refuse(res, 401, sparkflowErrorBody(apiKeyRequired()));
  };
}

/**
 * Express middleware that bounds the request bodies being read and parsed at once. A parsed JSON body
 * takes several times its size on the heap, so a few large requests arriving together could exhaust a
 * service with a capped heap; beyond `budgetBytes` a request gets 503 with Retry-After before its body is
 * read (`SERVICE_BUSY`). A body without Content-Length counts as `maxBodyBytes`. A sender silent for
 * `bodyIdleTimeoutMs` while its body is read is answered 408 (`REQUEST_TIMEOUT`) and disconnected, which releases its share: a slow or stalled
 * sender cannot hold the budget.
 */
export function bodyBudget(budgetBytes: number, maxBodyBytes: number, bodyIdleTimeoutMs = 0) {
  let inFlight = 0;
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const declared = Number(req.headers['content-length']);
    if (!hasBody(req)) return next();
    const size = Number.isFinite(declared) ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
    if (inFlight > 0 && inFlight + size > budgetBytes) {
      const message = `busy: ${Math.round(inFlight / 1024)} KB of request bodies are being processed (budget ${Math.round(budgetBytes / 1024)} KB); retry after 1 s`;
      return refuse(res, 503, refusalBody(503, SparkflowErrorCode.ServiceBusy, message), {
        'retry-after': '1',
      });
    }
    inFlight += size;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight -= size;
    };
    res.once('finish', release);
    res.once('close', release);
    if (bodyIdleTimeoutMs > 0) cutOffWhenIdle(req, res, bodyIdleTimeoutMs);
    next();
  };
}

/**
 * The socket's idle timer runs only while the body is being read (any bytes received restart it); once the
 * body has arrived it is switched off, so a long response (a large synthetic batch) is not cut.
 */
function cutOffWhenIdle(req: IncomingMessage, res: ServerResponse, ms: number): void {
  // A 'timeout' listener on the request, not the socket: without one Node destroys the socket unanswered.
  const onTimeout = () => {
    if (res.headersSent) return void req.socket.destroy();
    res.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
    // Destroyed once the answer is flushed: the rest of the body is never read.
    const message = `request body idle for ${ms} ms; connection closed`;
    res.end(
      JSON.stringify(refusalBody(408, SparkflowErrorCode.RequestTimeout, message, [{ path: '', message }])),
      () => req.socket.destroy(),
    );
  };
  const stop = () => {
    req.setTimeout(0);
    req.removeListener('timeout', onTimeout);
  };
  req.setTimeout(ms, onTimeout);
  req.once('end', stop);
  res.once('close', stop);
}
