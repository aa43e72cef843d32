import { writeRounds } from './write-chunks';

interface Item {
  key: string | null;
  bytes: number;
  n: number;
}
const item = (n: number, key: string | null, bytes = 10): Item => ({ key, bytes, n });
const rounds = (items: Item[], maxRecords: number, maxBytes: number) =>
  writeRounds(
    items,
    (i) => i.key,
    (i) => i.bytes,
    { maxRecords, maxBytes },
  ).map((round) => round.map((chunk) => chunk.map((i) => i.n)));

describe('writeRounds', () => {
  it('fills chunks in order up to the record limit', () => {
    const items = [1, 2, 3, 4, 5].map((n) => item(n, `k${n}`));
    expect(rounds(items, 2, 1000)).toEqual([[[1, 2], [3, 4], [5]]]);
  });

  it('closes a chunk before the record that would pass the byte limit, and puts an oversized record alone', () => {
    const items = [item(1, 'a', 40), item(2, 'b', 40), item(3, 'c', 30), item(4, 'd', 500), item(5, 'e', 10)];
    expect(rounds(items, 10, 100)).toEqual([[[1, 2], [3], [4], [5]]]);
  });

  it('writes the records of one key in successive rounds, in their order', () => {
    const items = [item(1, 'a'), item(2, 'b'), item(3, 'a'), item(4, 'a'), item(5, 'c'), item(6, 'b')];
    expect(rounds(items, 10, 1000)).toEqual([[[1, 2, 5]], [[3, 6]], [[4]]]);
  });

  it('keeps keyless records in the first round: they have no order to keep', () => {
    const items = [item(1, null), item(2, null), item(3, 'a'), item(4, 'a')];
    expect(rounds(items, 10, 1000)).toEqual([[[1, 2, 3]], [[4]]]);
  });

  it('has no round for no records', () => {
    expect(rounds([], 4, 100)).toEqual([]);
  });
});
