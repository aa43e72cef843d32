import { RandomUser } from '@sparkflow/contracts';
import { z } from 'zod';

export interface FieldError {
  /** Dotted path into the request body, e.g. `results.3.location.postcode`. */
  path: string;
  message: string;
}

/** A person of the request that cannot be ingested, and why: each reason names a field of the person. */
export interface RejectedPerson {
  /** Position in the request's list of people (0 for a body that is one person). */
  index: number;
  /** The person's `login.uuid` when it sent a string there, valid or not. */
  loginUuid: string | null;
  reasons: FieldError[];
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
  | { ok: false; status: 400 | 413; message: string; errors: FieldError[] };

const Body = z.union([
  z.object({ results: z.array(z.unknown()) }).loose(),
  z.array(z.unknown()),
  z.object({}).loose(),
]);

const refused = (status: 400 | 413, message: string, errors: FieldError[] = []): PushParse => ({
  ok: false,
  status,
  message,
  errors,
});

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
 * invalid field. Only the request as a whole is refused: not a list of people (400), more people than
 * `maxUsers` (400), or one person too large to cross the pipeline (413, naming it).
 */
export function parsePushBody(body: unknown, limits: PushLimits): PushParse {
  const shape = Body.safeParse(body);
  if (!shape.success || body === null) {
    return refused(400, 'expected a user object, an array of users or {"results": [...]}', [
      { path: '', message: 'expected a user object, an array of users or {"results": [...]}' },
    ]);
  }
  const isResponse = !Array.isArray(body) && Array.isArray((body as { results?: unknown }).results);
  const items: unknown[] = Array.isArray(body)
    ? body
    : isResponse
      ? (body as { results: unknown[] }).results
      : [body];
  const prefix = Array.isArray(body) ? '' : isResponse ? 'results.' : null;
  if (!items.length)
    return refused(400, 'no users in the request', [{ path: '', message: 'no users in the request' }]);
  if (items.length > limits.maxUsers) {
    const message = `at most ${limits.maxUsers} users per request, got ${items.length}`;
    return refused(400, message, [{ path: '', message }]);
  }
  for (const [index, item] of items.entries()) {
    const bytes = jsonBytes(item);
    if (bytes === null) return refused(400, `person ${index} is nested too deeply to read`);
    if (bytes > limits.maxPersonBytes) {
      const uuid = loginUuidOf(item);
      return refused(
        413,
        `person ${index}${uuid === null ? '' : ` (login.uuid ${uuid})`} is ${bytes} bytes of JSON; ` +
          `at most ${limits.maxPersonBytes} bytes per person cross the pipeline (INGESTION_MAX_PERSON_BYTES)`,
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
        path: issue.path.map(String).join('.'),
        message: issue.message,
      }));
      rejected.push({ index, loginUuid: loginUuidOf(item), reasons, person: item });
    }
  });
  if (users.length === 0) {
    // Nobody to ingest: refusing the request loses nothing, and the sender learns at once what to fix.
    const at = (r: RejectedPerson, path: string) =>
      [prefix === null ? null : `${prefix}${r.index}`, path || null].filter((p) => p !== null).join('.');
    return refused(
      400,
      'invalid users',
      rejected.flatMap((r) => r.reasons.map((e) => ({ path: at(r, e.path), message: e.message }))),
    );
  }
  return { ok: true, users, rejected };
}
