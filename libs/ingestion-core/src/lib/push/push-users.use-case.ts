import { randomUUID } from 'node:crypto';
import {
  SCHEMA_VERSION,
  SparkflowErrorCode,
  TOPICS,
  type DeadLetterEvent,
  type RawUserEvent,
} from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { parsePushBody, type FieldError, type PushLimits, type RejectedPerson } from './parse-push-body';

/** Kafka's default `max.message.bytes` (1 MB), the limit every SparkFlow topic keeps. */
export const TOPIC_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * The largest person ingestion takes, by default: a quarter of a Kafka message. The person crosses the
 * pipeline again enriched (its text once more) and, if it fails, inside a dead letter as an escaped string,
 * where every `"` and `\` doubles; a quarter leaves room for both.
 */
export const DEFAULT_MAX_PERSON_BYTES = TOPIC_MAX_MESSAGE_BYTES / 4;

export interface PushReceipt {
  batchId: string;
  accepted: number;
  eventIds: string[];
  rejected: { index: number; loginUuid: string | null; eventId: string; reasons: FieldError[] }[];
}

export type PushOutcome =
  | { status: 202; body: PushReceipt }
  | { status: 400 | 413; body: { statusCode: 400 | 413; message: string; errors: FieldError[] } };

/**
 * `POST /v1/users`: ingests the valid people of a request and dead-letters the invalid ones (stage
 * `ingestion`) in the same batch, so one bad person never refuses the good ones and the audit's account of
 * the batch still adds up. Each dead letter holds the person wrapped in the users.raw envelope it would have
 * had, with its event id, so `sparkflow dlq replay` publishes the corrected record as it stands.
 */
export class PushUsersUseCase {
  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly producer: EventProducer,
    private readonly limits: PushLimits,
    /** Told the failure code of each dead letter once the broker acknowledged them (the metrics). */
    private readonly deadLettered: (codes: readonly string[]) => void = () => undefined,
  ) {}

  async execute(body: unknown): Promise<PushOutcome> {
    const parsed = parsePushBody(body, this.limits);
    if (!parsed.ok) {
      return {
        status: parsed.status,
        body: { statusCode: parsed.status, message: parsed.message, errors: parsed.errors },
      };
    }
    const { users, rejected } = parsed;
    const receipt = await this.ingest.execute({ users, source: 'http-push' }, users.length + rejected.length);
    const deadLetters = rejected.map((r) => deadLetterOf(r, receipt.batchId));
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
          reasons: r.reasons,
        })),
      },
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function deadLetterOf(r: RejectedPerson, batchId: string) {
  const now = new Date().toISOString();
  const key = r.loginUuid !== null && UUID.test(r.loginUuid) ? r.loginUuid.toLowerCase() : null;
  const original: Omit<RawUserEvent, 'payload'> & { payload: unknown } = {
    eventId: randomUUID(),
    schemaVersion: SCHEMA_VERSION,
    source: 'http-push',
    batchId,
    producedAt: now,
    payload: r.person,
  };
  const event: DeadLetterEvent = {
    eventId: randomUUID(),
    schemaVersion: SCHEMA_VERSION,
    source: 'http-push',
    batchId,
    producedAt: now,
    payload: {
      stage: 'ingestion',
      reasons: r.reasons.map((e) => ({
        code: SparkflowErrorCode.SchemaInvalid,
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
