import type { DeadLetterReason, SparkflowErrorCode } from '@sparkflow/contracts';
import { httpStatus } from './error-tables';

/** A part of a request at fault: its dotted path into the body (`""` for the whole body) or a header's name. */
export interface RequestFault {
  path: string;
  message: string;
}

/**
 * The body of a request refused before any `SparkflowException` was thrown (a body that cannot be read,
 * a field at fault), in the one error model: `{statusCode, code, message, reasons: [{code, message, path}]}`,
 * a reason for each part of the request at fault, or one with path `null` when no part is. `errors` is
 * the shape these refusals had before they had codes, kept for the clients that still read it (it goes in
 * the next release): the reasons that name a part, without their codes, so its `path` is a string as it
 * always was, and a refusal about no part has none.
 */
export interface RefusalBody<S extends number = number> {
  statusCode: S;
  code: SparkflowErrorCode;
  message: string;
  reasons: DeadLetterReason[];
  errors: { path: string; message: string }[];
}

/**
 * The error model's body of a refusal with `code`, a reason of that code for each of `faults`. `statusCode`
 * must be the code's own (libs/errors' table): a mismatch is a defect of the caller, refused here.
 */
export function refusalBody<S extends number>(
  statusCode: S,
  code: SparkflowErrorCode,
  message: string,
  faults: readonly RequestFault[] = [],
): RefusalBody<S> {
  if (httpStatus(code) !== statusCode)
    throw new Error(`refusalBody: ${code} is answered with ${httpStatus(code)}, not ${statusCode}`);
  const reasons: DeadLetterReason[] = faults.length
    ? faults.map((f) => ({ code, message: f.message, path: f.path }))
    : [{ code, message, path: null }];
  return {
    statusCode,
    code,
    message,
    reasons,
    errors: faults.map((f) => ({ path: f.path, message: f.message })),
  };
}
