/**
 * Every failure SparkFlow explains has one of these codes. A DLQ record lists them as reasons; the
 * HTTP layer maps them to statuses. New codes must be placed in both mappers of `@sparkflow/errors`
 * (they switch exhaustively, so the build fails until they are).
 */
export enum SparkflowErrorCode {
  /** The bytes are not JSON (or not UTF-8). */
  MalformedJson = 'MALFORMED_JSON',
  /** JSON, but a field is missing, of the wrong type or out of range. */
  SchemaInvalid = 'SCHEMA_INVALID',
  /** The envelope names a schema version this build does not read. */
  UnsupportedSchemaVersion = 'UNSUPPORTED_SCHEMA_VERSION',
  /** Valid shape, but the values contradict each other or the calendar (birth in the future, …). */
  SemanticInvalid = 'SEMANTIC_INVALID',
  /** Cassandra did not answer, timed out or had too few replicas: an outage, waited out. */
  CassandraUnavailable = 'CASSANDRA_UNAVAILABLE',
  /** Cassandra refused the statement for this record's values (invalid request): it never will. */
  CassandraRejected = 'CASSANDRA_REJECTED',
  /** PostgreSQL was unreachable, shutting down or timed out: an outage, waited out. */
  PostgresUnavailable = 'POSTGRES_UNAVAILABLE',
  /** PostgreSQL refused this record's values (data exception, program limit): it never will. */
  PostgresRejected = 'POSTGRES_REJECTED',
  /** The Kafka broker did not accept a produce in time or was unreachable: an outage, waited out. */
  BrokerUnavailable = 'BROKER_UNAVAILABLE',
  /** The record is larger than the topic accepts (`max.message.bytes`). */
  RecordTooLarge = 'RECORD_TOO_LARGE',
  /** The broker refused the record for another reason it calls not retriable. */
  BrokerRejected = 'BROKER_REJECTED',
  /** The upstream randomuser-compatible API failed or timed out (asking again may help). */
  SourceUnavailable = 'SOURCE_UNAVAILABLE',
  /** The upstream API answered something unusable (not JSON, not a randomuser response, a 4xx). */
  SourceInvalidResponse = 'SOURCE_INVALID_RESPONSE',
  /** What a request asked for is not there (an audit look-up of an event, batch or person it has not seen). */
  NotFound = 'NOT_FOUND',
  /** A request to an API without one of its keys in `x-api-key`: an HTTP answer, never a record's failure. */
  Unauthorized = 'UNAUTHORIZED',
  /** A request body sent as another media type than `application/json`: an HTTP answer, never a record's failure. */
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  /** A request over its API key's rate limit: an HTTP answer that passes with time, never a record's failure. */
  RateLimited = 'RATE_LIMITED',
  /** A request with a method its path's routes do not take: an HTTP answer, never a record's failure. */
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  /** A request body whose sender fell silent while it was read: an HTTP answer, never a record's failure. */
  RequestTimeout = 'REQUEST_TIMEOUT',
  /** A request that is not HTTP the server can read (its request line or a header malformed): an HTTP answer. */
  MalformedRequest = 'MALFORMED_REQUEST',
  /** A request whose headers are larger than the server reads: an HTTP answer, never a record's failure. */
  HeadersTooLarge = 'HEADERS_TOO_LARGE',
  /** A service reading as many request bodies as it takes at once: an HTTP answer that passes with time. */
  ServiceBusy = 'SERVICE_BUSY',
  /**
   * A request the state of what it names rules out (cancelling a backfill that already finished): an HTTP
   * answer, never a record's failure.
   */
  Conflict = 'CONFLICT',
  /** Anything without a code: retried within the attempt budget, then dead-lettered. */
  Unknown = 'UNKNOWN',
}

/**
 * The `path` of the one reason of the 404 `NOT_FOUND` every service answers a request no route takes: the
 * request's path is what is at fault. A route's own 404, of an entity it does not have, names the route
 * parameter instead, so a client tells an address that is wrong from an entity that is absent.
 */
export const NO_ROUTE_REASON_PATH = 'path';

export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}
