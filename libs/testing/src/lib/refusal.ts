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
