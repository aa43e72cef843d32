import { describeUnreached, unreached } from './topic-reader';

describe('a topic read to its end offsets', () => {
  const ends = new Map([
    [0, 40],
    [1, 0],
    [2, 9],
    [3, 5],
  ]);

  it('is over once every partition is at its end, an empty one from the start', () => {
    expect(
      unreached(
        ends,
        new Map([
          [0, 40],
          [2, 9],
          [3, 5],
        ]),
      ),
    ).toEqual([]);
  });

  it('names each partition short of its end with where it is, in partition order', () => {
    const positions = new Map([
      [3, 5],
      [0, 12],
    ]);
    expect(unreached(ends, positions)).toEqual([0, 2]);
    expect(describeUnreached(ends, positions)).toBe(
      'partition 0 at offset 12 of 40, partition 2 at offset 0 of 9',
    );
  });
});
