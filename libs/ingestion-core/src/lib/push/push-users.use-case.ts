import { randomUUID } from 'node:crypto';
import {
  SCHEMA_VERSION,
  SparkflowErrorCode,
  TOPICS,
  formatEventTime,
  type DeadLetterEvent,
  type RandomUser,
  type RawUserEvent,
} from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { newBatchId, type IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import {
  bodyDigest,
  claimIdempotencyKey,
  formerBodyDigest,
  idempotencyScope,
  parseIdempotencyKey,
  pushDeadLetterId,
  pushEventId,
  type KeyedPush,
  type KeyedPushStore,
} from './idempotency-key';
import { refusalBody, type RefusalBody } from '@sparkflow/errors';
import { unreadableBody, type BodyHeaders } from '../request/request-outcome';
import {
  PUSH_SHAPES,
  parsePushBody,
  type FieldError,
  type PersonFault,
  type PushLimits,
  type RejectedPerson,
} from './parse-push-body';

/** Kafka's default `max.message.bytes` (1 MB), the limit every SparkFlow topic keeps. */
export const TOPIC_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * The largest person ingestion takes, by default: a quarter of a Kafka message. The person crosses the
 * pipeline again enriched (its text once more) and, if it fails, inside a dead letter as an escaped string,
 * where every `"` and `\` doubles; a quarter leaves room for both.
 */
export const DEFAULT_MAX_PERSON_BYTES = TOPIC_MAX_MESSAGE_BYTES / 4;

/**
 * A push's 202: its batch, the people accepted and their event ids, and each person refused with the id of
 * its event and its reasons in the one error model, `{code, message, path}` (`path` into the person, `""`
 * the person itself), each with the code its dead letter carries.
 */
export interface PushReceipt {
  batchId: string;
  accepted: number;
  eventIds: string[];
  rejected: { index: number; loginUuid: string | null; eventId: string; reasons: PersonFault[] }[];
}

/** A push's answer: its receipt, or a refusal in the one error model (`RefusalBody`). */
export type PushOutcome =
  | { status: 202; body: PushReceipt }
  | { status: 400 | 413 | 415 | 422; body: RefusalBody<400 | 413 | 415 | 422> }
  | { status: 503; headers: { 'retry-after': string }; body: RefusalBody<503> };

/**
 * What a push carries besides its body: the API key it was accepted under, its Idempotency-Key header
 * and, when the caller knows them, its Content-Type and whether it sent a body at all.
 */
export interface PushHeaders extends BodyHeaders {
  apiKey: string;
  idempotencyKey?: string | string[];
}

export interface PushUsersOptions {
  /** Told the failure code of each dead letter once the broker acknowledged them (the metrics). */
  deadLettered?: (codes: readonly string[]) => void;
  /** Where Idempotency-Keys are kept; without it a push with the header is answered 503. */
  keys?: KeyedPushStore;
  /** Told why the key store failed a request (answered 503). */
  warn?: (message: string) => void;
}

const refusal = (
  status: 400 | 413,
  code: SparkflowErrorCode,
  message: string,
  fields: FieldError[],
): PushOutcome => ({ status, body: refusalBody(status, code, message, fields) });

/** Why the request's body cannot be read as people at all, before looking at it: empty, or not JSON. */
export const pushBodyRefusal = (headers: PushHeaders | undefined): PushOutcome | null =>
  unreadableBody(headers, PUSH_SHAPES);

/**
 * `POST /v1/users`: ingests the valid people of a request and dead-letters the invalid ones (stage
 * `ingestion`) in the same batch, so one bad person never refuses the good ones and the audit's account of
 * the batch still adds up. Each dead letter holds the person wrapped in the users.raw envelope it would have
 * had, with its event id, so `sparkflow dlq replay` publishes the corrected record as it stands.
 *
 * With an `Idempotency-Key` header a push may be sent again (after a timeout, a 503, a connection cut) and
 * changes nothing more: the key, kept in PostgreSQL for 24 h, holds the batch id and first event time of
 * its first request, and every request under it — a retry, a concurrent duplicate on another replica —
 * makes the same events from them: the person at position p gets an event id derived from the batch and
 * p and the event time first + p, and so does the dead letter of a refused one. Consumers absorb the
 * repeats by event id, the audit counts each once, and Cassandra rewrites identical cells (its write
 * timestamp is the event time, so a retry never overwrites a newer event of the same person). A request
 * without the header costs nothing more than before; one whose key cannot be checked is not produced.
 */
export class PushUsersUseCase {
  private readonly deadLettered: (codes: readonly string[]) => void;

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly producer: EventProducer,
    private readonly limits: PushLimits,
    private readonly options: PushUsersOptions = {},
  ) {
    this.deadLettered = options.deadLettered ?? (() => undefined);
  }

  async execute(body: unknown, headers?: PushHeaders): Promise<PushOutcome> {
    const unreadable = pushBodyRefusal(headers);
    if (unreadable) return unreadable;
    const header = parseIdempotencyKey(headers?.idempotencyKey);
    if (!header.ok)
      return refusal(400, SparkflowErrorCode.SchemaInvalid, header.message, [
        { path: 'Idempotency-Key', message: header.message },
      ]);
    const parsed = parsePushBody(body, this.limits);
    if (!parsed.ok) return refusal(parsed.status, parsed.code, parsed.message, parsed.errors);
    const { users, rejected } = parsed;
    if (header.key === null || !headers) return this.produce(users, rejected, null);

    const keyed = await this.claim(
      idempotencyScope(headers.apiKey, header.key),
      {
        batchId: newBatchId('http-push'),
        firstEventMicros: this.ingest.reserveEventTimes(users.length + rejected.length),
        bodySha256: bodyDigest(body),
      },
      [formerBodyDigest(body)],
    );
    if ('status' in keyed) return keyed;
    return this.produce(users, rejected, keyed);
  }

  /**
   * The key's entry, the proposal if it is the first request under it; or why the push must not go on.
   * `formerDigests`: the body's digests as keys stored by earlier releases hold them.
   */
  private async claim(
    scope: string,
    proposed: KeyedPush,
    formerDigests: readonly string[],
  ): Promise<KeyedPush | PushOutcome> {
    const claimed = await claimIdempotencyKey(
      this.options.keys,
      scope,
      proposed,
      'push',
      this.options.warn,
      formerDigests,
    );
    return claimed.ok ? claimed.kept : claimed.refusal;
  }

  private async produce(
    users: RandomUser[],
    rejected: RejectedPerson[],
    keyed: KeyedPush | null,
  ): Promise<PushOutcome> {
    const size = users.length + rejected.length;
    const receipt = await this.ingest.execute(
      keyed
        ? { users, source: 'http-push', ...keyedEvents(keyed, users.length, rejected) }
        : { users, source: 'http-push' },
      size,
    );
    const deadLetters = rejected.map((r) =>
      deadLetterOf(
        r,
        receipt.batchId,
        keyed && {
          eventId: pushDeadLetterId(keyed.batchId, r.index),
          originalEventId: pushEventId(keyed.batchId, r.index),
          at: formatEventTime(keyed.firstEventMicros + BigInt(r.index)),
        },
      ),
    );
    if (deadLetters.length) {
      await this.producer.send(TOPICS.usersDlq, deadLetters);
      this.deadLettered(
        deadLetters.map((d) => d.event.payload.reasons[0]?.code ?? SparkflowErrorCode.SchemaInvalid),
      );
    }
    return {
      status: 202,
      body: {
        ...receipt,
        rejected: rejected.map((r, i) => ({
          index: r.index,
          loginUuid: r.loginUuid,
          eventId: deadLetters[i].event.payload.originalEventId ?? '',
          reasons: r.reasons.map(({ code, message, path }) => ({ code, message, path })),
        })),
      },
    };
  }
}

/**
 * The batch, event ids and event times of a keyed push's valid people, by their position in the
 * request (refused people keep theirs for their dead letters): what every attempt of the push makes.
 */
function keyedEvents({ batchId, firstEventMicros }: KeyedPush, valid: number, rejected: RejectedPerson[]) {
  const refused = new Set(rejected.map((r) => r.index));
  const positions: number[] = [];
  for (let p = 0; positions.length < valid; p++) if (!refused.has(p)) positions.push(p);
  return {
    batchId,
    eventIdAt: (i: number) => pushEventId(batchId, positions[i]),
    eventTimeAt: (i: number) => firstEventMicros + BigInt(positions[i]),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The dead letter of a refused person. A keyed push gives its ids and time (the same on every attempt);
 * otherwise they are new ones and now.
 */
function deadLetterOf(
  r: RejectedPerson,
  batchId: string,
  keyed: { eventId: string; originalEventId: string; at: string } | null,
) {
  const fixed = keyed ?? {
    eventId: randomUUID(),
    originalEventId: randomUUID(),
    at: new Date().toISOString(),
  };
  const now = fixed.at;
  const key = r.loginUuid !== null && UUID.test(r.loginUuid) ? r.loginUuid.toLowerCase() : null;
  const original: Omit<RawUserEvent, 'payload'> & { payload: unknown } = {
    eventId: fixed.originalEventId,
    schemaVersion: SCHEMA_VERSION,
    source: 'http-push',
    batchId,
    producedAt: now,
    payload: r.person,
  };
  const event: DeadLetterEvent = {
    eventId: fixed.eventId,
    schemaVersion: SCHEMA_VERSION,
    source: 'http-push',
    batchId,
    producedAt: now,
    payload: {
      stage: 'ingestion',
      reasons: r.reasons.map((e) => ({
        code: e.code,
        message: e.message,
        path: e.path ? `payload.${e.path}` : 'payload',
      })),
      originalTopic: TOPICS.usersRaw,
      partition: null,
      offset: null,
      key,
      originalEventId: original.eventId,
      originalBatchId: batchId,
      payload: JSON.stringify(original),
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt: now,
    },
  };
  return { key, event };
}
