import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';
import { BadRequestException } from '@nestjs/common';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody } from '@sparkflow/errors';

/**
 * The Content-Encodings a JSON body may be sent with: those the JSON parser (body-parser) undoes, zstd only
 * where this Node's zlib has it, as the parser decides. `acceptedBodiesOnly` refuses any other before the
 * parser sees it, and every 415 lists these.
 */
export const ACCEPTED_CONTENT_ENCODINGS: readonly string[] = [
  'identity',
  'gzip',
  'deflate',
  'br',
  ...('createZstdDecompress' in zlib ? ['zstd'] : []),
];

/**
 * The charsets a JSON body may be sent in (RFC 8259 allows UTF-8; the parser also decodes UTF-16 and
 * UTF-32). `acceptedBodiesOnly` refuses any other, so the parser never decodes e.g. UTF-7, and every 415
 * lists these.
 */
export const ACCEPTED_CHARSETS: readonly string[] = [
  'utf-8',
  'utf-16',
  'utf-16le',
  'utf-16be',
  'utf-32',
  'utf-32le',
  'utf-32be',
];

/** `a, b or c`. */
export const oneOf = (items: readonly string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

/** What a 415 says is accepted: the charsets and Content-Encodings above, every one of them. */
export const ACCEPTED_BODIES =
  `charset ${oneOf(ACCEPTED_CHARSETS)}; ` + `Content-Encoding ${oneOf(ACCEPTED_CONTENT_ENCODINGS)}`;

const JSON_MEDIA_TYPE = 'application/json';

/** A 415 as the JSON parser makes one (its `type` is what `answerBodyFaults` answers by). */
const unsupported = (message: string, type: string) =>
  Object.assign(new Error(message), { status: 415, statusCode: 415, expose: true, type });

/**
 * Express middleware, right before the JSON parser: a JSON body whose charset or Content-Encoding is not
 * one of the accepted ones is refused 415, as the parser refuses one it cannot read, so the lists above are
 * what is read and what every 415 names.
 */
export function acceptedBodiesOnly(req: IncomingMessage, _res: unknown, next: (err?: unknown) => void): void {
  const [mediaType, ...params] = (req.headers['content-type'] ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== JSON_MEDIA_TYPE) return next();
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (!ACCEPTED_CONTENT_ENCODINGS.includes(encoding)) {
    return next(unsupported(`unsupported content encoding "${encoding}"`, 'encoding.unsupported'));
  }
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([name]) => name.trim().toLowerCase() === 'charset')?.[1];
  const name = charset
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (name !== undefined && !ACCEPTED_CHARSETS.includes(name)) {
    return next(unsupported(`unsupported charset "${name.toUpperCase()}"`, 'charset.unsupported'));
  }
  next();
}

// The size of each body the JSON parser read, after its Content-Encoding was undone.
const bytesRead = new WeakMap<IncomingMessage, number>();

/**
 * The JSON body parser's options: its size limit; a note of how many bytes each body it reads holds once
 * decompressed, so `bodyIsEmpty` can tell an empty body from `{}` (the parser answers both with `{}`); and
 * a 400 for a body sent as UTF-8 that is not, which the parser would otherwise read with U+FFFD in place
 * of each bad sequence, so a name would be stored other than it was sent.
 *
 * Not strict: a body that is JSON whatever its top level (`42`, `"x"`, `true`, `null`) is parsed and
 * handed to the route, which refuses a shape it does not take 400 `SCHEMA_INVALID` naming the body and
 * the shape it takes, as it refuses an array or an object it does not take. Strict, the parser would
 * call such a body not JSON (`MALFORMED_JSON`), which it is.
 */
export function jsonBodyOptions(limit: string) {
  return {
    limit,
    strict: false,
    verify: (req: IncomingMessage, _res: unknown, body: Buffer, encoding: string) => {
      bytesRead.set(req, body.length);
      if (encoding.toLowerCase() === 'utf-8' && !isUtf8(body)) throw notUtf8(body);
    },
  };
}

/**
 * The answer to a body that is not UTF-8, naming where its first bad sequence starts. The parser keeps the
 * status (http-errors reads it from the error), and Nest answers an HttpException with its response.
 */
