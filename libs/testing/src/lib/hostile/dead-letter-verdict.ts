import {
  STAGES,
  SparkflowErrorCode,
  TOPICS,
  assertNever,
  type Stage,
  type TopicName,
} from '@sparkflow/contracts';

/**
 * Whether a dead letter is a judgement on the record it holds, or the pipeline failing a record.
 *
 * A record that reaches users.dlq must have been refused for what it is: its bytes are not JSON, its
 * envelope or a field breaks the contract, its values contradict each other or the calendar. A dead
 * letter whose reason is a store or broker failing (Cassandra refusing a batch as too large, a timeout,
 * an outage outlasting the wait, an error without a code) says the pipeline lost a record it should
 * have kept, however well the dead letter explains itself.
 */

const CODES = new Set<string>(Object.values(SparkflowErrorCode));
const STAGE_NAMES = new Set<string>(STAGES);

/**
 * The stages at which a dead letter with this code judges the record's own value. The switch is
 * exhaustive, so a new error code does not build until it is placed here.
 */
export function stagesJudgingInput(code: SparkflowErrorCode): readonly Stage[] {
  switch (code) {
    // Every stage reads a record and checks it: ingestion refuses a person of a push, each consumer
    // refuses an envelope or payload it cannot read, enrichment refuses fields.
    case SparkflowErrorCode.MalformedJson:
    case SparkflowErrorCode.SchemaInvalid:
    case SparkflowErrorCode.UnsupportedSchemaVersion:
    case SparkflowErrorCode.SemanticInvalid:
      return STAGES;
    // Enrichment's output of a record written straight onto users.raw may outgrow users.enriched's
    // declared max.message.bytes: the record's own size. Ingestion caps a person far below it, so
    // this never concerns a person that came in through ingestion.
    case SparkflowErrorCode.RecordTooLarge:
      return ['enrichment'];
    // The audit's quarantine: a value its PostgreSQL columns cannot hold (a NUL in a batch id, which the
    // envelope allows; see `batchIdProblem`). Anywhere else a refused value is a store failing.
    case SparkflowErrorCode.PostgresRejected:
      return ['audit'];
    // Cassandra refusing a statement the contracts let through (such as "Batch too large") is the
    // store's configuration disagreeing with the contracts, not the record being wrong. Outages are
    // waited out, never dead-lettered on a record's account; the upstream API's failures are answered
    // to the caller and are never about one record; a failure nobody explained judges nothing; a look-up
    // that found nothing (NOT_FOUND), a request without a valid key (UNAUTHORIZED), a body that is not
    // JSON (UNSUPPORTED_MEDIA_TYPE), one over its key's rate limit (RATE_LIMITED), a method no route takes
    // (METHOD_NOT_ALLOWED), a stalled body (REQUEST_TIMEOUT), a busy service (SERVICE_BUSY) and a request
    // that is not HTTP the server reads (MALFORMED_REQUEST, HEADERS_TOO_LARGE) and a request the state of
    // what it names rules out (CONFLICT) are an API's answers, never a record's dead letter.
    case SparkflowErrorCode.NotFound:
    case SparkflowErrorCode.Unauthorized:
    case SparkflowErrorCode.UnsupportedMediaType:
    case SparkflowErrorCode.RateLimited:
    case SparkflowErrorCode.MethodNotAllowed:
    case SparkflowErrorCode.RequestTimeout:
    case SparkflowErrorCode.ServiceBusy:
    case SparkflowErrorCode.MalformedRequest:
    case SparkflowErrorCode.HeadersTooLarge:
    case SparkflowErrorCode.Conflict:
    case SparkflowErrorCode.CassandraRejected:
    case SparkflowErrorCode.CassandraUnavailable:
    case SparkflowErrorCode.PostgresUnavailable:
    case SparkflowErrorCode.BrokerUnavailable:
    case SparkflowErrorCode.BrokerRejected:
    case SparkflowErrorCode.SourceUnavailable:
    case SparkflowErrorCode.SourceInvalidResponse:
    case SparkflowErrorCode.Unknown:
      return [];
    default:
      return assertNever(code);
  }
}

/** True when a dead letter of `stage` with `code` judges the record's own value (strings as read off the topic). */
export function judgesInput(stage: string, code: string): boolean {
  if (!STAGE_NAMES.has(stage) || !CODES.has(code)) return false;
  return stagesJudgingInput(code as SparkflowErrorCode).includes(stage as Stage);
}

/** What the ledger reads of a dead letter: strings, since a dead letter of a wrong shape must be judged too. */
export interface DeadLetterSeen {
  eventId: string;
  stage: string;
  reasons: readonly { code: string; message: string; path: string | null }[];
}

/** Where an input entered the pipeline: through ingestion's HTTP API, or written straight onto a topic. */
export type Entry = 'ingestion' | TopicName;

/**
 * The stages that read an input as it was sent, the only ones whose refusal judges it. A later stage
 * refusing it refuses what an earlier stage made of it (enrichment's output, ingestion's headers): the
 * pipeline failing its own output, whatever the code.
 */
export function firstReaders(entry: Entry): readonly Stage[] {
  switch (entry) {
    // Ingestion refuses a person of a push; enrichment reads the raw record ingestion made of it.
    case 'ingestion':
      return ['ingestion', 'enrichment'];
    case TOPICS.usersRaw:
      return ['enrichment', 'audit'];
    case TOPICS.usersEnriched:
      return ['persistence'];
    case TOPICS.usersPersisted:
    case TOPICS.usersDlq:
      return ['audit'];
    default:
      return assertNever(entry);
  }
}

/**
 * Null when the dead letter judges the input that entered at `entry`: written by a stage that read the
 * input as sent, with every reason about the record's own value. Otherwise the failure, naming the dead
 * letter's event id, its stage and each reason.
 */
export function deadLetterProblem(letter: DeadLetterSeen, entry: Entry): string | null {
  const which = `dead letter ${letter.eventId} (stage ${letter.stage})`;
  if (!letter.reasons.length) return `${which} gives no reason for failing the record`;
  const readers = firstReaders(entry);
  if (!readers.some((s) => s === letter.stage))
    return `${which} failed a record that entered at ${entry}, which only ${readers.join(' or ')} may refuse: ${listed(letter.reasons)}`;
  const wrong = letter.reasons.filter((r) => !judgesInput(letter.stage, r.code));
  if (!wrong.length) return null;
  return `${which} failed the record for a reason not about its value: ${listed(wrong)}`;
}

function listed(reasons: DeadLetterSeen['reasons']): string {
  return reasons
    .map((r) => `${r.code}${r.path ? ` at ${r.path}` : ''}: ${JSON.stringify(r.message.slice(0, 300))}`)
    .join('; ');
}
