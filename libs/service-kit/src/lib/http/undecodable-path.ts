import type { IncomingMessage } from 'node:http';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { EVERY_METHOD, type RoutedApp, pathOf } from './method-not-allowed';
import { sparkflowErrorBody } from './sparkflow-exception.filter';

const decodes = (segment: string) => {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
};

// Put in place of the segment that does not decode, to see which route parameter takes it: it decodes to
// a NUL, which no literal segment of a route holds.
const MARKER = '%00';
const MARKED = '\u0000';

/** The parameters a layer reads from a path it takes; none when it does not take it. */
function matchedParams(layer: RoutedApp['router']['stack'][number], path: string): Record<string, unknown> {
  try {
    const match = layer.match(path) as { params?: Record<string, unknown> } | false;
    return (match && match.params) || {};
  } catch {
    return {};
  }
}

/**
 * The route parameter that would hold the segment at `index` of the path, or null when no route takes
 * the path. Each route is matched as the router matches it, with that segment replaced by a marker (and any
 * other segment that does not decode by a plain one), so the parameter whose value is the marker is it.
 */
function parameterAt(app: RoutedApp, segments: readonly string[], index: number): string | null {
  const marked = segments
    .map((segment, i) => (i === index ? MARKER : decodes(segment) ? segment : '-'))
    .join('/');
  for (const layer of app.router.stack) {
    // Nest's middleware is mounted as routes of every method on any path: they name no parameter of an API.
    if (!layer.route || Object.keys(layer.route.methods).length >= EVERY_METHOD) continue;
    const params = matchedParams(layer, marked);
    const name = Object.keys(params).find((key) => String(params[key]).includes(MARKED));
    if (name !== undefined) return name;
  }
  return null;
}

/**
 * The 400 of a path with a segment that is not percent-encoded UTF-8 (a `%` without two hexadecimal digits
 * after it, or escapes such as `%E2%82` that spell no character): SCHEMA_INVALID, as any bad path
 * parameter, naming the segment and the route parameter that would have held it, if a route takes the
 * path. Undefined when every segment decodes.
 */
export function undecodablePath(app: RoutedApp, path: string): SparkflowException | undefined {
  const segments = path.split('/');
  const index = segments.findIndex((segment) => !decodes(segment));
  if (index < 0) return undefined;
  const parameter = parameterAt(app, segments, index);
  const problem =
    `the path segment "${segments[index]}" could not be decoded: a % must start an escape of two ` +
    'hexadecimal digits, and the escapes must spell UTF-8 characters';
  return new SparkflowException(
    SparkflowErrorCode.SchemaInvalid,
    parameter === null ? problem : `${parameter}: ${problem}`,
    { reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message: problem, path: parameter }] },
  );
}

/**
 * Express middleware: a request whose path does not decode is answered 400 in the documented error shape
 * (`undecodablePath`). Without it the router's own decoding of a route parameter (and of the paths Nest's
 * middleware is mounted on, which take any path) fails, and Express's 400 reaches Nest as an error
 * without a code. A path no route takes is answered so too: the router would fail to decode it as well.
 */
export function answerUndecodablePath(app: RoutedApp) {
  return (
    req: IncomingMessage,
    res: { status(code: number): { json(body: unknown): void } },
    next: () => void,
  ): void => {
    const refusal = undecodablePath(app, pathOf(req));
    if (refusal === undefined) return next();
    const body = sparkflowErrorBody(refusal);
    res.status(body.statusCode).json(body);
  };
}
