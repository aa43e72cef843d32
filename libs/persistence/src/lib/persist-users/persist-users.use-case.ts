import {
  EnrichedUserEvent,
  SCHEMA_VERSION,
  SparkflowErrorCode,
  TOPICS,
  type PersistedEvent,
} from '@sparkflow/contracts';
import {
  type EventProducer,
  type InboundMessage,
  type MessageOutcome,
  OK,
  SparkflowException,
  failed,
  mapByKey,
  parseEvent,
} from '@sparkflow/kafka';
import { SpanKind, contextFromHeaders, inSpan } from '@sparkflow/telemetry';
import type { UsersRepository } from '../users/users.repository';

const CASSANDRA_OUTAGE =
  /NoHostAvailable|OperationTimedOut|Unavailable|WriteTimeout|ECONNREFUSED|Connection/i;

/**
 * users.enriched → Cassandra → users.persisted. The acknowledgement is produced only after the
 * user's rows are written, and the batch's offsets are committed only after the acknowledgements are.
 */
export class PersistUsersUseCase {
  constructor(
    private readonly users: UsersRepository,
    private readonly producer: EventProducer,
    private readonly concurrency = 32,
  ) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    const written: { event: PersistedEvent; trace: Readonly<Record<string, string>> }[] = [];
    const outcomes = await mapByKey(
      messages,
      (m) => m.key,
      this.concurrency,
      async (m) => {
        let event: EnrichedUserEvent;
        try {
          event = parseEvent(EnrichedUserEvent, m);
        } catch (error) {
          return failed(error);
        }
        try {
          const write = {
            user: event.payload,
            source: event.source,
            batchId: event.batchId,
            eventId: event.eventId,
            producedAt: event.producedAt,
          };
          await inSpan('upsert users', SpanKind.CLIENT, contextFromHeaders(m.traceHeaders), () =>
            this.users.upsert(write),
          );
        } catch (cause) {
          const code = CASSANDRA_OUTAGE.test(
            String((cause as Error)?.name) + String((cause as Error)?.message),
          )
            ? SparkflowErrorCode.CassandraUnavailable
            : SparkflowErrorCode.Unknown;
          return failed(
            new SparkflowException(code, `Cassandra write failed: ${(cause as Error).message}`, { cause }),
          );
        }
        written.push({
          trace: m.traceHeaders,
          event: {
            eventId: event.eventId,
            schemaVersion: SCHEMA_VERSION,
            source: event.source,
            batchId: event.batchId,
            producedAt: new Date().toISOString(),
            payload: {
              userId: event.payload.userId,
              enrichedEventId: event.eventId,
              writtenAt: new Date().toISOString(),
            },
          },
        });
        return OK;
      },
    );
    // If this send fails the whole batch is retried: upserts are idempotent, acks are deduplicated by the audit.
    await this.producer.send(
      TOPICS.usersPersisted,
      written.map(({ event, trace }) => ({ key: event.payload.userId, event, headers: { ...trace } })),
    );
    return outcomes;
  }
}
