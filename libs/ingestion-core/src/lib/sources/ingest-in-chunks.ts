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
}

export interface ChunkedReceipt {
  batchId: string;
  accepted: number;
}

/** Produces a batch chunk by chunk, each acknowledged by Kafka before the next is made. */
export async function ingestInChunks(
  ingest: IngestUsersUseCase,
  b: ChunkedBatch,
  onChunk: (accepted: number) => void = () => undefined,
): Promise<ChunkedReceipt> {
  let accepted = 0;
  for await (const users of b.chunks) {
    const receipt = await ingest.execute({ users, source: b.source, batchId: b.batchId }, b.total);
    accepted += receipt.accepted;
    onChunk(accepted);
  }
  return { batchId: b.batchId, accepted };
}

/** `count` people in slices of `chunk`: `make(from, n)` returns people from..from+n-1. */
export function* slices<T>(
  count: number,
  make: (from: number, n: number) => T[],
  chunk = GENERATION_CHUNK,
): Generator<T[]> {
  for (let from = 0; from < count; from += chunk) yield make(from, Math.min(chunk, count - from));
}
