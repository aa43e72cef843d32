import { readFile } from 'node:fs/promises';
import { Every } from './every';
import type { PidFileName, StackProcess } from './stack-process';

/** Linux's pressure stall information: the share of time some task waited for a CPU, or for I/O. */
const PRESSURE = ['cpu', 'io'] as const;
type Pressure = (typeof PRESSURE)[number];
const PRESSURE_SERIES = PRESSURE.map((r) => `pressure:${r}`);

/** Seconds some task has stalled on `resource` since boot (`some … total=` is in µs); NaN without PSI. */
async function stalledSeconds(resource: Pressure): Promise<number> {
  try {
    const m = /^some .*total=(\d+)/m.exec(await readFile(`/proc/pressure/${resource}`, 'utf8'));
    return m ? Number(m[1]) / 1e6 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The cumulative CPU seconds of each process at one wall-clock instant. */
interface CpuSample {
  atMs: number;
  seconds: number[];
}

/** One record's way through the pipeline, in wall-clock ms: ingested (users.raw) → persisted (its ack). */
export interface Journey {
  ingestedMs: number;
  persistedMs: number;
}

/**
 * Where the slowest records waited. Cores are CPU-seconds per second (2 = both cores of a two-core
 * machine), read from /proc once a second while the latency stage ran.
 */
export interface LatencyProfile {
  /** The latency at and above which a record counts among the slowest 1 % (the stage's p99). */
  slowestFromMs: number;
  slowestRecords: number;
  /**
   * In how many distinct seconds of the wall clock the slowest records were ingested, against the seconds
   * in which any record was: a few seconds point at one event (a flush, a compaction), many at the load.
   */
  slowestSeconds: number;
  stageSeconds: number;
  /** Mean cores each process used over the whole stage. */
  stageCores: Record<PidFileName, number>;
  /** Mean cores each process used while the slowest records were in flight (over their journeys). */
  slowestCores: Record<PidFileName, number>;
  /**
   * The share of time some task of the machine waited for a CPU or for I/O (Linux PSI, `some`), over
   * the stage and over the slowest records' journeys; null where the kernel has no /proc/pressure.
   */
  stagePressure: Record<Pressure, number | null>;
  slowestPressure: Record<Pressure, number | null>;
}

/**
 * Samples the CPU of a set of processes, and the machine's CPU and I/O pressure, every `everyMs`, on the
 * wall clock the services stamp events with.
 */
export class CpuTimeline {
  private readonly samples: CpuSample[] = [];
  private readonly every: Every;

  constructor(
    private readonly procs: readonly StackProcess[],
    everyMs = 1000,
    private readonly stalled: (resource: Pressure) => Promise<number> = stalledSeconds,
  ) {
    this.every = new Every(everyMs, () => this.sample());
  }

  async start(): Promise<this> {
    await this.sample();
    this.every.start();
    return this;
  }

  /** Stops sampling (after one last sample) and returns the mean cores per process over any window. */
  async stop(): Promise<CoresOver> {
    await this.every.stop();
    await this.sample();
    return new CoresOver([...this.procs.map((p) => p.name), ...PRESSURE_SERIES], this.samples);
  }

  private async sample(): Promise<void> {
    const atMs = Date.now();
    const last = this.samples[this.samples.length - 1];
    // A sample in the same millisecond as the last one would make a window of no length.
    if (last && atMs <= last.atMs) return;
    const seconds = await Promise.all([
      // A process that exited (or was restarted under a new pid) is seen to use nothing more.
      ...this.procs.map((p, i) => p.cpuSeconds().catch(() => last?.seconds[i] ?? 0)),
      ...PRESSURE.map(this.stalled),
    ]);
    this.samples.push({ atMs, seconds });
  }
}

/** Mean cores each process used over a window of wall-clock time, interpolated between samples. */
export class CoresOver {
  constructor(
    readonly names: readonly PidFileName[],
    private readonly samples: readonly CpuSample[],
  ) {
    if (samples.length < 2) throw new Error('a CPU timeline needs at least two samples');
  }

  get fromMs(): number {
    return this.samples[0].atMs;
  }

  get toMs(): number {
    return this.samples[this.samples.length - 1].atMs;
  }

  /** Cumulative CPU seconds of process `i` at `atMs` (clamped to the sampled span). */
  private secondsAt(i: number, atMs: number): number {
    const s = this.samples;
    if (atMs <= s[0].atMs) return s[0].seconds[i];
    if (atMs >= s[s.length - 1].atMs) return s[s.length - 1].seconds[i];
    let lo = 0;
    let hi = s.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s[mid].atMs <= atMs) lo = mid;
      else hi = mid;
    }
    const share = (atMs - s[lo].atMs) / (s[hi].atMs - s[lo].atMs);
    return s[lo].seconds[i] + share * (s[hi].seconds[i] - s[lo].seconds[i]);
  }

  /** Cores of each process over [fromMs, toMs]; a window shorter than a sample reads the sample around it. */
  window(fromMs: number, toMs: number): number[] {
    const from = Math.max(this.fromMs, Math.min(fromMs, this.toMs));
    const to = Math.min(this.toMs, Math.max(toMs, from));
    const [a, b] = to - from >= 1 ? [from, to] : this.sampleAround(from);
    return this.names.map((_, i) => (this.secondsAt(i, b) - this.secondsAt(i, a)) / ((b - a) / 1000));
  }

  private sampleAround(atMs: number): [number, number] {
    const s = this.samples;
    const next = s.findIndex((x) => x.atMs > atMs);
    const hi = next <= 0 ? s.length - 1 : next;
    return [s[hi - 1].atMs, s[hi].atMs];
  }
}

