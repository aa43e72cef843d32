import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';

/**
 * SQLSTATEs with which PostgreSQL refuses the values of a statement, so the same rows are refused
 * again: class 22 (data exception: 22021 invalid byte sequence such as NUL in text, 22P05 an escape
 * jsonb cannot hold, 22003 numeric overflow, 22P02 a malformed uuid, …), class 54 (program limit:
 * 54000 an index row too large), and the constraint checks our values can fail (not-null, check).
 */
function refusesTheData(sqlstate: string): boolean {
  return (
    sqlstate.startsWith('22') || sqlstate.startsWith('54') || sqlstate === '23502' || sqlstate === '23514'
  );
}

/** TypeORM wraps the driver's error; the SQLSTATE is on pg's own `DatabaseError`. */
function databaseErrorOf(error: unknown): DatabaseError | null {
  if (error instanceof DatabaseError) return error;
  if (error instanceof QueryFailedError && error.driverError instanceof DatabaseError)
    return error.driverError;
  return null;
}

/**
 * The code of a failure of PostgreSQL work. Only PostgreSQL itself can say a record will never be
 * accepted (POSTGRES_REJECTED, from the SQLSTATE class); everything else — connection refused or reset
 * (ECONNREFUSED, …), connection exceptions (08xxx), an administrator shutdown (57P01), a statement or
 * lock timeout, serialization failures, a pool that timed out — is waited out as POSTGRES_UNAVAILABLE.
 */
export function postgresErrorCode(error: unknown): SparkflowErrorCode {
  if (error instanceof SparkflowException) return error.code;
  const db = databaseErrorOf(error);
  if (db?.code && refusesTheData(db.code)) return SparkflowErrorCode.PostgresRejected;
  return SparkflowErrorCode.PostgresUnavailable;
}

export function fromPostgresError(error: unknown, doing: string): SparkflowException {
  if (error instanceof SparkflowException) return error;
  const db = databaseErrorOf(error);
  const sqlstate = db?.code ?? (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new SparkflowException(
    postgresErrorCode(error),
    `${doing}: ${typeof sqlstate === 'string' ? `${sqlstate} ` : ''}${message}`,
    { cause: error },
  );
}
