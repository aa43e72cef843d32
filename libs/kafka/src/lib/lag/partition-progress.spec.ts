import { PartitionProgress } from './partition-progress';

const at = (committed: bigint, high: bigint, oldestUnreadTimestampMs: number | null = null) => ({
  topic: 'users.raw',
  partition: 2,
  committed,
  low: 0n,
  high,
  oldestUnreadTimestampMs,
});

describe('PartitionProgress', () => {
  it('reports a partition stalled once records waited behind an unmoved committed offset for the set time', () => {
    const p = new PartitionProgress(60_000);
    expect(p.observe(at(10n, 15n), 0).stalled).toBe(false);
    expect(p.observe(at(10n, 15n), 30_000)).toMatchObject({ lag: 5, stalled: false, stalledForMs: 30_000 });
    expect(p.observe(at(10n, 16n), 61_000)).toMatchObject({ lag: 6, stalled: true, stalledForMs: 61_000 });
  });

  it('starts the clock again when the committed offset moves', () => {
    const p = new PartitionProgress(60_000);
    p.observe(at(10n, 15n), 0);
    expect(p.observe(at(12n, 15n), 59_000)).toMatchObject({ stalled: false, stalledForMs: 0 });
    expect(p.observe(at(12n, 15n), 100_000).stalled).toBe(false);
    expect(p.observe(at(12n, 15n), 119_000).stalled).toBe(true);
  });

  it('is not stalled while caught up, however long the offset stands still', () => {
    const p = new PartitionProgress(60_000);
    p.observe(at(10n, 10n), 0);
    expect(p.observe(at(10n, 10n), 600_000)).toMatchObject({ lag: 0, lagSeconds: 0, stalled: false });
    // A record arrives after ten idle minutes: waiting starts now, not when the offset last moved.
    expect(p.observe(at(10n, 11n), 601_000)).toMatchObject({ stalled: false, stalledForMs: 0 });
  });

  it('takes the age from the oldest unread record when it is in hand, else at least the time seen waiting', () => {
    const p = new PartitionProgress(60_000);
    expect(p.observe(at(10n, 15n, 1000), 301_000)).toMatchObject({ lagSeconds: 300, lagSecondsExact: true });
    const q = new PartitionProgress(60_000);
    q.observe(at(10n, 15n), 0);
    expect(q.observe(at(10n, 15n), 20_000)).toMatchObject({ lagSeconds: 20, lagSecondsExact: false });
  });

  it('forgets partitions the member no longer owns', () => {
    const p = new PartitionProgress(60_000);
    p.observe(at(10n, 15n), 0);
    p.retain(new Set());
    expect(p.observe(at(10n, 15n), 90_000).stalled).toBe(false);
  });
});
