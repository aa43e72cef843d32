import { lagMessages, lagSeconds, nextUnread } from './lag';

describe('lag arithmetic', () => {
  it('counts the records between the committed offset and the end', () => {
    expect(lagMessages(4n, 0n, 10n)).toBe(6n);
    expect(nextUnread(4n, 0n, 10n)).toBe(4n);
  });

  it('is zero when the group is caught up', () => {
    expect(lagMessages(10n, 0n, 10n)).toBe(0n);
    expect(nextUnread(10n, 0n, 10n)).toBeNull();
  });

  it('counts every retained record when nothing is committed (-1)', () => {
    expect(lagMessages(-1n, 3n, 10n)).toBe(7n);
    expect(nextUnread(-1n, 3n, 10n)).toBe(3n);
  });

  it('counts from the oldest retained record when the committed ones expired', () => {
    expect(lagMessages(2n, 5n, 10n)).toBe(5n);
    expect(nextUnread(2n, 5n, 10n)).toBe(5n);
  });

  it('measures time lag from the first unread record to the newest', () => {
    expect(lagSeconds(10_000, 4_000, 6n)).toBe(6);
    expect(lagSeconds(10_000, 4_000, 0n)).toBe(0);
    expect(lagSeconds(null, 4_000, 6n)).toBeNull();
    // Producers may set timestamps out of order; lag never goes negative.
    expect(lagSeconds(1_000, 4_000, 2n)).toBe(0);
  });
});
