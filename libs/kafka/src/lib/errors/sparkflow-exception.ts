import { SparkflowErrorCode, assertNever, type DeadLetterReason } from '@sparkflow/contracts';

/**
 * A failure SparkFlow can explain. `reasons` lists every problem found (a record with three bad
 * fields has three reasons); they travel unchanged into the dead-letter record.
 */
export class SparkflowException extends Error {
  readonly reasons: DeadLetterReason[];

  constructor(
    readonly code: SparkflowErrorCode,
    message: string,
    options: { reasons?: DeadLetterReason[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SparkflowException';
    this.reasons = options.reasons?.length ? options.reasons : [{ code, message, path: null }];
  }
}

/** Dead-letter now; retry a few times; or wait out an outage of a dependency. */
export type Disposition = 'retry' | 'wait' | 'dead-letter';

/** What the consumer does with a failed record: try again later, or explain it on the DLQ now. */
export function disposition(code: SparkflowErrorCode): Disposition {
  switch (code) {
    case SparkflowErrorCode.MalformedJson:
    case SparkflowErrorCode.SchemaInvalid:
    case SparkflowErrorCode.UnsupportedSchemaVersion:
    case SparkflowErrorCode.SemanticInvalid:
      return 'dead-letter';
    case SparkflowErrorCode.CassandraUnavailable:
    case SparkflowErrorCode.BrokerUnavailable:
      return 'wait';
    case SparkflowErrorCode.SourceUnavailable:
    case SparkflowErrorCode.Unknown:
      return 'retry';
    default:
      return assertNever(code);
  }
}

/** The code of any thrown value: ours carry one; anything else is `UNKNOWN` (retried, then dead-lettered). */
export function errorCode(error: unknown): SparkflowErrorCode {
  if (error instanceof SparkflowException) return error.code;
  // kafkajs names all its errors KafkaJS…; a failed produce means the broker is unreachable or busy.
  if (error instanceof Error && error.name.startsWith('KafkaJS')) return SparkflowErrorCode.BrokerUnavailable;
  return SparkflowErrorCode.Unknown;
}

export function reasonsOf(error: unknown): DeadLetterReason[] {
  if (error instanceof SparkflowException) return error.reasons;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return [{ code: SparkflowErrorCode.Unknown, message, path: null }];
}
