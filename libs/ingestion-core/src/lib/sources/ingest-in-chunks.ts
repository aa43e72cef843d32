import type { EventSource, RandomUser } from '@sparkflow/contracts';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';

/** People generated or fetched at a time: memory stays at one chunk whatever the request's count. */
export const GENERATION_CHUNK = 500;

export interface ChunkedBatch {
  source: EventSource;
  batchId: string;
  /** How many people the whole batch holds; every chunk declares it to the audit. */
  total: number;
  chunks: AsyncIterable<readonly RandomUser[]> | Iterable<readonly RandomUser[]>;
  /** The index in the batch of the chunks' first person (after a resume, how many were produced). Default 0. */
  startAt?: number;
  /** Event ids by a person's index in the batch (a backfill's `backfillEventId`); random when absent. */
  eventIdOf?: (index: number) => string;
  /** Event times (µs) by a person's index in the batch (a backfill's `backfillEventTime`); the clock's when absent. */
  eventTimeOf?: (index: number) => bigint;
}

export interface ChunkedReceipt {
  batchId: string;
  accepted: number;
}

/**
 * Produces a batch chunk by chunk, each acknowledged by Kafka before the next is made. `onChunk` hears
 * how many of the batch are produced so far (counting from `startAt`) and may stop the batch by
 * resolving false.
 */
export async function ingestInChunks(
  ingest: IngestUsersUseCase,
  b: ChunkedBatch,
  onChunk: (produced: number) => void | boolean | Promise<void | boolean> = () => undefined,
): Promise<ChunkedReceipt> {
  const startAt = b.startAt ?? 0;
  let accepted = 0;
  for await (const users of b.chunks) {
    const first = startAt + accepted;
    const { eventIdOf, eventTimeOf } = b;
    const receipt = await ingest.execute(
      {
        users,
        source: b.source,
        batchId: b.batchId,
        eventIdAt: eventIdOf && ((i) => eventIdOf(first + i)),
        eventTimeAt: eventTimeOf && ((i) => eventTimeOf(first + i)),
      },
      b.total,
    );
    accepted += receipt.accepted;
    if ((await onChunk(startAt + accepted)) === false) break;
  }
  return { batchId: b.batchId, accepted };
}

/** People `start`..`count - 1` in slices of `chunk`: `make(from, n)` returns people from..from+n-1. */
export function* slices<T>(
  count: number,
  make: (from: number, n: number) => T[],
  chunk = GENERATION_CHUNK,
  start = 0,
): Generator<T[]> {
  for (let from = start; from < count; from += chunk) yield make(from, Math.min(chunk, count - from));
}
