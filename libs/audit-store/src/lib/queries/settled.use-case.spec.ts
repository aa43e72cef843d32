import { SettledUseCase } from './settled.use-case';

describe('the settled check', () => {
  const now = new Date('2026-12-04T00:00:10.000Z');
  const day = { from: '2026-12-03T00:00:00Z', to: '2026-12-04T00:00:00Z' };

  it("asks where the audit's consumer stands before it counts the pending rows", async () => {
    const asked: string[] = [];
    const check = new SettledUseCase(
      {
        pendingIn: async () => {
          asked.push('rows');
          return { pending: 0, oldest: null };
        },
      },
      async () => {
        asked.push('consumer');
        return 0;
      },
      () => now,
    );
    expect((await check.execute(day)).settled).toBe(true);
    // A record the consumer reads between the two is then among the rows counted, never missed by both.
    expect(asked).toEqual(['consumer', 'rows']);
  });

  it('is settled only when the window ended, nothing is unread before its end and nothing is pending', async () => {
    const answer = (pending: number, behind: number, to: string) =>
      new SettledUseCase(
        { pendingIn: async () => ({ pending, oldest: null }) },
        async () => behind,
        () => now,
      ).execute({ from: day.from, to });
    expect((await answer(0, 0, day.to)).settled).toBe(true);
    expect((await answer(0, 0, '2026-12-04T00:00:10.000Z')).settled).toBe(true);
    expect((await answer(0, 0, '2026-12-04T00:00:10.001Z')).settled).toBe(false);
    expect((await answer(1, 0, day.to)).settled).toBe(false);
    expect((await answer(0, 1, day.to)).settled).toBe(false);
  });
});
