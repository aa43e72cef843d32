import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

/**
 * The upstream randomuser-compatible API failed or answered something unusable. `retriable` says
 * whether asking again could help (429, 5xx, timeout, network: SOURCE_UNAVAILABLE) or not (4xx,
 * invalid body: SOURCE_INVALID_RESPONSE), so a caller that has already spent the client's retries can
 * still decide between retry and dead-letter. Either is a 502 for the caller of the HTTP API.
 */
export class SourceError extends SparkflowException {
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(retriable ? SparkflowErrorCode.SourceUnavailable : SparkflowErrorCode.SourceInvalidResponse, message, options);
    this.name = 'SourceError';
  }
}
