import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

/** Errors of the socket under a connection: the server was not reached, or the connection broke. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs with which PostgreSQL says it cannot do the work now, whatever the statement: class 08
 * (connection exception), 53 (insufficient resources: too many connections, out of memory or disk), 57P01–
 * 57P05 (admin or crash shutdown, "the database system is starting up", idle session timeout), 57014 (a
 * statement cancelled at its timeout), 55P03 (a lock not obtained in time), 40001 and 40P01 (serialization
 * failure, deadlock: the same statement succeeds again).
 */
const busyOrDown = (sqlstate: string) =>
  /^(08|53|57P0)/.test(sqlstate) || ['57014', '55P03', '40001', '40P01'].includes(sqlstate);

// node-postgres raises these as plain Errors, without a code: a pool or statement that timed out, a
// connection that closed under its statement.
const DRIVER_GAVE_UP =
  /timeout|timed out|Connection terminated|no answer within|not queryable|connection.*(closed|ended)/i;

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/**
 * Whether an error of the backfill store means PostgreSQL did not answer — unreachable, starting up or
 * shutting down, out of connections, timed out — so the same request may succeed later (503 with
 * Retry-After), rather than that it answered and refused the statement (a data error, class 22 or 23, or a
 * fault in the statement: never worth sending again).
 */
export function storeDidNotAnswer(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = codeOf(e);
    if (typeof code === 'string' && NETWORK_ERRORS.has(code)) return true;
    // A SQLSTATE: five characters, digits and capitals. PostgreSQL answered; the class says whether it will again.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return busyOrDown(code);
    if (e instanceof AggregateError && e.errors.some(storeDidNotAnswer)) return true;
    if (code === undefined && e instanceof Error && DRIVER_GAVE_UP.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The HTTP error of a failed call to the backfill store: 503 POSTGRES_UNAVAILABLE (Retry-After, a client
 * such as Airflow sends it again) only when PostgreSQL did not answer; when it answered and refused the
 * statement, a 500 naming the SQLSTATE (logged by the exception filter), since every value a request can
 * carry is checked before it reaches the store.
 */
export function backfillStoreError(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  if (storeDidNotAnswer(err)) {
    throw new SparkflowException(
      SparkflowErrorCode.PostgresUnavailable,
      `backfills are kept in PostgreSQL, which did not answer: ${message}`,
      { cause: err },
    );
  }
  const sqlstate = codeOf(err);
  throw new SparkflowException(
    SparkflowErrorCode.Unknown,
    `PostgreSQL refused the backfill store's statement${typeof sqlstate === 'string' ? ` (${sqlstate})` : ''}: ${message}`,
    { cause: err },
  );
}
