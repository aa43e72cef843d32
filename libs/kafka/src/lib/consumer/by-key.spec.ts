import { setTimeout as sleep } from 'node:timers/promises';
import { mapByKey } from './by-key';

describe('mapByKey', () => {
  it('keeps the order of items that share a key and returns results in input order', async () => {
    const items = [
      { key: 'a', n: 1, delay: 30 },
      { key: 'b', n: 2, delay: 1 },
      { key: 'a', n: 3, delay: 1 },
      { key: 'b', n: 4, delay: 1 },
    ];
    const started: number[] = [];
    const results = await mapByKey(
      items,
      (i) => i.key,
      4,
      async (i) => {
        started.push(i.n);
        await sleep(i.delay);
        return i.n * 10;
      },
    );
    expect(results).toEqual([10, 20, 30, 40]);
    expect(started.indexOf(3)).toBeGreaterThan(started.indexOf(1));
    expect(started.indexOf(4)).toBeGreaterThan(started.indexOf(2));
  });

  it('never runs more than `concurrency` items at once', async () => {
    let inFlight = 0;
    let peak = 0;
    await mapByKey(
      Array.from({ length: 20 }, (_, i) => i),
      (i) => String(i),
      3,
      async () => {
        peak = Math.max(peak, ++inFlight);
        await sleep(2);
        inFlight--;
      },
    );
    expect(peak).toBe(3);
  });
});
