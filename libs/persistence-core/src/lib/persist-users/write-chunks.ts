/** How many records, and how many estimated bytes, one Cassandra batch may carry. */
export interface ChunkLimits {
  maxRecords: number;
  maxBytes: number;
}

/**
 * Groups records into the batches they are written in. Rounds come first: round r holds the r-th record
 * of every key, and a round is written only after the one before it finished, so the records of one key
 * are written one after another, in their order, as `mapByKey` did. Within a round, records fill a chunk
 * in order until the next one would pass `maxRecords` or `maxBytes`; a record bigger than `maxBytes` on
 * its own is a chunk alone. Keyless records have no order to keep: they all go in the first round.
 */
export function writeRounds<T>(
  items: readonly T[],
  keyOf: (item: T) => string | null,
  bytesOf: (item: T) => number,
  limits: ChunkLimits,
): T[][][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    let round = 0;
    if (key !== null) {
      round = seen.get(key) ?? 0;
      seen.set(key, round + 1);
    }
    (rounds[round] ??= []).push(item);
  }
  return rounds.map((round) => chunksOf(round, bytesOf, limits));
}

function chunksOf<T>(items: readonly T[], bytesOf: (item: T) => number, limits: ChunkLimits): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (chunk.length > 0 && (chunk.length >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
