import { SparkflowErrorCode } from '@sparkflow/contracts';
import { disposition, httpStatus } from './error-tables';
import { SparkflowException, errorCode, reasonsOf } from './sparkflow-exception';

const ALL = Object.values(SparkflowErrorCode);

describe('the error tables', () => {
  it('place every code in a disposition and an HTTP status', () => {
    for (const code of ALL) {
      expect(['retry', 'wait', 'dead-letter']).toContain(disposition(code));
      expect(httpStatus(code)).toBeGreaterThanOrEqual(400);
    }
  });

  it('dead-letter what the downstream will never accept', () => {
    for (const code of [
      SparkflowErrorCode.MalformedJson,
      SparkflowErrorCode.SchemaInvalid,
      SparkflowErrorCode.CassandraRejected,
      SparkflowErrorCode.PostgresRejected,
      SparkflowErrorCode.RecordTooLarge,
      SparkflowErrorCode.BrokerRejected,
      SparkflowErrorCode.UnsupportedMediaType,
      SparkflowErrorCode.MalformedRequest,
      SparkflowErrorCode.HeadersTooLarge,
    ])
      expect(disposition(code)).toBe('dead-letter');
  });

  it('wait out an outage of any dependency', () => {
    for (const code of [
      SparkflowErrorCode.CassandraUnavailable,
      SparkflowErrorCode.PostgresUnavailable,
      SparkflowErrorCode.BrokerUnavailable,
    ]) {
      expect(disposition(code)).toBe('wait');
      expect(httpStatus(code)).toBe(503);
    }
  });

  it('waits out a rate limit or a busy service, as an outage', () => {
    expect(disposition(SparkflowErrorCode.RateLimited)).toBe('wait');
    expect(disposition(SparkflowErrorCode.ServiceBusy)).toBe('wait');
    expect(httpStatus(SparkflowErrorCode.ServiceBusy)).toBe(503);
  });

  it('retries an unexplained failure a bounded number of times', () => {
    expect(disposition(SparkflowErrorCode.Unknown)).toBe('retry');
    expect(httpStatus(SparkflowErrorCode.Unknown)).toBe(500);
  });

  it('answers an upstream API that failed or answered garbage with 502', () => {
    expect(httpStatus(SparkflowErrorCode.SourceUnavailable)).toBe(502);
    expect(httpStatus(SparkflowErrorCode.SourceInvalidResponse)).toBe(502);
  });

  it('answers bad input with 4xx', () => {
    expect(httpStatus(SparkflowErrorCode.SchemaInvalid)).toBe(400);
    expect(httpStatus(SparkflowErrorCode.RecordTooLarge)).toBe(413);
    expect(httpStatus(SparkflowErrorCode.NotFound)).toBe(404);
    expect(httpStatus(SparkflowErrorCode.Unauthorized)).toBe(401);
    expect(httpStatus(SparkflowErrorCode.UnsupportedMediaType)).toBe(415);
    expect(httpStatus(SparkflowErrorCode.RateLimited)).toBe(429);
    expect(httpStatus(SparkflowErrorCode.MethodNotAllowed)).toBe(405);
    expect(httpStatus(SparkflowErrorCode.RequestTimeout)).toBe(408);
    expect(httpStatus(SparkflowErrorCode.MalformedRequest)).toBe(400);
    expect(httpStatus(SparkflowErrorCode.HeadersTooLarge)).toBe(431);
    expect(httpStatus(SparkflowErrorCode.Conflict)).toBe(409);
  });
});

describe('SparkflowException', () => {
  it('treats an error without a code as UNKNOWN and keeps its message as the reason', () => {
    const err = new TypeError('boom');
    expect(errorCode(err)).toBe(SparkflowErrorCode.Unknown);
    expect(reasonsOf(err)).toEqual([{ code: 'UNKNOWN', message: 'TypeError: boom', path: null }]);
  });

  it('carries every reason it was given, or one made of its code and message', () => {
    const reasons = [
      { code: SparkflowErrorCode.SchemaInvalid, message: 'Required', path: 'email' },
      { code: SparkflowErrorCode.SemanticInvalid, message: 'born in the future', path: 'dob.date' },
    ];
    expect(
      reasonsOf(new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'invalid', { reasons })),
    ).toEqual(reasons);
    expect(reasonsOf(new SparkflowException(SparkflowErrorCode.PostgresRejected, 'NUL'))).toEqual([
      { code: 'POSTGRES_REJECTED', message: 'NUL', path: null },
    ]);
  });
});
