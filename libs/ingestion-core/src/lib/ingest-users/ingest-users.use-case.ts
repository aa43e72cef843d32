import { randomUUID } from 'node:crypto';
import {
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  formatEventTime,
  wallClockMicros,
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
  /**
   * The event id of the request's i-th person, for batches produced again after a crash (backfills):
   * the same person gets the same event id, so the audit counts a re-produced event once. Random otherwise.
   */
  eventIdAt?: (i: number) => string;
  /**
   * The event time (µs) of the request's i-th person, for batches produced again after a crash
   * (backfills): the same person gets the same time, so every cell Cassandra writes for it is the same.
   * From this process's event clock otherwise.
   */
  eventTimeAt?: (i: number) => bigint;
}

export interface IngestReceipt {
  batchId: string;
  accepted: number;
  eventIds: string[];
}

/**
 * Event times in microseconds, strictly increasing within this process: each call reserves one
 * microsecond per event, starting after the last one handed out and never before the wall clock
 * (`wallClockMicros`, the clock every process reads, so events of different processes order by when
 * they were made).
 * `producedAt` becomes the Cassandra write timestamp, so two events of one person never tie: a later
 * event in the same request, backfill or partition wins whole, instead of Cassandra merging two
 * versions cell by cell.
 */
export class EventClock {
  private last = 0n;

  constructor(private readonly nowMicros: () => bigint = wallClockMicros) {}

  /** The first of `count` consecutive microseconds reserved for one request's events. */
  reserve(count: number): bigint {
    const now = this.nowMicros();
    const first = now > this.last ? now : this.last + 1n;
    this.last = first + BigInt(Math.max(count, 1)) - 1n;
    return first;
  }
}

/** A batch id of `source` made now: unique, and readable as when and where it came from. */
export const newBatchId = (source: EventSource) =>
  `${source}-${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;

/** One clock per process: every request of this process draws from it. */
const PROCESS_CLOCK = new EventClock();

/**
 * People per send. The producer cuts a send whose records of one partition would not fit one record batch
 * (1 MiB), so this bounds what one send holds in memory, not its bytes.
 */
const CHUNK = 500;

/**
 * Wraps each user in the envelope and produces it to users.raw keyed by login.uuid, so one person's
 * events stay in order on one partition. Resolves only when the broker acknowledged every event.
 */
export class IngestUsersUseCase {
  constructor(
    private readonly producer: EventProducer,
    private readonly clock: EventClock = PROCESS_CLOCK,
  ) {}

  /**
   * `batchSize` is what the audit is told the whole batch holds (the `sparkflow-batch-size` header): a
   * batch produced in several calls, or one whose refused people are dead-lettered instead, declares its
   * full size on every call so the audit's `complete` waits for all of it.
   */
  async execute(req: IngestRequest, batchSize: number = req.users.length): Promise<IngestReceipt> {
    const batchId = req.batchId ?? newBatchId(req.source);
    // One distinct event time per event, in request order: the last version of a person in a request wins.
    const eventTimeAt = req.eventTimeAt ?? this.clockTimes(req.users.length);
    const events: RawUserEvent[] = req.users.map((payload, i) => ({
      eventId: req.eventIdAt?.(i) ?? randomUUID(),
      schemaVersion: SCHEMA_VERSION,
      source: req.source,
      batchId,
      producedAt: formatEventTime(eventTimeAt(i)),
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

  /**
   * The first of `count` microseconds of this process's event clock, for a request that fixes its event
   * times before producing them (a push with an Idempotency-Key, whose times are kept with the key).
   */
  reserveEventTimes(count: number): bigint {
    return this.clock.reserve(count);
  }

  private clockTimes(count: number): (i: number) => bigint {
    const first = this.clock.reserve(count);
    return (i) => first + BigInt(i);
  }
}
