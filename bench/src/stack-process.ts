import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Every } from './every';

export const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
export type Service = (typeof SERVICES)[number];
/** The engines a SparkFlow user runs too: their CPU is part of the pipeline's cost per user. */
export const ENGINES = ['kafka', 'cassandra', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];
export type StackProcessName = Service | Engine;

/**
 * The process a pid file names: `kafka`, `ingestion` on the single topology; a node or replica of one
 * (`kafka-2`, `ingestion-1`) or the load balancer (`haproxy`) on the cluster topology.
 */
export type PidFileName = string;

/** `kafka-2` → `kafka`, `ingestion-1` → `ingestion`; a name without a number is its own base. */
export const baseName = (name: PidFileName): string => name.replace(/-\d+$/, '');

/**
 * Per-process figures summed by base name, in first-seen order: the three brokers' CPU is Kafka's, the
 * two replicas' is the service's. Rounded as cpuMsPerRecord rounds.
 */
export function sumByBase(perProcess: Partial<Record<PidFileName, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(perProcess)) {
    const base = baseName(name);
    out[base] = Number(((out[base] ?? 0) + (v ?? 0)).toFixed(3));
  }
  return out;
}

// USER_HZ: Linux reports utime/stime in 1/100 s on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after "(comm)", which may itself contain spaces: field n is [n - 3]. */
async function statFields(pid: number | 'self'): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const ticks = (fields: string[], ...numbers: number[]) =>
  numbers.reduce((sum, n) => sum + Number(fields[n - 3]), 0);

/** utime + stime (fields 14, 15) of a process, all its threads, in seconds. */
async function ownCpuSeconds(pid: number): Promise<number> {
  return ticks(await statFields(pid), 14, 15) / TICKS_PER_SECOND;
}

/** The live processes whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number((await statFields(Number(entry)))[1]) === pid) children.push(Number(entry));
    } catch {
      /* exited while we looked */
    }
  }
  return children;
}

/**
 * The CPU of a process and every process it starts, sampled from /proc while they run: a process is
 * followed from the first sample that sees it under the tree (its parent is in the tree), so one that
 * outlives its parent — PySpark's JVM is not waited for by the Python that started it — still counts.
 * What a process uses between the last sample and its exit is lost; at 500 ms that is noise beside a JVM.
 */
export class ProcessTreeCpu {
  private readonly seconds = new Map<number, number>();
  private readonly every: Every;

  constructor(
    private readonly root: number,
    everyMs = 500,
  ) {
    this.every = new Every(everyMs, () => this.sample());
  }

  start(): this {
    this.every.start();
    return this;
  }

  /** Stops sampling; the CPU seconds of the whole tree as last seen. */
  async stop(): Promise<number> {
    await this.every.stop();
    return [...this.seconds.values()].reduce((a, b) => a + b, 0);
  }

  private async sample(): Promise<void> {
    const parents = new Map<number, number>();
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const fields = await statFields(Number(entry));
        parents.set(Number(entry), Number(fields[1]));
      } catch {
        /* exited while we looked */
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) {
        if (p === this.root || this.seconds.has(p)) return true;
      }
      return false;
    };
    for (const pid of parents.keys()) {
      if (!inTree(pid)) continue;
      const cpu = await ownCpuSeconds(pid).catch(() => undefined);
      if (cpu !== undefined) this.seconds.set(pid, Math.max(cpu, this.seconds.get(pid) ?? 0));
    }
  }
}

/**
 * A running process of the stack, found by the pid file `npm run stack` writes, read through /proc.
 * PostgreSQL works in one process per connection: its CPU is the postmaster's, its live backends' and
 * what its exited backends left in the postmaster's cutime/cstime.
 */
export class StackProcess {
  private constructor(
    readonly name: PidFileName,
    readonly pid: number,
    private readonly withChildren: boolean,
  ) {}

