import { tokenRanges } from './stored-users';

describe('tokenRanges', () => {
  it('cuts the whole Murmur3 ring into ranges that follow one another without gap or overlap', () => {
    const ranges = tokenRanges(12);
    expect(ranges).toHaveLength(12);
    expect(ranges[0].start).toBe(-(2n ** 63n));
    expect(ranges[11].end).toBe(2n ** 63n - 1n);
    for (const [i, range] of ranges.entries()) {
      expect(range.end).toBeGreaterThan(range.start);
      if (i > 0) expect(range.start).toBe(ranges[i - 1].end);
    }
  });

  it('is the whole ring in one range when asked for one', () => {
    expect(tokenRanges(1)).toEqual([{ start: -(2n ** 63n), end: 2n ** 63n - 1n }]);
  });
});
