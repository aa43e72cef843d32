import type { z } from 'zod';
import { SparkflowErrorCode, type DeadLetterReason } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

/** A query parameter's name as a reason path: at most this many characters of what was sent. */
const NAME_SHOWN = 100;

/**
 * `limit=` as the CLI writes it: a whole number in plain digits, no sign, exponent, fraction or leading 0
 * (0 itself is written so, and refused by the route's range, with the range in its message).
 */
const DIGITS = /^(0|[1-9][0-9]*)$/;

function reason(path: string, message: string): DeadLetterReason {
  return { code: SparkflowErrorCode.SchemaInvalid, message, path: path.slice(0, NAME_SHOWN) };
}

/** A 400 in the audit's shape, naming every parameter at fault. */
export function badQuery(reasons: DeadLetterReason[]): SparkflowException {
  return new SparkflowException(
    SparkflowErrorCode.SchemaInvalid,
    `bad query: ${reasons.map((r) => `${r.path}: ${r.message}`).join('; ')}`,
    { reasons },
  );
}

/**
 * What is wrong with a request's query before any value is read: a parameter the route does not read, one
 * sent more than once or as a structure (`since[a]=1`, `since[]=…`), or a `limit` that is not plain digits;
 * each named by what precedes a bracket. A value the route would ignore is refused, never defaulted.
 */
export function queryShapeProblems(
  query: Record<string, unknown>,
  route: string,
  reads: readonly string[],
): DeadLetterReason[] {
  const reasons = new Map<string, DeadLetterReason>();
  const add = (r: DeadLetterReason) => {
    if (!reasons.has(r.path ?? '')) reasons.set(r.path ?? '', r);
  };
  const readList = reads.length ? `it reads ${reads.join(', ')}` : 'it reads none';
  for (const [key, value] of Object.entries(query)) {
    const bracket = key.indexOf('[');
    const name = bracket > 0 ? key.slice(0, bracket) : key;
    if (!reads.includes(name)) add(reason(name, `is not a parameter of ${route} (${readList})`));
    else if (name !== key || typeof value !== 'string')
      add(reason(name, 'must be given once, as one plain value'));
    else if (name === 'limit' && !DIGITS.test(value))
      add(
        reason(name, 'must be a whole number written in digits (no sign, exponent, fraction or leading 0)'),
      );
  }
  return [...reasons.values()];
}

/**
 * A 400 in the audit's shape naming a path parameter (`eventId`, `userId`, `batchId`); the message
 * starts with its name, as a query parameter's reasons do.
 */
export function badPathParameter(path: string, problem: string): SparkflowException {
  const message = problem.startsWith(`${path}: `) ? problem.slice(path.length + 2) : problem;
  return new SparkflowException(SparkflowErrorCode.SchemaInvalid, `${path}: ${message}`, {
    reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message, path }],
  });
}

/**
 * A 404 NOT_FOUND naming the path parameter whose event, batch or person the audit has not seen. A
 * route that does not exist is 404 NOT_FOUND too, its reason naming `path` (`NO_ROUTE_REASON_PATH`): a
 * client tells the two apart by the reason's path.
 */
export function notInTheAudit(path: string, message: string): SparkflowException {
  return new SparkflowException(SparkflowErrorCode.NotFound, message, {
    reasons: [{ code: SparkflowErrorCode.NotFound, message, path }],
  });
}

/**
 * A route's query read with its contract `schema`: every parameter at fault is named at once, the shape's
 * faults (`queryShapeProblems`) and the contract's for the others, in one 400.
 */
export function parseQuery<S extends z.ZodObject>(
  raw: Record<string, unknown>,
  route: string,
  schema: S,
): z.infer<S> {
  const shape = queryShapeProblems(raw, route, Object.keys(schema.shape));
  const faulted = new Set(shape.map((r) => r.path));
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !faulted.has(k))));
  // A parameter whose shape is at fault was left out of the parse: a required one is not also "missing".
  const issues = (parsed.error?.issues ?? []).filter((i) => !faulted.has(i.path.join('.')));
  // A parameter not sent at all is told so plainly, not as a type the parse expected.
  const told = (i: z.core.$ZodIssue) =>
    i.path.length === 1 && raw[String(i.path[0])] === undefined ? 'is required' : i.message;
  const reasons = [...shape, ...issues.map((i) => reason(i.path.join('.'), told(i)))];
  if (!parsed.success || reasons.length) throw badQuery(reasons);
  return parsed.data;
}

/** Refuses with a 400 any query parameter sent to a route that reads none. */
export function refuseQuery(query: Record<string, unknown>, route: string): void {
  const problems = queryShapeProblems(query, route, []);
  if (problems.length) throw badQuery(problems);
}