function notUtf8(body: Buffer): BadRequestException {
  const at = firstInvalidUtf8(body);
  const bytes = [...body.subarray(at, at + 4)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  return new BadRequestException(
    refusalBody(400, SparkflowErrorCode.MalformedJson, 'the request body is not valid UTF-8', [
      { path: '', message: `at byte ${at} (${bytes}): no UTF-8 character starts there` },
    ]),
  );
}

/**
 * The offset of the first byte of the first ill-formed sequence in `bytes` (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or -1 when all of it is UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const [length, low, high] = sequenceOf(lead);
    if (length === 0 || i + length > bytes.length) return i;
    // The second byte's range depends on the lead (it rules out overlong forms, surrogates and > U+10FFFF).
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/** A lead byte's sequence length and the range of the byte after it; length 0 for a byte no sequence starts with. */
function sequenceOf(lead: number): [number, number, number] {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf];
  if (lead === 0xed) return [3, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f];
  return [0, 0, 0];
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

/**
 * The faults the JSON parser finds in a request (its error's `type`): the part of the request each names,
 * and its code, whose HTTP status is the one the parser gives it.
 */
const REQUEST_FAULTS: Readonly<Record<string, { path: string; code: SparkflowErrorCode }>> = {
  'entity.parse.failed': { path: '', code: SparkflowErrorCode.MalformedJson },
  'entity.too.large': { path: '', code: SparkflowErrorCode.RecordTooLarge },
  'request.size.invalid': { path: 'Content-Length', code: SparkflowErrorCode.MalformedJson },
  'charset.unsupported': { path: 'Content-Type', code: SparkflowErrorCode.UnsupportedMediaType },
  'encoding.unsupported': { path: 'Content-Encoding', code: SparkflowErrorCode.UnsupportedMediaType },
};

interface ParserError {
  type?: unknown;
  status?: unknown;
  message: string;
  length?: unknown;
  received?: unknown;
  limit?: unknown;
}

/**
 * Express error middleware, right behind the JSON parser: answers a fault it found in the request in the one
 * error model, `{statusCode, code, message, reasons: [{code, message, path}]}` (`refusalBody`, with
 * `errors` beside it for one release), naming the part of the request at fault: `MALFORMED_JSON` for a body
 * that cannot be read as JSON, `RECORD_TOO_LARGE` for one above the limit, `UNSUPPORTED_MEDIA_TYPE` for a
 * charset or Content-Encoding not accepted. Anything else goes on to Nest.
 */
export function answerBodyFaults(
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse & { status(code: number): { json(body: unknown): void } },
  next: (err: unknown) => void,
): void {
  const fault = err as ParserError;
  if (fault === null || typeof fault !== 'object' || typeof fault.status !== 'number' || res.headersSent) {
    return next(err);
  }
  const encoding = req.headers['content-encoding'];
  if (fault.type === undefined && fault.status === 400 && encoding && encoding !== 'identity') {
    // An error of no kind the parser names, on a compressed body: its decompression failed.
    const why = fault.message && fault.message !== 'Bad Request' ? `: ${fault.message}` : '';
    const faults = [{ path: 'Content-Encoding', message: `${encoding} could not be decompressed${why}` }];
    const message = `the request body is not valid ${encoding}`;
    res.status(400).json(refusalBody(400, SparkflowErrorCode.MalformedJson, message, faults));
    return;
  }
  const known =
    typeof fault.type === 'string' && Object.hasOwn(REQUEST_FAULTS, fault.type)
      ? REQUEST_FAULTS[fault.type]
      : undefined;
  if (known === undefined) return next(err);
  const [message, detail] = describeFault(fault);
  res
    .status(fault.status)
    .json(refusalBody(fault.status, known.code, message, [{ path: known.path, message: detail }]));
}

function describeFault(fault: ParserError): [string, string] {
  switch (fault.type) {
    case 'entity.parse.failed':
      // Not strict (`jsonBodyOptions`), the parser fails only on bytes that are not JSON.
      return ['the request body is not JSON', fault.message];
    case 'entity.too.large':
      // The length its Content-Length announced, or, read while decompressing, the bytes when it stopped.
      return [
        'the request body is too large',
        typeof fault.length === 'number'
          ? `${fault.length} bytes, over the limit of ${fault.limit}`
          : `over the limit of ${fault.limit} bytes${typeof fault.received === 'number' ? ` (${fault.received} read)` : ''}`,
      ];
    case 'request.size.invalid':
      return ['the request body is not as long as Content-Length says', fault.message];
    case 'charset.unsupported':
      return [`Unsupported Media Type: send the body in charset ${oneOf(ACCEPTED_CHARSETS)}`, fault.message];
    default:
      return [
        `Unsupported Media Type: send the body with Content-Encoding ${oneOf(ACCEPTED_CONTENT_ENCODINGS)}`,
        fault.message,
      ];
  }
}
