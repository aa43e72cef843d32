import { RandomUser, SparkflowErrorCode } from '@sparkflow/contracts';
import { z } from 'zod';

export interface FieldError {
  /** Dotted path into the request body, e.g. `results.3.location.postcode`. */
  path: string;
  message: string;
}

/**
 * Why a person cannot be ingested, in the one error model: the code of the failure (the code its dead
 * letter carries), the message, and the field of the person at fault (`""` for the person itself).
 */
export interface PersonFault extends FieldError {
  code: SparkflowErrorCode;
}

/** A person of the request that cannot be ingested, and why: each reason names a field of the person. */
export interface RejectedPerson {
  /** Position in the request's list of people (0 for a body that is one person). */
  index: number;
  /** The person's `login.uuid` when it sent a string there, valid or not. */
  loginUuid: string | null;
  reasons: PersonFault[];
  /** The person as received, dead-lettered so it can be corrected and replayed. */
  person: unknown;
}

export interface PushLimits {
  maxUsers: number;
  /** A person whose JSON is larger cannot cross the pipeline (its enriched form and dead letter must fit a Kafka message). */
  maxPersonBytes: number;
}

export type PushParse =
  | { ok: true; users: RandomUser[]; rejected: RejectedPerson[] }
  | {
      ok: false;
      status: 400 | 413;
      /** `RECORD_TOO_LARGE` for a 413, else `SCHEMA_INVALID`. */
      code: SparkflowErrorCode;
      message: string;
      errors: FieldError[];
    };

/** The shapes `POST /v1/users` takes. */
export const PUSH_SHAPES = 'a user object, an array of users or {"results": [...]}';

const Body = z.union([
  z.object({ results: z.array(z.unknown()) }).loose(),
  z.array(z.unknown()),
  z.object({}).loose(),
]);

const refused = (status: 400 | 413, message: string, errors: FieldError[] = []): PushParse => ({
  ok: false,
  status,
  code: status === 413 ? SparkflowErrorCode.RecordTooLarge : SparkflowErrorCode.SchemaInvalid,
  message,
  errors,
});

/** Levels of arrays and objects in `value`, counted without recursion (it may be too deep for the stack). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The person's own field (key or index) holding its deepest nesting, and how deep that goes. */
function deepestField(person: unknown): { field: string | null; depth: number } {
  if (typeof person !== 'object' || person === null) return { field: null, depth: 0 };
  let deepest: { field: string | null; depth: number } = { field: null, depth: 0 };
  for (const [field, value] of Object.entries(person)) {
    const depth = nestingDepth(value);
    if (depth > deepest.depth) deepest = { field, depth };
  }
  return deepest;
}

/** What a JSON value is, for a message: `null`, `an array`, `an object`, `a number`, `a string`, `a boolean`. */
export const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

/** Bytes of the item's JSON, or null when it is nested too deeply to serialise (stack exhausted). */
function jsonBytes(item: unknown): number | null {
  try {
    return Buffer.byteLength(JSON.stringify(item) ?? '');
  } catch {
    return null;
  }
}

function loginUuidOf(item: unknown): string | null {
  const login = (item as { login?: unknown } | null)?.login;
  const uuid = typeof login === 'object' && login !== null ? (login as { uuid?: unknown }).uuid : undefined;
  return typeof uuid === 'string' ? uuid.slice(0, 100) : null;
}

/**
 * `POST /v1/users` takes one user, an array of users, or a whole `{results:[…]}` API response. Each person
 * is judged alone: the valid ones are ingested and the invalid ones come back as `rejected`, each with every
 * invalid field. Only the request as a whole is refused: not a list of people or a `results` that is not
 * an array (400), more people than `maxUsers` (400), one person nested too deeply to read (400), or one
 * too large to cross the pipeline (413); each refusal's errors name where in the body the fault is.
 */
export function parsePushBody(body: unknown, limits: PushLimits): PushParse {
  const shape = Body.safeParse(body);
  if (!shape.success || body === null) {
    // A JSON value of another shape (`42`, `"x"`, `true`, `null`) is named as what it is.
    return refused(400, `expected ${PUSH_SHAPES}`, [
      { path: '', message: `expected ${PUSH_SHAPES}, got ${kindOf(body)}` },
    ]);
  }
  // A `results` key without a `login` makes the body an API response, whatever `results` holds; a person
  // (it has a `login`) may carry any extra key, which the contract drops.
  const isResponse =
    !Array.isArray(body) &&
    Object.hasOwn(body as object, 'results') &&
    !Object.hasOwn(body as object, 'login');
  const results = isResponse ? (body as { results: unknown }).results : undefined;
  if (isResponse && !Array.isArray(results)) {
    return refused(400, 'results: expected an array of people', [
      { path: 'results', message: `expected an array of people, got ${kindOf(results)}` },
    ]);
  }
  const items: unknown[] = Array.isArray(body) ? body : isResponse ? (results as unknown[]) : [body];
  const prefix = Array.isArray(body) ? '' : isResponse ? 'results.' : null;
  // Where a person, or one of its fields, is in the body: `results.3.email`, `3.email`, or `email` alone.
  const at = (index: number, path: string) =>
    [prefix === null ? null : `${prefix}${index}`, path || null].filter((p) => p !== null).join('.');
  if (!items.length)
    return refused(400, 'no users in the request', [{ path: '', message: 'no users in the request' }]);
  if (items.length > limits.maxUsers) {
    const message =
      `at most ${limits.maxUsers} users per request (INGESTION_MAX_USERS_PER_REQUEST), ` +
      `got ${items.length}; send them in several requests`;
    // The list at fault: `results` of an API response, else the body itself (an array).
    return refused(400, message, [{ path: isResponse ? 'results' : '', message }]);
  }
  for (const [index, item] of items.entries()) {
    const bytes = jsonBytes(item);
    if (bytes === null) {
      const { field, depth } = deepestField(item);
      return refused(400, `person ${index} is nested too deeply to read`, [
        { path: at(index, field ?? ''), message: `nested ${depth} levels deep, too deep to read` },
      ]);
    }
    if (bytes > limits.maxPersonBytes) {
      const uuid = loginUuidOf(item);
      const size = `${bytes} bytes of JSON; at most ${limits.maxPersonBytes} bytes per person`;
      return refused(
        413,
        `person ${index}${uuid === null ? '' : ` (login.uuid ${uuid})`} is ${size} ` +
          `cross the pipeline (INGESTION_MAX_PERSON_BYTES)`,
        [{ path: at(index, ''), message: size }],
      );
    }
  }
  const users: RandomUser[] = [];
  const rejected: RejectedPerson[] = [];
  items.forEach((item, index) => {
    const parsed = RandomUser.safeParse(item);
    if (parsed.success) users.push(parsed.data);
    else {
      const reasons = parsed.error.issues.map((issue) => ({
        code: SparkflowErrorCode.SchemaInvalid,
        path: issue.path.map(String).join('.'),
        message: issue.message,
      }));
      rejected.push({ index, loginUuid: loginUuidOf(item), reasons, person: item });
    }
  });
  if (users.length === 0) {
    // Nobody to ingest: refusing the request loses nothing, and the sender learns at once what to fix.
    return refused(
      400,
      'invalid users',
      rejected.flatMap((r) => r.reasons.map((e) => ({ path: at(r.index, e.path), message: e.message }))),
    );
  }
  return { ok: true, users, rejected };
}
