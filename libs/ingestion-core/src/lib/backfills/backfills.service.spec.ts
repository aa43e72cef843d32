import { BackfillRequest, backfillBatchId, daysBetween } from './backfills.service';

describe('backfills', () => {
  it('lists every UTC day from `from` to `to`, both included, across a month end', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('names the same batch for the same seed and day, so a rerun is the same batch', () => {
    expect(backfillBatchId('s1', '2026-11-01')).toBe(backfillBatchId('s1', '2026-11-01'));
    expect(backfillBatchId('s1', '2026-11-01')).not.toBe(backfillBatchId('s2', '2026-11-01'));
  });

  it('rejects a range that runs backwards, naming `to`', () => {
    const r = BackfillRequest.safeParse({ from: '2026-11-03', to: '2026-11-01', perDay: 10 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['to']);
  });

  it('rejects a non-date and a non-positive per-day count', () => {
    const r = BackfillRequest.safeParse({ from: 'yesterday', to: '2026-11-01', perDay: 0 });
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['from', 'perDay']);
  });
});
