import { isStalled, lagMessages, lagSeconds, nextUnread, stalledForMs } from './lag';

describe('lag in messages', () => {
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
});

describe('lag in seconds', () => {
  const now = 1_000_000;

  it('is the age of the oldest unread record, however recent the newest one is', () => {
    // Stuck for five minutes on a record, with a record produced a moment ago behind it.
    expect(lagSeconds(now, now - 300_000, 2n)).toBe(300);
  });

  it('keeps growing while the consumer stays stuck and nothing new arrives', () => {
    expect(lagSeconds(now + 60_000, now - 300_000, 2n)).toBe(360);
  });

  it('is zero when caught up and unknown without the record', () => {
    expect(lagSeconds(now, now - 300_000, 0n)).toBe(0);
    expect(lagSeconds(now, null, 2n)).toBeNull();
  });

  it('never goes negative when a producer clock runs ahead', () => {
    expect(lagSeconds(now, now + 4000, 1)).toBe(0);
  });
});

describe('stall', () => {
  const now = 1_000_000;

  it('counts from the last move of the committed offset while records wait', () => {
    expect(stalledForMs(now, 5n, now - 90_000, now - 200_000)).toBe(90_000);
    expect(isStalled(90_000, 60_000)).toBe(true);
  });

  it('counts from the arrival of the oldest unread record when the group was idle before it', () => {
    expect(stalledForMs(now, 1n, now - 3_600_000, now - 5000)).toBe(5000);
    expect(isStalled(5000, 60_000)).toBe(false);
  });

  it('is never stalled without lag, and unknown without either time', () => {
    expect(stalledForMs(now, 0n, now - 90_000, now - 90_000)).toBeNull();
    expect(stalledForMs(now, 3n, null, null)).toBeNull();
    expect(isStalled(null, 60_000)).toBe(false);
  });
});
