import { backoffMs, DEFAULT_RETRY } from './batch-consumer';

describe('backoffMs', () => {
  it('doubles per attempt within half and all of the ceiling, and stops growing at the maximum', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3].map((a) => backoffMs(DEFAULT_RETRY, a, low))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((a) => backoffMs(DEFAULT_RETRY, a, high))).toEqual([200, 400, 800]);
    expect(backoffMs(DEFAULT_RETRY, 20, high)).toBe(DEFAULT_RETRY.maxBackoffMs);
  });
});
