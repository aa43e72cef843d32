import { SparkflowErrorCode, type DeadLetterReason } from '@sparkflow/contracts';

/**
 * A failure SparkFlow can explain, in any layer: a code (what kind of failure, which decides the HTTP
 * status and what a consumer does), a message, and `reasons` listing every problem found (a record
 * with three bad fields has three reasons); they travel unchanged into the dead-letter record and the
 * HTTP error body.
 */
export class SparkflowException extends Error {
  readonly reasons: DeadLetterReason[];

  constructor(
    readonly code: SparkflowErrorCode,
    message: string,
    options: { reasons?: DeadLetterReason[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SparkflowException';
    this.reasons = options.reasons?.length ? options.reasons : [{ code, message, path: null }];
  }
}

/** The code of any thrown value: ours carry one; anything else is `UNKNOWN` (retried, then dead-lettered). */
export function errorCode(error: unknown): SparkflowErrorCode {
  return error instanceof SparkflowException ? error.code : SparkflowErrorCode.Unknown;
}

export function reasonsOf(error: unknown): DeadLetterReason[] {
  if (error instanceof SparkflowException) return error.reasons;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return [{ code: SparkflowErrorCode.Unknown, message, path: null }];
}