const rounded = (v: number) => Number(v.toFixed(2));

/** The processes' cores, and the pressure series apart, from one row of CoresOver.window. */
function split(names: readonly string[], values: readonly number[]) {
  const cores: Record<PidFileName, number> = {};
  const pressure: Record<Pressure, number | null> = { cpu: null, io: null };
  names.forEach((name, i) => {
    const resource = PRESSURE.find((r) => name === `pressure:${r}`);
    if (resource) pressure[resource] = Number.isFinite(values[i]) ? rounded(values[i]) : null;
    else cores[name] = rounded(values[i]);
  });
  return { cores, pressure };
}

/**
 * The profile of a latency stage: the mean cores each process used over the stage, and over the
 * journeys of the slowest 1 % of its records. A process that used far more while they were in flight
 * than over the stage is what they queued behind.
 */
export function profileLatency(cores: CoresOver, journeys: readonly Journey[]): LatencyProfile {
  if (journeys.length === 0) throw new Error('no journeys to profile');
  const latencies = journeys.map((j) => j.persistedMs - j.ingestedMs).sort((a, b) => a - b);
  const slowestFromMs = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
  const slowest = journeys.filter((j) => j.persistedMs - j.ingestedMs >= slowestFromMs);
  const sum = new Array<number>(cores.names.length).fill(0);
  for (const j of slowest) cores.window(j.ingestedMs, j.persistedMs).forEach((c, i) => (sum[i] += c));
  const stage = split(cores.names, cores.window(cores.fromMs, cores.toMs));
  const slow = split(
    cores.names,
    sum.map((s) => s / slowest.length),
  );
  const seconds = (js: readonly Journey[]) => new Set(js.map((j) => Math.floor(j.ingestedMs / 1000))).size;
  return {
    slowestFromMs: Math.round(slowestFromMs),
    slowestRecords: slowest.length,
    slowestSeconds: seconds(slowest),
    stageSeconds: seconds(journeys),
    stageCores: stage.cores,
    slowestCores: slow.cores,
    stagePressure: stage.pressure,
    slowestPressure: slow.pressure,
  };
}

/**
 * What the slowest 1 % of the latency stage queued behind: each process's mean cores while they were in
 * flight beside its mean over the stage, the process that grew most first.
 */
export function profileLine(p: LatencyProfile | undefined): string {
  if (!p) return 'Where the slowest 1 % waited: not measured.';
  const grew = Object.keys(p.stageCores)
    .map((name) => ({ name, stage: p.stageCores[name], slowest: p.slowestCores[name] ?? 0 }))
    .sort((a, b) => b.slowest - b.stage - (a.slowest - a.stage));
  const share = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);
  const total = (c: Record<string, number>) =>
    Object.values(c)
      .reduce((a, b) => a + b, 0)
      .toFixed(2);
  return (
    `Where the slowest 1 % (${p.slowestRecords.toLocaleString('en-US')} records, ≥ ${p.slowestFromMs.toLocaleString('en-US')} ms, ` +
    `ingested in ${p.slowestSeconds} of the stage's ${p.stageSeconds} seconds) waited, in cores used while they were in flight ` +
    `against the stage's mean: ${grew.map((g) => `${g.name} ${g.slowest.toFixed(2)} (${g.stage.toFixed(2)})`).join(', ')}; ` +
    `all ${total(p.slowestCores)} (${total(p.stageCores)}). ` +
    `Some task waited for a CPU ${share(p.slowestPressure.cpu)} of that time (${share(p.stagePressure.cpu)}), ` +
    `for I/O ${share(p.slowestPressure.io)} (${share(p.stagePressure.io)}).`
  );
}
