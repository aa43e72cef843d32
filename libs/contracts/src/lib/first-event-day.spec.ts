import fc from 'fast-check';
import { FIRST_EVENT_DAY_TIMESTAMP_BASE, firstEventDayTimestamp } from './first-event-day';

describe('firstEventDayTimestamp', () => {
  it('is the base at the epoch and 1 at the last microsecond of year 9999', () => {
    expect(firstEventDayTimestamp(0n)).toBe(FIRST_EVENT_DAY_TIMESTAMP_BASE);
    expect(firstEventDayTimestamp(BigInt(Date.UTC(10000, 0, 1)) * 1000n - 1n)).toBe(1n);
  });

  it('orders any two event times the other way round, so the earliest version has the highest timestamp', () => {
    const micros = fc.bigInt({ min: 0n, max: FIRST_EVENT_DAY_TIMESTAMP_BASE - 1n });
    fc.assert(
      fc.property(micros, micros, (a, b) => {
        const [ta, tb] = [firstEventDayTimestamp(a), firstEventDayTimestamp(b)];
        expect(ta > 0n && tb > 0n).toBe(true);
        expect(ta > tb).toBe(a < b);
        expect(ta === tb).toBe(a === b);
      }),
      { seed: 5, numRuns: 500 },
    );
  });

  it('refuses an event time before the epoch or after year 9999, naming it', () => {
    expect(() => firstEventDayTimestamp(-1n)).toThrow('event time -1 µs is outside');
    expect(() => firstEventDayTimestamp(FIRST_EVENT_DAY_TIMESTAMP_BASE)).toThrow(RangeError);
  });
});
