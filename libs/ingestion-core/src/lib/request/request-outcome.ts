import { z } from 'zod';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody, type RefusalBody } from '@sparkflow/errors';
import { ACCEPTED_BODIES } from '@sparkflow/service-kit';
import { kindOf, type FieldError } from '../push/parse-push-body';

/**
 * What an HTTP request to ingestion comes to: the status to answer and its body, a refusal's in the one
 * error model (`refusalBody` of `libs/errors`: a code, and a reason naming each field at fault).
 */
export type Refusal = {
  status: 400 | 404 | 413 | 415;
  body: RefusalBody<400 | 404 | 413 | 415>;
};
export type RequestOutcome<T> = { status: 200 | 202; body: T } | Refusal;

export const refusal = <S extends Refusal['status']>(
  status: S,
  code: SparkflowErrorCode,
  message: string,
  fields: readonly FieldError[] = [],
) => ({
  status,
  body: refusalBody(status, code, message, fields),
});

/**
 * What a request carries besides its body, when the caller knows it: its Content-Type (null when none was
 * sent) and whether it sent a body at all (the JSON parser reads an empty body as `{}`).
 */
export interface BodyHeaders {
  contentType?: string | null;
  emptyBody?: boolean;
}

/** The Content-Type every request body to ingestion must have (any charset parameter is the JSON parser's to judge). */
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * Why a request's body cannot be read at all, before looking at it: empty (400 `MALFORMED_JSON`), or not
 * JSON (415 `UNSUPPORTED_MEDIA_TYPE` naming `Content-Type`, which the JSON parser left unread). `expected` says what the body should hold.
 */
export function unreadableBody(headers: BodyHeaders | undefined, expected: string) {
  if (headers?.emptyBody) {
    const message = `the request body is empty: expected ${expected}`;
    return refusal(400, SparkflowErrorCode.MalformedJson, 'the request body is empty', [
      { path: '', message },
    ]);
  }
  const type = headers?.contentType;
  if (type === undefined) return null;
  const mediaType = type?.split(';')[0].trim().toLowerCase();
  if (mediaType === JSON_CONTENT_TYPE) return null;
  const message =
    `expected ${JSON_CONTENT_TYPE} (${ACCEPTED_BODIES} accepted), ` +
    `got ${type === null ? 'none' : JSON.stringify(type.slice(0, 100))}`;
  return refusal(
    415,
    SparkflowErrorCode.UnsupportedMediaType,
    `Unsupported Media Type: send the body as ${JSON_CONTENT_TYPE}`,
    [{ path: 'Content-Type', message }],
  );
}

/**
 * The request body through its schema, or why not: the refusals of `unreadableBody` for an empty body or
 * one that is not JSON; a 400 `SCHEMA_INVALID` naming the whole body (path `""`) and the object the route
 * takes, with its fields, when an object's schema is given JSON of another shape (`42`, `"x"`, `true`,
 * `null`, an array); else a 400 `SCHEMA_INVALID` naming every bad field, and each field a strict object's
 * schema does not declare, by its name.
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  body: unknown,
  headers?: BodyHeaders,
): { ok: true; data: z.infer<S> } | { ok: false; refusal: Refusal } {
  const unreadable = unreadableBody(headers, 'a JSON object');
  if (unreadable) return { ok: false, refusal: unreadable };
  if (schema instanceof z.ZodObject && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    const fields = knownFields(schema).map((k) => `"${k}"`);
    const message = `expected a JSON object {${fields.join(', ')}}, got ${kindOf(body)}`;
    return {
      ok: false,
      refusal: refusal(400, SparkflowErrorCode.SchemaInvalid, 'the request body must be a JSON object', [
        { path: '', message },
      ]),
    };
  }
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, data: r.data };
  const errors = r.error.issues.flatMap((i): FieldError[] =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => unknownField([...i.path, key].join('.'), key, knownFields(schema)))
      : [{ path: i.path.join('.'), message: i.message }],
  );
  return { ok: false, refusal: refusal(400, SparkflowErrorCode.SchemaInvalid, 'invalid request', errors) };
}

/** The fields a body's schema declares (a strict object's shape), for naming them to a field it does not. */
function knownFields(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

/**
 * The error of a field the body's schema does not declare: it names the known field that differs from it
 * only by case (`Seed` for `seed`), else all of them.
 */
export function unknownField(path: string, key: string, known: readonly string[]): FieldError {
  const meant = known.find((k) => k.toLowerCase() === key.toLowerCase());
  const message = meant
    ? `unknown field: did you mean "${meant}"?`
    : `unknown field: expected ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no other'}`;
  return { path, message };
}
