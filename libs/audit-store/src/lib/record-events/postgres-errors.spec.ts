import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { fromPostgresError, postgresErrorCode } from './postgres-errors';

function pgError(sqlstate: string, message = 'refused'): DatabaseError {
  const e = new DatabaseError(message, 0, 'error');
  e.code = sqlstate;
  return e;
}
const wrapped = (e: Error) => new QueryFailedError('INSERT …', [], e);

describe('postgresErrorCode', () => {
  it.each([
    ['22021 invalid byte sequence (NUL in text)', '22021'],
    ['22P05 untranslatable character (NUL in jsonb)', '22P05'],
    ['22003 numeric value out of range', '22003'],
    ['22P02 invalid text representation', '22P02'],
    ['54000 index row size exceeds the maximum', '54000'],
    ['23502 not-null violation', '23502'],
  ])('rejects a record PostgreSQL refuses: %s', (_name, sqlstate) => {
    expect(postgresErrorCode(pgError(sqlstate))).toBe(SparkflowErrorCode.PostgresRejected);
    expect(postgresErrorCode(wrapped(pgError(sqlstate)))).toBe(SparkflowErrorCode.PostgresRejected);
  });

  it.each([
    ['57P01 admin shutdown', '57P01'],
    ['08006 connection failure', '08006'],
    ['57014 statement timeout', '57014'],
    ['53300 too many connections', '53300'],
    ['40001 serialization failure', '40001'],
  ])('waits out an outage: %s', (_name, sqlstate) => {
    expect(postgresErrorCode(wrapped(pgError(sqlstate)))).toBe(SparkflowErrorCode.PostgresUnavailable);
  });

  it('waits out a refused or reset connection and a pool timeout', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(postgresErrorCode(refused)).toBe(SparkflowErrorCode.PostgresUnavailable);
    expect(postgresErrorCode(new Error('timeout exceeded when trying to connect'))).toBe(
      SparkflowErrorCode.PostgresUnavailable,
    );
  });

  it('does not read messages: text that looks like a data error is not one', () => {
    expect(postgresErrorCode(new Error('invalid byte sequence for encoding "UTF8": 0x00'))).toBe(
      SparkflowErrorCode.PostgresUnavailable,
    );
  });

  it('keeps the SQLSTATE in the reason', () => {
    expect(
      fromPostgresError(wrapped(pgError('22021', 'invalid byte sequence')), 'audit insert').message,
    ).toBe('audit insert: 22021 invalid byte sequence');
  });
});
