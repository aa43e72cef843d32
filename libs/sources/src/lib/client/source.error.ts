import { SparkflowErrorCode } from '@sparkflow/contracts';

/**
 * The upstream randomuser-compatible API failed or answered something unusable. `retriable` says
 * whether asking again could help (429, 5xx, timeout, network) or not (4xx, invalid body), so a
 * caller that has already spent the client's retries can still decide between retry and dead-letter.
 */
export class SourceError extends Error {
  readonly code = SparkflowErrorCode.SourceUnavailable;

  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceError';
  }
}
