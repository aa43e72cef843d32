import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, errorCode } from '@sparkflow/errors';

/** The broker refuses these for the record itself: the same record will be refused again. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
/** Not retriable for kafkajs, yet fixed by an operator (credentials, ACLs), not by changing the record. */
const ACCESS = /_AUTHORIZATION_FAILED$|^SASL_AUTHENTICATION_FAILED$/;

/**
 * kafkajs wraps the error that stopped it: `KafkaJSNonRetriableError` (it gave up at once) and
 * `KafkaJSNumberOfRetriesExceeded` (it retried until its budget ran out) carry the original as `cause`.
 */
function rootOf(error: KafkaJSError): KafkaJSError {
  let e = error;
  for (let depth = 0; depth < 10 && e.cause instanceof KafkaJSError && e.cause !== e; depth++) e = e.cause;
  return e;
}

/**
 * The code of a kafkajs failure, from its types and the broker's error type (never its message):
 * a record or batch too large for the topic is RECORD_TOO_LARGE; any other protocol error the broker
 * calls not retriable is BROKER_REJECTED; everything else — connection refused or closed, request
 * timeouts, retries exhausted on a retriable error, missing leaders, refused credentials — is the
 * broker being unavailable. Null when the value is not a kafkajs error.
 */
export function kafkaErrorCode(error: unknown): SparkflowErrorCode | null {
  if (!(error instanceof KafkaJSError)) return null;
  const root = rootOf(error);
  if (root instanceof KafkaJSProtocolError) {
    if (TOO_LARGE.has(root.type)) return SparkflowErrorCode.RecordTooLarge;
    if (root.retriable === false && !ACCESS.test(root.type)) return SparkflowErrorCode.BrokerRejected;
  }
  return SparkflowErrorCode.BrokerUnavailable;
}

/** A kafkajs failure as a SparkflowException with its code; any other value passes through. */
export function fromKafkaError(error: unknown, doing: string): unknown {
  const code = kafkaErrorCode(error);
  if (code === null) return error;
  const root = rootOf(error as KafkaJSError);
  const type = root instanceof KafkaJSProtocolError ? ` (${root.type})` : '';
  return new SparkflowException(code, `${doing}: ${root.name}${type}: ${root.message}`, { cause: error });
}

/** What a consumer makes of any failure: our code, a kafkajs failure classified, or UNKNOWN. */
export function failureCode(error: unknown): SparkflowErrorCode {
  return kafkaErrorCode(error) ?? errorCode(error);
}
