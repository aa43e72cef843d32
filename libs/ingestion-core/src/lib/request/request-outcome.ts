import type { z } from 'zod';
import type { FieldError } from '../push/parse-push-body';

/** What an HTTP request to ingestion comes to: the status to answer and its body. */
export type Refusal = {
  status: 400 | 404 | 413;
  body: { statusCode: 400 | 404 | 413; message: string; errors: FieldError[] };
};
export type RequestOutcome<T> = { status: 200 | 202; body: T } | Refusal;

export const refusal = (status: Refusal['status'], message: string, errors: FieldError[] = []): Refusal => ({
  status,
  body: { statusCode: status, message, errors },
});

/** The request body through its schema, or a 400 naming every bad field. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; refusal: Refusal } {
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, data: r.data };
  const errors = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return { ok: false, refusal: refusal(400, 'invalid request', errors) };
}
