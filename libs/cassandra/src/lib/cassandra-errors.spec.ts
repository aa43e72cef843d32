import { errors, types } from 'cassandra-driver';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { disposition } from '@sparkflow/errors';
import { cassandraErrorCode, fromCassandraError } from './cassandra-errors';

const C = types.responseErrorCodes;
const response = (code: number) => new errors.ResponseError(code, 'server said no');

describe('cassandraErrorCode', () => {
  it.each([
    ['invalid', C.invalid],
    ['syntaxError', C.syntaxError],
    ['functionFailure', C.functionFailure],
    ['protocolError', C.protocolError],
  ])('dead-letters a record the server refuses (%s)', (_name, code) => {
    expect(cassandraErrorCode(response(code))).toBe(SparkflowErrorCode.CassandraRejected);
    expect(disposition(SparkflowErrorCode.CassandraRejected)).toBe('dead-letter');
  });

  it.each([
    ['unavailableException', C.unavailableException],
    ['overloaded', C.overloaded],
    ['isBootstrapping', C.isBootstrapping],
    ['writeTimeout', C.writeTimeout],
    ['readTimeout', C.readTimeout],
    ['writeFailure', C.writeFailure],
    ['serverError', C.serverError],
  ])('waits out a server-side outage (%s)', (_name, code) => {
    expect(cassandraErrorCode(response(code))).toBe(SparkflowErrorCode.CassandraUnavailable);
  });

  it('waits out a cluster no host of which answers, and driver-side timeouts', () => {
    expect(cassandraErrorCode(new errors.NoHostAvailableError({}))).toBe(SparkflowErrorCode.CassandraUnavailable);
    expect(cassandraErrorCode(new errors.OperationTimedOutError('timed out', '127.0.0.1:9042'))).toBe(
      SparkflowErrorCode.CassandraUnavailable,
    );
  });

  it('waits out a connection closed under its requests (the driver flags it isSocketError), not any DriverError', () => {
    // The driver throws a plain DriverError here; its typings declare the class abstract.
    class PlainDriverError extends errors.DriverError {}
    const closed = Object.assign(new PlainDriverError('Socket was closed'), { isSocketError: true });
    expect(cassandraErrorCode(closed)).toBe(SparkflowErrorCode.CassandraUnavailable);
    expect(cassandraErrorCode(new PlainDriverError('Socket was closed'))).toBeNull();
  });

  it('does not guess from messages: an unrelated error mentioning Unavailable is not an outage', () => {
    expect(cassandraErrorCode(new Error('Unavailable: NoHostAvailable ECONNREFUSED'))).toBeNull();
    expect(fromCassandraError(new Error('Unavailable'), 'upsert').code).toBe(SparkflowErrorCode.Unknown);
  });

  it('names the server code in the reason', () => {
    expect(fromCassandraError(response(C.invalid), 'upsert users').message).toMatch(/^upsert users: ResponseError \(server code 0x2200\)/);
  });
});
