/**
 * Every failure SparkFlow explains has one of these codes. A DLQ record lists them as reasons; the
 * HTTP layer maps them to statuses. New codes must be placed in both mappers (they switch exhaustively).
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
  /** Cassandra did not answer or had too few replicas; retried, then dead-lettered. */
  CassandraUnavailable = 'CASSANDRA_UNAVAILABLE',
  /** The Kafka broker did not accept a produce in time; retried. */
  BrokerUnavailable = 'BROKER_UNAVAILABLE',
  /** The upstream randomuser-compatible API failed or returned something unusable. */
  SourceUnavailable = 'SOURCE_UNAVAILABLE',
  /** Anything without a code: retried within the attempt budget, then dead-lettered. */
  Unknown = 'UNKNOWN',
}

export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}
