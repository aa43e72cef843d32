import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, disposition, errorCode, reasonsOf } from './sparkflow-exception';

describe('error disposition', () => {
  it('dead-letters records that can never succeed and retries outages', () => {
    expect(disposition(SparkflowErrorCode.SchemaInvalid)).toBe('dead-letter');
    expect(disposition(SparkflowErrorCode.MalformedJson)).toBe('dead-letter');
    expect(disposition(SparkflowErrorCode.CassandraUnavailable)).toBe('wait');
    expect(disposition(SparkflowErrorCode.BrokerUnavailable)).toBe('wait');
    expect(disposition(SparkflowErrorCode.Unknown)).toBe('retry');
  });

  it('places every code', () => {
    for (const code of Object.values(SparkflowErrorCode))
      expect(['retry', 'wait', 'dead-letter']).toContain(disposition(code));
  });

  it('treats a kafkajs error as the broker being unavailable', () => {
    const err = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    expect(errorCode(err)).toBe(SparkflowErrorCode.BrokerUnavailable);
  });

  it('treats an error without a code as UNKNOWN and keeps its message as the reason', () => {
    const err = new TypeError('boom');
    expect(errorCode(err)).toBe(SparkflowErrorCode.Unknown);
    expect(reasonsOf(err)).toEqual([{ code: 'UNKNOWN', message: 'TypeError: boom', path: null }]);
  });

  it('carries every reason of a SparkflowException', () => {
    const reasons = [
      { code: SparkflowErrorCode.SchemaInvalid, message: 'Required', path: 'email' },
      { code: SparkflowErrorCode.SemanticInvalid, message: 'born in the future', path: 'dob.date' },
    ];
    expect(
      reasonsOf(new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'invalid', { reasons })),
    ).toEqual(reasons);
  });
});
