import { randomUUID } from 'node:crypto';
import {
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  type EventSource,
  type RandomUser,
  type RawUserEvent,
} from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';

export interface IngestRequest {
  users: readonly RandomUser[];
  source: EventSource;
  /** Given for reproducible batches (backfills); generated otherwise. */
  batchId?: string;
}

export interface IngestReceipt {
  batchId: string;
  accepted: number;
  eventIds: string[];
}

/** Kafka accepts at most ~1 MB per request by default; a few hundred users fit comfortably. */
const CHUNK = 500;

/**
 * Wraps each user in the envelope and produces it to users.raw keyed by login.uuid, so one person's
 * events stay in order on one partition. Resolves only when the broker acknowledged every event.
 */
export class IngestUsersUseCase {
  constructor(private readonly producer: EventProducer) {}

  /**
   * `batchSize` is what the audit is told the whole batch holds (the `sparkflow-batch-size` header): a
   * batch produced in several calls, or one whose refused people are dead-lettered instead, declares its
   * full size on every call so the audit's `complete` waits for all of it.
   */
  async execute(req: IngestRequest, batchSize: number = req.users.length): Promise<IngestReceipt> {
    const batchId = req.batchId ?? `${req.source}-${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
    const producedAt = new Date().toISOString();
    const events: RawUserEvent[] = req.users.map((payload) => ({
      eventId: randomUUID(),
      schemaVersion: SCHEMA_VERSION,
      source: req.source,
      batchId,
      producedAt,
      payload,
    }));
    for (let i = 0; i < events.length; i += CHUNK) {
      await this.producer.send(
        TOPICS.usersRaw,
        events.slice(i, i + CHUNK).map((event) => ({
          key: event.payload.login.uuid.toLowerCase(),
          event,
          headers: { [HEADERS.batchSize]: String(batchSize) },
        })),
      );
    }
    return { batchId, accepted: events.length, eventIds: events.map((e) => e.eventId) };
  }
}
