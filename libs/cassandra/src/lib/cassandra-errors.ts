import { errors, types } from 'cassandra-driver';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

const CODES = types.responseErrorCodes;

/**
 * Server answers that refuse the statement for what it carries (an invalid value, a function that fails
 * on it): sending the same record again gets the same answer. Every other server answer — unavailable,
 * overloaded, bootstrapping, read/write timeouts and failures, truncation, an unprepared statement,
 * refused credentials — says the cluster is not able to take writes right now.
 */
const REJECTING = new Set<number>([
  CODES.invalid,
  CODES.syntaxError,
  CODES.functionFailure,
  CODES.protocolError,
  CODES.configError,
  CODES.alreadyExists,
]);

/**
 * The code of a cassandra-driver failure, from the driver's typed errors and the server's error code
 * (never the message): a `ResponseError` the server would give again is CASSANDRA_REJECTED; no host
 * reachable, a driver-side timeout, busy connections or any other server error is CASSANDRA_UNAVAILABLE.
 * Null when the value is not one of the driver's errors.
 */
export function cassandraErrorCode(error: unknown): SparkflowErrorCode | null {
  if (error instanceof errors.ResponseError) {
    return REJECTING.has(error.code) ? SparkflowErrorCode.CassandraRejected : SparkflowErrorCode.CassandraUnavailable;
  }
  if (
    error instanceof errors.NoHostAvailableError ||
    error instanceof errors.OperationTimedOutError ||
    error instanceof errors.BusyConnectionError ||
    error instanceof errors.DriverInternalError ||
    error instanceof errors.AuthenticationError
  ) {
    return SparkflowErrorCode.CassandraUnavailable;
  }
  // The driver fails the requests in flight on a connection that closed (a node killed or restarting)
  // with a plain DriverError it flags `isSocketError`: the node went away, the statement was fine.
  if (error instanceof errors.DriverError && (error as { isSocketError?: unknown }).isSocketError === true) {
    return SparkflowErrorCode.CassandraUnavailable;
  }
  return null;
}

/** A Cassandra failure as a SparkflowException with its code; anything else is UNKNOWN (retried, then dead-lettered). */
export function fromCassandraError(error: unknown, doing: string): SparkflowException {
  if (error instanceof SparkflowException) return error;
  const code = cassandraErrorCode(error) ?? SparkflowErrorCode.Unknown;
  const name = error instanceof Error ? error.name : 'Error';
  const server = error instanceof errors.ResponseError ? ` (server code 0x${error.code.toString(16)})` : '';
  const message = error instanceof Error ? error.message : String(error);
  return new SparkflowException(code, `${doing}: ${name}${server}: ${message}`, { cause: error });
}
