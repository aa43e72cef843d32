import { CoresOver, CpuTimeline, profileLatency, profileLine, type Journey } from './latency-profile';
import type { StackProcess } from './stack-process';

const T0 = Date.parse('2026-12-01T06:00:00.000Z');
const at = (s: number) => T0 + s * 1000;

/**
 * 20 s sampled once a second: `steady` uses one core throughout; `bursty` uses none, except two cores
 * from 10 s to 15 s, while some task waits for a CPU half of the time (a quarter otherwise). I/O pressure is
 * not measured (a kernel without /proc/pressure/io).
 */
function timeline(): CoresOver {
  const samples = [];
  let bursty = 0;
  let cpuStalled = 0;
  for (let s = 0; s <= 20; s++) {
    samples.push({ atMs: at(s), seconds: [s, bursty, cpuStalled, Number.NaN] });
    const inBurst = s >= 10 && s < 15;
    bursty += inBurst ? 2 : 0;
    cpuStalled += inBurst ? 0.5 : 0.25;
  }
  return new CoresOver(['steady', 'bursty', 'pressure:cpu', 'pressure:io'], samples);
}

describe('CoresOver', () => {
  it('reads the mean cores of each process over a window, between samples too', () => {
    const cores = timeline();
    expect(cores.window(at(0), at(20)).slice(0, 3)).toEqual([1, 0.5, 0.3125]);
    expect(cores.window(at(10), at(15)).slice(0, 3)).toEqual([1, 2, 0.5]);
    // Half in the burst, half out of it.
    expect(cores.window(at(12.5), at(17.5)).slice(0, 2)).toEqual([1, 1]);
  });

  it('reads a window shorter than a sample as the sample around it, and clamps one outside the span', () => {
    const cores = timeline();
    expect(cores.window(at(12.2), at(12.2)).slice(0, 2)).toEqual([1, 2]);
    expect(cores.window(at(-5), at(30)).slice(0, 2)).toEqual([1, 0.5]);
  });
});

describe('CoresOver on uneven samples', () => {
  // Samples at 0, 0.5, 2 and 5 s; the process used 1 core, then 2, then none.
  const cores = new CoresOver(
    ['p'],
    [
      { atMs: at(0), seconds: [0] },
      { atMs: at(0.5), seconds: [0.5] },
      { atMs: at(2), seconds: [3.5] },
      { atMs: at(5), seconds: [3.5] },
    ],
  );

  it('weighs each part of a window by the time it covers', () => {
    // 0.25 s at 1 core, 1.5 s at 2 cores, 1 s at none: 3.25 CPU-s over 2.75 s.
    expect(cores.window(at(0.25), at(3))[0]).toBeCloseTo(3.25 / 2.75, 10);
    expect(cores.window(at(2), at(5))[0]).toBe(0);
  });
});

describe('CpuTimeline', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  const process = (name: string, cpu: () => Promise<number>) =>
    ({ name, cpuSeconds: cpu }) as unknown as StackProcess;

  it('samples every second and keeps a process that exited at what it had used', async () => {
    let calls = 0;
    // Uses a core for two samples, then exits: /proc has nothing more to say about it.
    const exiting = process('exiting', async () => {
      if (++calls > 3) throw new Error('ENOENT');
      return calls - 1;
    });
    const neverSeen = process('never-seen', () => Promise.reject(new Error('ENOENT')));
    // Pressure as a kernel without /proc/pressure reports it, answered at once.
    const timeline = await new CpuTimeline([exiting, neverSeen], 1000, async () => Number.NaN).start();
    await jest.advanceTimersByTimeAsync(4000);
    const cores = await timeline.stop();

    expect(cores.fromMs).toBe(T0);
    expect(cores.toMs).toBe(at(4));
    expect(cores.window(at(0), at(2)).slice(0, 2)).toEqual([1, 0]);
    expect(cores.window(at(2), at(4)).slice(0, 2)).toEqual([0, 0]);
    expect(cores.window(at(0), at(4)).slice(2).every(Number.isNaN)).toBe(true);
  });

  it('drops a sample taken in the same millisecond as the last, which would make a window of no length', async () => {
    const timeline = await new CpuTimeline([process('idle', async () => 1)], 1000, async () => 0).start();
    await expect(timeline.stop()).rejects.toThrow('two samples');
  });
});

describe('profileLatency', () => {
  it('names what the slowest 1 % queued behind: the process busy while they were in flight', () => {
    // 198 records of 100 ms outside the burst, 2 held for its whole length.
    const journeys: Journey[] = [];
    for (let i = 0; i < 198; i++) {
      const start = at(i % 2 === 0 ? 1 + (i / 198) * 8 : 16 + (i / 198) * 3);
      journeys.push({ ingestedMs: start, persistedMs: start + 100 });
    }
    journeys.push(
      { ingestedMs: at(10), persistedMs: at(15) },
      { ingestedMs: at(10.5), persistedMs: at(14.5) },
    );

    const p = profileLatency(timeline(), journeys);

    expect(p.slowestFromMs).toBe(4000);
    expect(p.slowestRecords).toBe(2);
    // Both ingested in second 10; the others in seconds 1–8 and 16–18.
    expect([p.slowestSeconds, p.stageSeconds]).toEqual([1, 12]);
    expect(p.stageCores).toEqual({ steady: 1, bursty: 0.5 });
    expect(p.slowestCores).toEqual({ steady: 1, bursty: 2 });
    expect(p.stagePressure).toEqual({ cpu: 0.31, io: null });
    expect(p.slowestPressure).toEqual({ cpu: 0.5, io: null });
    expect(profileLine(p)).toBe(
      "Where the slowest 1 % (2 records, ≥ 4,000 ms, ingested in 1 of the stage's 12 seconds) waited, in cores " +
        'used while they were in flight against ' +
        "the stage's mean: bursty 2.00 (0.50), steady 1.00 (1.00); all 3.00 (1.50). " +
        'Some task waited for a CPU 50 % of that time (31 %), for I/O — (—).',
    );
  });

  it('refuses a stage with no persisted record, and a timeline of one sample', () => {
    expect(() => profileLatency(timeline(), [])).toThrow('no journeys');
    expect(() => new CoresOver(['x'], [{ atMs: T0, seconds: [0] }])).toThrow('two samples');
  });
});
