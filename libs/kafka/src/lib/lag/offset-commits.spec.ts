import { committedSince, offsetsPartitionFor, parseOffsetCommit } from './offset-commits';

const str = (s: string) => {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s), 0);
  b.write(s, 2);
  return b;
};
const key = (version: number, group: string, topic: string, partition: number) => {
  const v = Buffer.alloc(2);
  v.writeInt16BE(version, 0);
  const p = Buffer.alloc(4);
  p.writeInt32BE(partition, 0);
  return Buffer.concat([v, str(group), str(topic), p]);
};
const value = (offset: bigint) => {
  const b = Buffer.alloc(30);
  b.writeInt16BE(3, 0);
  b.writeBigInt64BE(offset, 2);
  return b;
};

describe('__consumer_offsets records', () => {
  it('places a group on the partition the broker computes from its name', () => {
    // Java: Math.abs("sparkflow-enrichment".hashCode()) % 50
    expect(offsetsPartitionFor('sparkflow-enrichment', 50)).toBe(Math.abs(-1297621659) % 50);
    expect(offsetsPartitionFor('', 3)).toBe(0);
  });

  it('reads the group, topic, partition and offset of a commit', () => {
    expect(parseOffsetCommit(key(1, 'g', 'users.raw', 4), value(42n))).toEqual({
      groupId: 'g',
      topic: 'users.raw',
      partition: 4,
      offset: 42n,
    });
    expect(parseOffsetCommit(key(1, 'g', 'users.raw', 4), null)?.offset).toBeNull();
  });

  it('ignores group metadata and damaged keys', () => {
    expect(parseOffsetCommit(key(2, 'g', 'users.raw', 4), value(1n))).toBeNull();
    expect(parseOffsetCommit(Buffer.from([0, 1, 0, 9, 65]), value(1n))).toBeNull();
    expect(parseOffsetCommit(null, null)).toBeNull();
  });

  it('dates a committed offset from its first commit, not from later commits of the same offset', () => {
    const c = (offset: bigint, partition = 0) => ({ groupId: 'g', topic: 't', partition, offset });
    const since = committedSince([
      { commit: c(5n), timestampMs: 100 },
      { commit: c(9n), timestampMs: 200 },
      { commit: c(9n), timestampMs: 300 },
      { commit: c(1n, 1), timestampMs: 250 },
    ]);
    expect(since.get('t:0')).toEqual({ offset: 9n, sinceMs: 200 });
    expect(since.get('t:1')).toEqual({ offset: 1n, sinceMs: 250 });
  });
});
