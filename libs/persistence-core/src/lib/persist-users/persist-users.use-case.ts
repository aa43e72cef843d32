import {
  EVENT_TIME_MAX_SKEW_MS_DEFAULT,
  EnrichedUserEvent,
  SCHEMA_VERSION,
  SparkflowErrorCode,
  TOPICS,
  eventTimeProblem,
  recordTimeMicros,
  wallClockMicros,
  type PersistedEvent,
} from '@sparkflow/contracts';
import {
  type EventProducer,
  type InboundMessage,
  appendedAtOf,
  type MessageOutcome,
  OK,
  SparkflowException,
  failed,
  mapByKey,
  parseEvent,
} from '@sparkflow/kafka';
import { fromCassandraError } from '@sparkflow/cassandra';
import { SpanKind, contextFromHeaders, inSpan, sampledInHeaders } from '@sparkflow/telemetry';
import { estimatedWriteBytes, type UserWrite, type UsersRepository } from '../users/users.repository';
import { type ChunkLimits, writeRounds } from './write-chunks';

/** A record that parsed, waiting for its write. */
interface Pending {
  index: number;
  message: InboundMessage;
  event: EnrichedUserEvent;
  write: UserWrite;
}

/**
 * Users per Cassandra batch, and the estimated bytes of one (`estimatedWriteBytes`): under the
 * `batch_size_warn_threshold` and `unlogged_batch_across_partitions_warn_threshold` the Cassandra
 * configurations in deploy/ set (48 KiB, 64 partitions; each user is at most two partitions).
 */
export const WRITE_CHUNK_LIMITS: ChunkLimits = { maxRecords: 16, maxBytes: 32 * 1024 };

/**
 * How far ahead of when the broker took a record its event time may be, and the clock (microseconds since
 * the epoch) a record without a broker timestamp is judged against.
 */
export interface EventTimeBound {
  maxSkewMs: number;
  nowMicros: () => bigint;
}

/**
 * users.enriched → Cassandra → users.persisted. The acknowledgement is produced only after the
 * user's rows are written, and the batch's offsets are committed only after the acknowledgements are.
 * A Kafka batch's users are written several to an UNLOGGED Cassandra batch (ADR 0012); each record's
 * outcome stays its own. A record whose event time is further ahead of when the broker took it than the
 * bound allows (`recordTimeMicros`) is dead-lettered (SEMANTIC_INVALID at `producedAt`) and never written: written as the write timestamp
 * of its cells, it would outrank every true version of the person until that time.
 */
export class PersistUsersUseCase {
  constructor(
    private readonly users: UsersRepository,
    private readonly producer: EventProducer,
    /** Records being written at once (in batches of up to `limits.maxRecords`). */
    private readonly concurrency = 32,
    /** Told the ingestion time and source of each event written (for the ingest → persisted latency metric). */
    private readonly onWritten: (ingestedAt: string, source: string) => void = () => undefined,
    private readonly limits: ChunkLimits = WRITE_CHUNK_LIMITS,
    private readonly eventTime: EventTimeBound = {
      maxSkewMs: EVENT_TIME_MAX_SKEW_MS_DEFAULT,
      nowMicros: wallClockMicros,
    },
  ) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    const outcomes = new Array<MessageOutcome>(messages.length);
    const pending: Pending[] = [];
    const nowMicros = this.eventTime.nowMicros();
    messages.forEach((m, index) => {
      try {
        const event = parseEvent(EnrichedUserEvent, m);
        const ahead = eventTimeProblem(
          event.producedAt,
          recordTimeMicros(m.timestamp, nowMicros),
          this.eventTime.maxSkewMs,
        );
        if (ahead) {
          outcomes[index] = failed(new SparkflowException(ahead.code, ahead.message, { reasons: [ahead] }));
          return;
        }
        const write = {
          user: event.payload,
          source: event.source,
          batchId: event.batchId,
          eventId: event.eventId,
          producedAt: event.producedAt,
        };
        pending.push({ index, message: m, event, write });
      } catch (error) {
        outcomes[index] = failed(error);
      }
    });
    const written: { event: PersistedEvent; trace: Readonly<Record<string, string>> }[] = [];
    const chunksAtOnce = Math.max(1, Math.ceil(this.concurrency / this.limits.maxRecords));
    const rounds = writeRounds(
      pending,
      (p) => p.message.key,
      (p) => estimatedWriteBytes(p.write),
      this.limits,
    );
    for (const round of rounds) {
      await mapByKey(
        round,
        () => null,
        chunksAtOnce,
        async (chunk) => {
          const results = await this.writeChunk(chunk);
          const writtenAt = new Date().toISOString();
          chunk.forEach(({ index, message: m, event }, i) => {
            outcomes[index] = results[i];
            if (results[i] !== OK) return;
            this.onWritten(event.producedAt, event.source);
            written.push({
              trace: m.traceHeaders,
              event: {
                eventId: event.eventId,
                schemaVersion: SCHEMA_VERSION,
                source: event.source,
                batchId: event.batchId,
                producedAt: writtenAt,
                payload: {
                  userId: event.payload.userId,
                  enrichedEventId: event.eventId,
                  writtenAt,
                  enriched: {
                    partition: m.partition,
                    offset: m.offset,
                    producedAt: event.producedAt,
                    appendedAt: appendedAtOf(m)?.toISOString() ?? null,
                  },
                },
              },
            });
          });
        },
      );
    }
    // If this send fails the whole batch is retried: upserts are idempotent, acks are deduplicated by the audit.
    await this.producer.send(
      TOPICS.usersPersisted,
      written.map(({ event, trace }) => ({ key: event.payload.userId, event, headers: { ...trace } })),
    );
    return outcomes;
  }

  /**
   * One batch for the chunk. Cassandra refusing the batch says one of its statements is refused, not
   * which: each record is then written alone, so only the refused one is dead-lettered (with its own
   * reason) and the others are written and acknowledged. An outage fails every record of the chunk as
   * retriable, from the driver's typed errors.
   */
  private async writeChunk(chunk: readonly Pending[]): Promise<MessageOutcome[]> {
    try {
      await this.traced(chunk, () => this.users.upsertMany(chunk.map((p) => p.write)));
      return chunk.map(() => OK);
    } catch (cause) {
      const error = fromCassandraError(cause, 'Cassandra write failed');
      if (chunk.length === 1 || error.code !== SparkflowErrorCode.CassandraRejected)
        return chunk.map(() => failed(error));
    }
    return Promise.all(
      chunk.map(async (p) => {
        try {
          await this.traced([p], () => this.users.upsert(p.write));
          return OK;
        } catch (cause) {
          return failed(fromCassandraError(cause, 'Cassandra write failed'));
        }
      }),
    );
  }

  /** An `upsert users` span in the trace of each sampled record of the chunk; none for the others. */
  private traced(chunk: readonly Pending[], write: () => Promise<void>): Promise<void> {
    return chunk
      .filter((p) => sampledInHeaders(p.message.traceHeaders) === true)
      .reduce<() => Promise<void>>(
        (inner, p) => () =>
          inSpan('upsert users', SpanKind.CLIENT, contextFromHeaders(p.message.traceHeaders), inner),
        write,
      )();
  }
}
