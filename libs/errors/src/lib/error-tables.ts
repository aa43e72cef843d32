import { SparkflowErrorCode, assertNever } from '@sparkflow/contracts';

/**
 * What a consumer does with a record that failed with a code:
 * - `dead-letter` now: the downstream will never accept it (bad input, a value a database refuses; a
 *   `NOT_FOUND`, `UNAUTHORIZED`, `UNSUPPORTED_MEDIA_TYPE`, `METHOD_NOT_ALLOWED`, `MALFORMED_REQUEST`,
 *   `HEADERS_TOO_LARGE` or `CONFLICT`, an API's answer rather than a record's failure, would be the same again);
 * - `retry` a few times (`RetryPolicy.maxAttempts`), then dead-letter: the cause is unknown;
 * - `wait`: a dependency is down; retry for up to `RetryPolicy.outageBudgetMs`, since a valid record
 *   must not land on the DLQ because a database restarted (a `RATE_LIMITED` or `SERVICE_BUSY`, an API's
 *   answer, passes with time the same way); a `REQUEST_TIMEOUT` is retried.
 */
export type Disposition = 'retry' | 'wait' | 'dead-letter';

export function disposition(code: SparkflowErrorCode): Disposition {
  switch (code) {
    case SparkflowErrorCode.MalformedJson:
    case SparkflowErrorCode.SchemaInvalid:
    case SparkflowErrorCode.UnsupportedSchemaVersion:
    case SparkflowErrorCode.SemanticInvalid:
    case SparkflowErrorCode.CassandraRejected:
    case SparkflowErrorCode.PostgresRejected:
    case SparkflowErrorCode.RecordTooLarge:
    case SparkflowErrorCode.BrokerRejected:
    case SparkflowErrorCode.SourceInvalidResponse:
    case SparkflowErrorCode.NotFound:
    case SparkflowErrorCode.Unauthorized:
    case SparkflowErrorCode.UnsupportedMediaType:
    case SparkflowErrorCode.MethodNotAllowed:
    case SparkflowErrorCode.MalformedRequest:
    case SparkflowErrorCode.HeadersTooLarge:
    case SparkflowErrorCode.Conflict:
      return 'dead-letter';
    case SparkflowErrorCode.CassandraUnavailable:
    case SparkflowErrorCode.PostgresUnavailable:
    case SparkflowErrorCode.BrokerUnavailable:
    case SparkflowErrorCode.RateLimited:
    case SparkflowErrorCode.ServiceBusy:
      return 'wait';
    case SparkflowErrorCode.SourceUnavailable:
    case SparkflowErrorCode.RequestTimeout:
    case SparkflowErrorCode.Unknown:
      return 'retry';
    default:
      return assertNever(code);
  }
}

/**
 * The HTTP status of a code, for the exception filter every service registers: the caller's input
 * is 4xx, a dependency that is down is 503 (worth retrying later), an upstream API that failed or
 * answered garbage is 502, anything unexplained 500.
 */
export function httpStatus(code: SparkflowErrorCode): number {
  switch (code) {
    case SparkflowErrorCode.MalformedJson:
    case SparkflowErrorCode.SchemaInvalid:
    case SparkflowErrorCode.UnsupportedSchemaVersion:
    case SparkflowErrorCode.MalformedRequest:
      return 400;
    case SparkflowErrorCode.Unauthorized:
      return 401;
    case SparkflowErrorCode.RecordTooLarge:
      return 413;
    case SparkflowErrorCode.NotFound:
      return 404;
    case SparkflowErrorCode.MethodNotAllowed:
      return 405;
    case SparkflowErrorCode.RequestTimeout:
      return 408;
    case SparkflowErrorCode.Conflict:
      return 409;
    case SparkflowErrorCode.UnsupportedMediaType:
      return 415;
    case SparkflowErrorCode.RateLimited:
      return 429;
    case SparkflowErrorCode.HeadersTooLarge:
      return 431;
    case SparkflowErrorCode.SemanticInvalid:
    case SparkflowErrorCode.CassandraRejected:
    case SparkflowErrorCode.PostgresRejected:
      return 422;
    case SparkflowErrorCode.SourceUnavailable:
    case SparkflowErrorCode.SourceInvalidResponse:
      return 502;
    case SparkflowErrorCode.CassandraUnavailable:
    case SparkflowErrorCode.PostgresUnavailable:
    case SparkflowErrorCode.BrokerUnavailable:
    case SparkflowErrorCode.ServiceBusy:
      return 503;
    case SparkflowErrorCode.BrokerRejected:
    case SparkflowErrorCode.Unknown:
      return 500;
    default:
      return assertNever(code);
  }
}
