/**
 * The body a spec expects of a refused request, in the one error model: `code`, a reason of that code
 * for each part of the request at fault (`faults`, in order; matchers allowed; one with path `null` when no
 * part is), and `errors`, the faults that name a part without codes, which these refusals keep for one release.
 */
export const refusedBody = (
  statusCode: number,
  code: string,
  message: unknown,
  faults: readonly { path: string | null; message: unknown }[],
) => ({
  statusCode,
  code,
  message,
  reasons: faults.map((f) => ({ code, message: f.message, path: f.path })),
  errors: faults.filter((f) => f.path !== null).map((f) => ({ path: f.path, message: f.message })),
});

/**
 * The body of a `SparkflowException` a route threw with one reason of its code naming `path` (an absent
 * entity's 404, a state's 409): the error model without `errors`, which only the refusals above keep.
 */
export const exceptionBody = (statusCode: number, code: string, message: unknown, path: string | null) => ({
  statusCode,
  code,
  message,
  reasons: [{ code, message, path }],
});
