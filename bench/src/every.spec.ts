import { setTimeout as sleep } from 'node:timers/promises';
import { Every } from './every';

describe('Every', () => {
  it('runs one sample at a time, skips the ticks a slow sample spans, and stop waits for the one under way', async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    let done = 0;
    const every = new Every(2, async () => {
      started++;
      running++;
      most = Math.max(most, running);
      await sleep(20);
      running--;
      done++;
    }).start();
    while (done < 3) await sleep(5);
    await every.stop();
    // Ticks every 2 ms over at least 60 ms of 20-ms samples: without skipping, dozens would be queued.
    expect({ running, most, startedButNotDone: started - done }).toEqual({
      running: 0,
      most: 1,
      startedButNotDone: 0,
    });
    const after = done;
    await sleep(30);
    expect(done).toBe(after);
  });
});
