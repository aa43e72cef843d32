import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
} from '@platformatic/kafka';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { failureCode, fromKafkaError, kafkaErrorCode } from './kafka-errors';

const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ message: `broker: ${type}`, type, code: 0, retriable } as never);
/** How kafkajs hands a failure to the caller: wrapped once it gave up. */
const gaveUp = (e: Error) => Object.assign(new KafkaJSNonRetriableError(e), { cause: e });

describe('kafkaErrorCode', () => {
  it('calls a record or batch too large for the topic RECORD_TOO_LARGE, however kafkajs wrapped it', () => {
    expect(kafkaErrorCode(gaveUp(protocol('MESSAGE_TOO_LARGE', false)))).toBe(
      SparkflowErrorCode.RecordTooLarge,
    );
    expect(kafkaErrorCode(protocol('RECORD_LIST_TOO_LARGE', false))).toBe(SparkflowErrorCode.RecordTooLarge);
  });

  it('calls another protocol error the broker says is not retriable BROKER_REJECTED', () => {
    expect(kafkaErrorCode(gaveUp(protocol('INVALID_RECORD', false)))).toBe(SparkflowErrorCode.BrokerRejected);
  });

  it('waits out connection failures, request timeouts and retries exhausted on a retriable error', () => {
    expect(kafkaErrorCode(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(
      SparkflowErrorCode.BrokerUnavailable,
    );
    expect(
      kafkaErrorCode(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')),
    ).toBe(SparkflowErrorCode.BrokerUnavailable);
    const leader = protocol('LEADER_NOT_AVAILABLE', true);
    expect(
      kafkaErrorCode(new KafkaJSNumberOfRetriesExceeded(leader, { retryCount: 5, retryTime: 100 })),
    ).toBe(SparkflowErrorCode.BrokerUnavailable);
  });

  it('waits for an operator when credentials or ACLs are refused', () => {
    expect(kafkaErrorCode(gaveUp(protocol('TOPIC_AUTHORIZATION_FAILED', false)))).toBe(
      SparkflowErrorCode.BrokerUnavailable,
    );
  });

  it('leaves errors that are not kafkajs errors to others', () => {
    expect(kafkaErrorCode(new Error('MESSAGE_TOO_LARGE'))).toBeNull();
    expect(failureCode(new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'x'))).toBe('SCHEMA_INVALID');
    expect(failureCode(new TypeError('boom'))).toBe('UNKNOWN');
  });

  it('names the broker error type in the reason', () => {
    const e = fromKafkaError(
      gaveUp(protocol('MESSAGE_TOO_LARGE', false)),
      'send users.dlq',
    ) as SparkflowException;
    expect(e.code).toBe(SparkflowErrorCode.RecordTooLarge);
    expect(e.message).toMatch(/^send users\.dlq: KafkaJSProtocolError \(MESSAGE_TOO_LARGE\)/);
  });
});

describe('kafkaErrorCode of @platformatic/kafka failures', () => {
  const refusedBy = (...errors: Error[]) => new MultipleErrors('Producing messages failed.', errors);

  it('reads the broker error type inside the failure of one broker among several', () => {
    const tooLarge = refusedBy(new NetworkError('closed'), new ProtocolError('MESSAGE_TOO_LARGE'));
    expect(kafkaErrorCode(tooLarge)).toBe(SparkflowErrorCode.RecordTooLarge);
    expect(kafkaErrorCode(refusedBy(new ProtocolError('INVALID_RECORD')))).toBe(
      SparkflowErrorCode.BrokerRejected,
    );
  });

  it('waits out network failures, timeouts, retriable broker errors and refused credentials', () => {
    for (const e of [
      new NetworkError('Connection to 127.0.0.1:9092 closed'),
      new TimeoutError('Request timed out'),
      refusedBy(new ProtocolError('NOT_LEADER_OR_FOLLOWER')),
      refusedBy(new ProtocolError('TOPIC_AUTHORIZATION_FAILED')),
      new AuthenticationError('SASL authentication failed'),
    ])
      expect(kafkaErrorCode(e)).toBe(SparkflowErrorCode.BrokerUnavailable);
  });

  it('names the broker error type in the reason', () => {
    const e = fromKafkaError(refusedBy(new ProtocolError('RECORD_LIST_TOO_LARGE')), 'send users.dlq');
    expect((e as SparkflowException).code).toBe(SparkflowErrorCode.RecordTooLarge);
    expect((e as SparkflowException).message).toMatch(
      /^send users\.dlq: PLT_KFK_PROTOCOL \(RECORD_LIST_TOO_LARGE\): /,
    );
  });
});