  static async find(home: string, name: PidFileName): Promise<StackProcess> {
    const file = join(home, 'run', `${name}.pid`);
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid < 1) throw new Error(`${file} holds no pid`);
    const p = new StackProcess(name, pid, baseName(name) === 'postgres');
    await p.cpuSeconds(); // throws when the process is gone
    return p;
  }

  /** CPU seconds used so far (see the class comment for PostgreSQL). */
  async cpuSeconds(): Promise<number> {
    const fields = await statFields(this.pid);
    if (!this.withChildren) return ticks(fields, 14, 15) / TICKS_PER_SECOND;
    let total = ticks(fields, 14, 15, 16, 17) / TICKS_PER_SECOND;
    for (const child of await childrenOf(this.pid)) total += await ownCpuSeconds(child).catch(() => 0);
    return total;
  }

  /** Peak resident set (VmHWM) in MB since start, or since the last resetPeak(). */
  async peakRssMb(): Promise<number> {
    return this.statusKb('VmHWM').then((kb) => Math.round(kb / 1024));
  }

  async rssMb(): Promise<number> {
    return this.statusKb('VmRSS').then((kb) => Math.round(kb / 1024));
  }

  /** Resets VmHWM to the current RSS ("5" in clear_refs); false when the kernel or permissions refuse. */
  async resetPeak(): Promise<boolean> {
    try {
      await writeFile(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  private async statusKb(field: string): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${this.pid}/status`);
    return Number(m[1]);
  }
}

/** CPU used by a set of processes across some work, in CPU-ms per record, each and in total. */
export class CpuMeter {
  private constructor(
    private readonly procs: readonly StackProcess[],
    private readonly before: readonly number[],
  ) {}

  static async start(procs: readonly StackProcess[]): Promise<CpuMeter> {
    return new CpuMeter(procs, await Promise.all(procs.map((p) => p.cpuSeconds())));
  }

  /** CPU-ms per record of each process since start(), rounded to 3 decimals. */
  async perRecord(records: number): Promise<Partial<Record<PidFileName, number>>> {
    const seconds = await this.seconds();
    return Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, cpuMsPerRecord(s, records)]));
  }

  /** CPU seconds of each process since start(). */
  async seconds(): Promise<Record<PidFileName, number>> {
    const after = await Promise.all(this.procs.map((p) => p.cpuSeconds()));
    return Object.fromEntries(this.procs.map((p, i) => [p.name, after[i] - this.before[i]]));
  }
}

export const cpuMsPerRecord = (cpuSeconds: number, records: number) =>
  Number(((cpuSeconds * 1000) / records).toFixed(3));

export const sumOf = (perProcess: Partial<Record<string, number>>) =>
  Number(
    Object.values(perProcess)
      .reduce<number>((a, b) => a + (b ?? 0), 0)
      .toFixed(3),
  );

/**
 * The CPU-ms per record of the engine that did a raw-limit stage's work (its pid file in the stack's
 * home). With none of the pipeline's other work in it, it is the floor of what that engine costs per
 * user. The harness's own CPU is not reported: it holds every user and payload of the run in its heap,
 * so its garbage collection, not the client, would dominate the figure.
 */
export async function meterEngine<T>(
  home: string,
  engine: Engine,
  records: number,
  work: () => Promise<T>,
): Promise<{ result: T; engineCpuMsPerRecord: number }> {
  const meter = await CpuMeter.start([await StackProcess.find(home, engine)]);
  const result = await work();
  const seconds = (await meter.seconds())[engine] ?? 0;
  return { result, engineCpuMsPerRecord: cpuMsPerRecord(seconds, records) };
}

/** Whether a process came to rest, and the cores it used in the last second looked at. */
export interface Rest {
  reached: boolean;
  cores: number;
}

/**
 * Waits, at most a minute, until `proc` uses under a tenth of a core for a second: no compaction, vacuum or
 * collection left from earlier work is then charged to what is measured next. Says whether it got there.
 */
export async function untilAtRest(proc: StackProcess): Promise<Rest> {
  let cores = 0;
  for (let i = 0; i < 60; i++) {
    const meter = await CpuMeter.start([proc]);
    await sleep(1000);
    cores = Number(((await meter.seconds())[proc.name] ?? 0).toFixed(2));
    if (cores < 0.1) return { reached: true, cores };
  }
  return { reached: false, cores };
}
