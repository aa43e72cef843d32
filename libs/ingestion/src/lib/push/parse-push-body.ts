import { RandomUser } from '@sparkflow/contracts';
import { z } from 'zod';

export interface FieldError {
  /** Dotted path into the request body, e.g. `results.3.location.postcode`. */
  path: string;
  message: string;
}

export type PushParse = { ok: true; users: RandomUser[] } | { ok: false; errors: FieldError[] };

const Body = z.union([
  z.object({ results: z.array(z.unknown()) }).loose(),
  z.array(z.unknown()),
  z.object({}).loose(),
]);

/**
 * `POST /v1/users` takes one user, an array of users, or a whole `{results:[…]}` API response.
 * Every invalid field of every user is reported, not just the first.
 */
export function parsePushBody(body: unknown, maxUsers: number): PushParse {
  const shape = Body.safeParse(body);
  if (!shape.success || body === null) {
    return {
      ok: false,
      errors: [{ path: '', message: 'expected a user object, an array of users or {"results": [...]}' }],
    };
  }
  const isResponse = !Array.isArray(body) && Array.isArray((body as { results?: unknown }).results);
  const items: unknown[] = Array.isArray(body)
    ? body
    : isResponse
      ? (body as { results: unknown[] }).results
      : [body];
  const prefix = Array.isArray(body) ? '' : isResponse ? 'results.' : null;
  if (!items.length) return { ok: false, errors: [{ path: '', message: 'no users in the request' }] };
  if (items.length > maxUsers) {
    return {
      ok: false,
      errors: [{ path: '', message: `at most ${maxUsers} users per request, got ${items.length}` }],
    };
  }
  const users: RandomUser[] = [];
  const errors: FieldError[] = [];
  items.forEach((item, index) => {
    const parsed = RandomUser.safeParse(item);
    if (parsed.success) users.push(parsed.data);
    else {
      for (const issue of parsed.error.issues) {
        const at = [prefix === null ? null : `${prefix}${index}`, ...issue.path.map(String)].filter(
          (p) => p !== null,
        );
        errors.push({ path: at.join('.'), message: issue.message });
      }
    }
  });
  return errors.length ? { ok: false, errors } : { ok: true, users };
}
