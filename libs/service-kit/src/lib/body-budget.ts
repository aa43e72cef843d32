import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes of a size written the way body-parser takes it: `512kb`, `5mb`. */
export function sizeInBytes(size: string): number {
  const m = /^(\d+)(kb|mb)$/.exec(size);
  if (!m) throw new Error(`not a size such as 5mb or 512kb: ${size}`);
  return Number(m[1]) * (m[2] === 'mb' ? 1024 * 1024 : 1024);
}

/**
 * Express middleware that bounds the request bodies being read and parsed at once. A parsed JSON body
 * takes several times its size on the heap, so a few large requests arriving together could exhaust a
 * service with a capped heap; beyond `budgetBytes` a request gets 503 with Retry-After before its body is
 * read. A body without Content-Length counts as `maxBodyBytes`.
 */
export function bodyBudget(budgetBytes: number, maxBodyBytes: number) {
  let inFlight = 0;
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const declared = Number(req.headers['content-length']);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return next();
    const size = Number.isFinite(declared) ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
    if (inFlight > 0 && inFlight + size > budgetBytes) {
      res.statusCode = 503;
      res.setHeader('retry-after', '1');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          statusCode: 503,
          message: `busy: ${Math.round(inFlight / 1024)} KB of request bodies are being processed (budget ${Math.round(budgetBytes / 1024)} KB); retry after 1 s`,
        }),
      );
      return;
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
    next();
  };
}
