/**
 * The group coordinator's own record of commits: every offset commit is a record on `__consumer_offsets`
 * whose timestamp is the time of the commit. Burrow reads it to tell a stopped consumer from a slow one;
 * `sparkflow topics describe` reads the tail of the group's partition to learn since when each
 * committed offset has stood still.
 */

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode over UTF-16 code units, as the broker computes it. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The `__consumer_offsets` partition that holds a group's commits (Kafka: abs(hashCode) % partitions). */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const h = javaHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

export interface OffsetCommit {
  groupId: string;
  topic: string;
  partition: number;
  /** Null for a tombstone (the offset was deleted). */
  offset: bigint | null;
}

/**
 * An offset-commit record of `__consumer_offsets` (key versions 0 and 1), or null for the other kinds
 * (group metadata, the newer consumer-group records). Only the key and the value's first field (the
 * offset, the same in every value version) are read.
 */
export function parseOffsetCommit(key: Buffer | null, value: Buffer | null): OffsetCommit | null {
  if (!key || key.length < 2) return null;
  const version = key.readInt16BE(0);
  if (version !== 0 && version !== 1) return null;
  let at = 2;
  const str = () => {
    const len = key.readInt16BE(at);
    const s = key.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    return s;
  };
  try {
    const groupId = str();
    const topic = str();
    const partition = key.readInt32BE(at);
    const offset = value && value.length >= 10 ? value.readBigInt64BE(2) : null;
    return { groupId, topic, partition, offset };
  } catch {
    return null; // a key shorter than it says: not one of ours to judge
  }
}

/**
 * Since when each partition's committed offset has held its current value, from a group's commits in
 * log order (`timestampMs` is the record's, the time of the commit): the first commit of the latest run
 * of equal offsets. Keyed `topic:partition`.
 */
export function committedSince(
  commits: Iterable<{ commit: OffsetCommit; timestampMs: number }>,
): Map<string, { offset: bigint | null; sinceMs: number }> {
  const out = new Map<string, { offset: bigint | null; sinceMs: number }>();
  for (const { commit, timestampMs } of commits) {
    const key = `${commit.topic}:${commit.partition}`;
    const prev = out.get(key);
    if (!prev || prev.offset !== commit.offset) out.set(key, { offset: commit.offset, sinceMs: timestampMs });
  }
  return out;
}
