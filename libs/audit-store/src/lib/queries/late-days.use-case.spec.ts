import { LateDaysUseCase } from './late-days.use-case';

describe('the late-days check', () => {
  const now = new Date('2026-12-04T10:00:10.000Z');
  const hour = { from: '2026-12-04T09:00:00Z', to: '2026-12-04T10:00:00Z' };
  const day = { day: '2026-11-30', events: 2, lastAppendedAt: '2026-12-04T09:59:59.999Z' };

  it("asks where the audit's consumer stands before it reads the terminal rows", async () => {
    const asked: string[] = [];
    const check = new LateDaysUseCase(
      {
        terminalDaysAppendedIn: async () => {
          asked.push('rows');
          return [day];
        },
      },
      async () => {
        asked.push('consumer');
        return 0;
      },
      () => now,
    );
    expect(await check.execute(hour)).toEqual({
      from: '2026-12-04T09:00:00.000Z',
      to: '2026-12-04T10:00:00.000Z',
      complete: true,
      behind: 0,
      days: [day],
      checkedAt: '2026-12-04T10:00:10.000Z',
    });
    // A record the consumer reads between the two is then among the rows read, never missed by both.
    expect(asked).toEqual(['consumer', 'rows']);
  });

  it('is complete only when the interval ended and nothing appended before its end is unread', async () => {
    const answer = (behind: number, to: string) =>
      new LateDaysUseCase(
        { terminalDaysAppendedIn: async () => [] },
        async () => behind,
        () => now,
      ).execute({ from: hour.from, to });
    expect(await answer(0, hour.to)).toMatchObject({ complete: true, behind: 0 });
    expect((await answer(0, '2026-12-04T10:00:10.000Z')).complete).toBe(true);
    expect((await answer(0, '2026-12-04T10:00:10.001Z')).complete).toBe(false);
    expect(await answer(3, hour.to)).toMatchObject({ complete: false, behind: 3 });
  });
});
