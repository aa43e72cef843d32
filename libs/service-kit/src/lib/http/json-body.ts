import type { IncomingMessage } from 'node:http';

// The size of each body the JSON parser read, after its Content-Encoding was undone.
const bytesRead = new WeakMap<IncomingMessage, number>();

/**
 * The JSON body parser's options: its size limit, and a note of how many bytes each body it reads
 * holds once decompressed (nothing else changes), so `bodyIsEmpty` can tell an empty body from `{}`:
 * the parser answers both with `{}`.
 */
export function jsonBodyOptions(limit: string) {
  return {
    limit,
    verify: (req: IncomingMessage, _res: unknown, body: Buffer) => {
      bytesRead.set(req, body.length);
    },
  };
}

/**
 * Whether the request carried no body: the JSON parser read zero bytes (also a compressed nothing),
 * or, where it did not read it (another Content-Type), neither a Transfer-Encoding nor a Content-Length
 * above 0 was sent.
 */
export function bodyIsEmpty(req: IncomingMessage): boolean {
  const read = bytesRead.get(req);
  if (read !== undefined) return read === 0;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0);
}
