import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the request log line of a 4xx says of the answer: its message and the first error paths. */
export interface RefusalNote {
  message: string;
  /** The first `MAX_PATHS` of its `reasons` (or, without them, `errors`) paths (`""`: the whole body). */
  paths: string[];
  /** How many more paths the answer named. */
  morePaths?: number;
}

const MAX_MESSAGE = 200;
const MAX_PATH = 100;
const MAX_PATHS = 5;
/** An answer longer than this is not read for its message (every refusal of ours is far shorter). */
const MAX_ANSWER_BYTES = 64 * 1024;

const notes = new WeakMap<ServerResponse, RefusalNote>();

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The note of a 4xx answer's JSON, the error model's `{message, reasons: [{path}]}` (whose `errors`, kept
 * beside them for one release, are the same faults) or `{message, errors: [{path}]}`, or undefined for
 * anything else.
 */
export function refusalNote(answer: string): RefusalNote | undefined {
  let body: unknown;
  try {
    body = JSON.parse(answer);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { message, errors, reasons } = body as { message?: unknown; errors?: unknown; reasons?: unknown };
  // Nest's own 400 of a validation pipe says each fault in a message of its own.
  const text = Array.isArray(message) ? message.filter((m) => typeof m === 'string').join('; ') : message;
  if (typeof text !== 'string') return undefined;
  const faults: unknown[] = Array.isArray(reasons) ? reasons : Array.isArray(errors) ? errors : [];
  const paths = faults
    .map((e) => (e as { path?: unknown } | null)?.path)
    .filter((p): p is string => typeof p === 'string');
  return {
    message: clip(text, MAX_MESSAGE),
    paths: paths.slice(0, MAX_PATHS).map((p) => clip(p, MAX_PATH)),
    ...(paths.length > MAX_PATHS ? { morePaths: paths.length - MAX_PATHS } : {}),
  };
}

/** What the request log line adds for `res`: the note of its 4xx answer, when it had one. */
export const refusalOf = (res: ServerResponse): RefusalNote | undefined => notes.get(res);

/**
 * Express middleware: notes, as a 4xx answer is sent, its message and first error paths, so the request's
 * log line can say why it was refused (`refusalOf`). The answer itself (which may quote the request) is
 * never kept, only the clipped message and paths.
 */
export function noteRefusals(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const chunk = args[0];
    const fits = (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && chunk.length <= MAX_ANSWER_BYTES;
    if (res.statusCode >= 400 && res.statusCode < 500 && fits) {
      // Every answer of ours is JSON in UTF-8.
      const note = refusalNote(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      if (note) notes.set(res, note);
    }
    return end(...args);
  }) as ServerResponse['end'];
  next();
}
