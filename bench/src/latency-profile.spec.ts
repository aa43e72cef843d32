import { CoresOver, profileLatency, profileLine, type Journey } from './latency-profile';

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
    expect(p.stageCores).toEqual({ steady: 1, bursty: 0.5 });
    expect(p.slowestCores).toEqual({ steady: 1, bursty: 2 });
    expect(p.stagePressure).toEqual({ cpu: 0.31, io: null });
    expect(p.slowestPressure).toEqual({ cpu: 0.5, io: null });
    expect(profileLine(p)).toBe(
      'Where the slowest 1 % (2 records, ≥ 4,000 ms) waited, in cores used while they were in flight against ' +
        "the stage's mean: bursty 2.00 (0.50), steady 1.00 (1.00); all 3.00 (1.50). " +
        'Some task waited for a CPU 50 % of that time (31 %), for I/O — (—).',
    );
  });

  it('refuses a stage with no persisted record, and a timeline of one sample', () => {
    expect(() => profileLatency(timeline(), [])).toThrow('no journeys');
    expect(() => new CoresOver(['x'], [{ atMs: T0, seconds: [0] }])).toThrow('two samples');
  });
});
