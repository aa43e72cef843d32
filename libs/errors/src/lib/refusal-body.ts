import type { DeadLetterReason, SparkflowErrorCode } from '@sparkflow/contracts';

/** A part of a request at fault: its dotted path into the body (`""` for the whole body) or a header's name. */
export interface RequestFault {
  path: string;
  message: string;
}

/**
 * The body of a request refused before any `SparkflowException` was thrown (a body that cannot be read,
 * a field at fault), in the one error model: `{statusCode, code, message, reasons: [{code, message, path}]}`,
 * a reason for each part of the request at fault, or one with path `null` when no part is. `errors` is
 * `reasons` without their codes, the shape these refusals had before they had codes, kept for the clients
 * that still read it; it goes in the next release.
 */
export interface RefusalBody<S extends number = number> {
  statusCode: S;
  code: SparkflowErrorCode;
  message: string;
  reasons: DeadLetterReason[];
  errors: { path: string | null; message: string }[];
}

/** The error model's body of a refusal with `code`, a reason of that code for each of `faults`. */
export function refusalBody<S extends number>(
  statusCode: S,
  code: SparkflowErrorCode,
  message: string,
  faults: readonly RequestFault[] = [],
): RefusalBody<S> {
  const reasons: DeadLetterReason[] = faults.length
    ? faults.map((f) => ({ code, message: f.message, path: f.path }))
    : [{ code, message, path: null }];
  return {
    statusCode,
    code,
    message,
    reasons,
    errors: reasons.map((r) => ({ path: r.path, message: r.message })),
  };
}
