import { behindBefore } from './behind-at';

describe('records a group has still to read among those appended before a time', () => {
  it('counts from the committed offset up to the first record at or after the time', () => {
    expect(behindBefore(4n, 0n, 10n)).toBe(6n);
  });

  it('is zero once the group committed past that record, whatever was appended after it', () => {
    expect(behindBefore(10n, 0n, 10n)).toBe(0n);
    expect(behindBefore(25n, 0n, 10n)).toBe(0n);
  });

  it('counts every retained record before the time when nothing is committed (-1)', () => {
    expect(behindBefore(-1n, 3n, 10n)).toBe(7n);
  });

  it('counts from the oldest retained record when the committed ones expired', () => {
    expect(behindBefore(2n, 5n, 10n)).toBe(5n);
  });
});
