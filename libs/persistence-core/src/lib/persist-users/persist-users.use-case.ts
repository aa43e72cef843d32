import { EnrichedUserEvent, SCHEMA_VERSION, TOPICS, type PersistedEvent } from '@sparkflow/contracts';
import {
  type EventProducer,
  type InboundMessage,
  type MessageOutcome,
  OK,
  failed,
  inRecord,
  mapByKey,
  parseEvent,
} from '@sparkflow/kafka';
import { fromCassandraError } from '@sparkflow/cassandra';
import { SpanKind, contextFromHeaders, inSpan } from '@sparkflow/telemetry';
import type { UsersRepository } from '../users/users.repository';

/**
 * users.enriched → Cassandra → users.persisted. The acknowledgement is produced only after the
 * user's rows are written, and the batch's offsets are committed only after the acknowledgements are.
 */
export class PersistUsersUseCase {
  constructor(
    private readonly users: UsersRepository,
    private readonly producer: EventProducer,
    private readonly concurrency = 32,
    /** Told the ingestion time of each event written (for the ingest → persisted latency metric). */
    private readonly onWritten: (ingestedAt: string) => void = () => undefined,
  ) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    const written: { event: PersistedEvent; trace: Readonly<Record<string, string>> }[] = [];
    const outcomes = await mapByKey(
      messages,
      (m) => m.key,
      this.concurrency,
      // Each record is worked in its own context: whatever is logged meanwhile carries its trace and ids.
      (m) =>
        inRecord(m, async (): Promise<MessageOutcome> => {
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
            // From the driver's typed errors: an invalid request is dead-lettered at once, an outage waited out.
            return failed(fromCassandraError(cause, 'Cassandra write failed'));
          }
          this.onWritten(event.producedAt);
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
                enriched: { partition: m.partition, offset: m.offset, producedAt: event.producedAt },
              },
            },
          });
          return OK;
        }),
    );
    // If this send fails the whole batch is retried: upserts are idempotent, acks are deduplicated by the audit.
    await this.producer.send(
      TOPICS.usersPersisted,
      written.map(({ event, trace }) => ({ key: event.payload.userId, event, headers: { ...trace } })),
    );
    return outcomes;
  }
}
