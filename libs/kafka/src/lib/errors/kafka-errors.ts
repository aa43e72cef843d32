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
 * A @platformatic/kafka error, known by its code's prefix and its `findBy` (a failure may hold several,
 * one per broker). Recognised without loading the client, which only a producer that chose it loads.
 */
interface PlatformaticError extends Error {
  code: string;
  findBy(property: string, value: unknown): (Error & Record<string, unknown>) | null;
}
const isPlatformaticError = (e: unknown): e is PlatformaticError =>
  e instanceof Error &&
  typeof (e as Partial<PlatformaticError>).code === 'string' &&
  (e as PlatformaticError).code.startsWith('PLT_KFK_') &&
  typeof (e as Partial<PlatformaticError>).findBy === 'function';

/** What stopped a client: its error's name, and the broker's error type and whether it is retriable. */
interface ClientFailure {
  name: string;
  message: string;
  type?: string;
  retriable?: boolean;
}

/** A @platformatic/kafka failure, named by its code, and the broker's error in it, if any. */
function platformaticFailure(error: unknown): ClientFailure | null {
  if (!isPlatformaticError(error)) return null;
  const protocol = error.findBy('code', 'PLT_KFK_PROTOCOL');
  if (!protocol) return { name: error.code, message: error.message };
  return {
    name: 'PLT_KFK_PROTOCOL',
    message: protocol.message,
    type: protocol['apiId'] as string,
    retriable: protocol['canRetry'] as boolean,
  };
}

/** The failure of either client; null when neither made it. */
function failureOf(error: unknown): ClientFailure | null {
  if (error instanceof KafkaJSError) {
    const root = rootOf(error);
    const { name, message } = root;
    return root instanceof KafkaJSProtocolError
      ? { name, message, type: root.type, retriable: root.retriable }
      : { name, message };
  }
  return platformaticFailure(error);
}

/**
 * The code of a Kafka client's failure (kafkajs or @platformatic/kafka), from its types and the broker's
 * error type (never its message): a record or batch too large for the topic is RECORD_TOO_LARGE; any other
 * protocol error the broker calls not retriable is BROKER_REJECTED; everything else — connection refused
 * or closed, request timeouts, retries exhausted on a retriable error, missing leaders, refused
 * credentials — is the broker being unavailable. Null when the value is not a Kafka client's error.
 */
export function kafkaErrorCode(error: unknown): SparkflowErrorCode | null {
  const failure = failureOf(error);
  return failure && codeOf(failure);
}

function codeOf({ type, retriable }: ClientFailure): SparkflowErrorCode {
  if (type !== undefined) {
    if (TOO_LARGE.has(type)) return SparkflowErrorCode.RecordTooLarge;
    if (retriable === false && !ACCESS.test(type)) return SparkflowErrorCode.BrokerRejected;
  }
  return SparkflowErrorCode.BrokerUnavailable;
}

/** A Kafka client's failure as a SparkflowException with its code; any other value passes through. */
export function fromKafkaError(error: unknown, doing: string): unknown {
  const failure = failureOf(error);
  if (!failure) return error;
  const type = failure.type === undefined ? '' : ` (${failure.type})`;
  return new SparkflowException(codeOf(failure), `${doing}: ${failure.name}${type}: ${failure.message}`, {
    cause: error,
  });
}

/** What a consumer makes of any failure: our code, a kafkajs failure classified, or UNKNOWN. */
export function failureCode(error: unknown): SparkflowErrorCode {
  return kafkaErrorCode(error) ?? errorCode(error);
}
