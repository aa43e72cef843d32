import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { type RefusalBody, type RequestFault, refusalBody } from '@sparkflow/errors';

/** How a fault Node's HTTP parser (llhttp) or server reports is answered: its code, status and the part at fault. */
interface ClientFault {
  code: SparkflowErrorCode;
  status: number;
  message: string;
  /** The part of the request at fault (as `RequestFault.path`), or none. */
  fault?: RequestFault;
}

const malformed = (message: string, fault?: RequestFault): ClientFault => ({
  code: SparkflowErrorCode.MalformedRequest,
  status: 400,
  message,
  fault,
});

/**
 * The faults by Node's `err.code` (llhttp's `HPE_*`, the server's `ERR_HTTP_REQUEST_TIMEOUT`), as Node itself
 * answers them (431, 413, 408, else 400). The messages are fixed: nothing the client sent is quoted.
 */
const FAULTS: Readonly<Record<string, ClientFault>> = {
  HPE_HEADER_OVERFLOW: {
    code: SparkflowErrorCode.HeadersTooLarge,
    status: 431,
    message:
      'Request Header Fields Too Large: the request line and headers are larger than this server reads',
    fault: { path: 'headers', message: 'larger than this server reads (Node: --max-http-header-size)' },
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    code: SparkflowErrorCode.RecordTooLarge,
    status: 413,
    message: 'the chunk extensions of the request body are larger than this server reads',
    fault: { path: '', message: 'chunk extensions larger than this server reads' },
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: SparkflowErrorCode.RequestTimeout,
    status: 408,
    message: 'Request Timeout: the request was not received in time',
  },
  HPE_INVALID_METHOD: malformed('the request line is malformed', {
    path: 'method',
    message: 'not an HTTP method',
  }),
  HPE_INVALID_URL: malformed('the request line is malformed', {
    path: 'path',
    message: 'not a request target',
  }),
  HPE_INVALID_VERSION: malformed('the request line is malformed', {
    path: 'version',
    message: 'not HTTP/1.0 or HTTP/1.1',
  }),
  HPE_INVALID_HEADER_TOKEN: malformed('a header is malformed', {
    path: 'headers',
    message: 'a header name or value holds a character HTTP does not allow',
  }),
  HPE_INVALID_CONTENT_LENGTH: malformed('Content-Length is malformed', {
    path: 'Content-Length',
    message: 'not one decimal length',
  }),
  HPE_UNEXPECTED_CONTENT_LENGTH: malformed('Content-Length is sent with Transfer-Encoding', {
    path: 'Content-Length',
    message: 'not allowed beside Transfer-Encoding: chunked',
  }),
  HPE_INVALID_TRANSFER_ENCODING: malformed('Transfer-Encoding is malformed', {
    path: 'Transfer-Encoding',
    message: 'chunked must be its last coding',
  }),
  HPE_INVALID_CHUNK_SIZE: malformed('the chunked request body is malformed', {
    path: '',
    message: 'a chunk size that is not hexadecimal',
  }),
};

/** The refusal of a request Node could not read, by the error it reported: 400 `MALFORMED_REQUEST` by default. */
export function clientErrorBody(err: { code?: unknown }): RefusalBody {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const known = code !== undefined && Object.hasOwn(FAULTS, code) ? FAULTS[code] : undefined;
  // An llhttp code is a fixed identifier (`HPE_` and capitals), never the client's bytes; anything else is not named.
  const named = code !== undefined && /^HPE_[A-Z_]{1,40}$/.test(code) ? ` (${code})` : '';
  const f = known ?? malformed(`the request is not HTTP this server can read${named}`);
  return refusalBody(f.status, f.code, f.message, f.fault ? [f.fault] : []);
}

/** The raw HTTP/1.1 response of a refusal, closing the connection. */
export function rawRefusal(body: RefusalBody): string {
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(json)}\r\n` +
    'Connection: close\r\n\r\n' +
    json
  );
}

/** How long a refused connection may take to take its answer before it is cut. */
const CLOSE_AFTER_MS = 1000;

/**
 * The server's `clientError` listener: a request Node cannot read (a malformed request line or header,
 * headers above `--max-http-header-size`, headers or a request not received within `headersTimeout` or
 * `requestTimeout`) is answered in the one error model (`clientErrorBody`) instead of Node's bare
 * `HTTP/1.1 400 Bad Request` without a body, then its connection is closed. As Node's own answer, it is
 * written only while the socket is writable and no response to a request on it has begun (one that has
 * would be corrupted); otherwise, and for a connection the client reset, the socket is destroyed.
 */
export function answerClientError(err: Error & { code?: unknown }, socket: Duplex): void {
  // Node's own check: the response in flight on this socket, if any (an internal field of node:http).
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const cut = setTimeout(() => socket.destroy(), CLOSE_AFTER_MS);
  cut.unref();
  socket.end(rawRefusal(clientErrorBody(err)), () => {
    clearTimeout(cut);
    socket.destroy();
  });
}

/** Makes `server` answer the requests Node cannot read with `answerClientError`. */
export function answerClientErrors(server: Server): void {
  server.on('clientError', answerClientError);
}
