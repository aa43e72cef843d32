/**
 * What the option benches (`schema-options.ts`, `audit-store-options.ts`) share: their command line, the
 * order their runs are made in, and the JSON they leave.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';

export const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/** The command-line options every option bench takes (`parseArgs`), each bench adding its own. */
export const SERIES_ARGS = {
  records: { type: 'string', default: '60000' },
  rounds: { type: 'string', default: '4' },
  'look-ups': { type: 'string', default: '500' },
  only: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** A command-line value that must be a whole number from 1, or an error naming the option. */
export function positiveWhole(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1)
    throw new Error(`--${name} must be a positive whole number, got "${text}"`);
  return n;
}

/** The options `--only a,b` names, in their own order; all of them without it. */
export function pickOptions<T extends { name: string }>(all: readonly T[], only: string | undefined): T[] {
  const wanted = only?.split(',') ?? all.map((o) => o.name);
  const unknown = wanted.filter((n) => !all.some((o) => o.name === n));
  if (unknown.length > 0) throw new Error(`--only: no option named ${unknown.join(', ')}`);
  return all.filter((o) => wanted.includes(o.name));
}

/**
 * The order of `n` options in each round: a Williams design, so over `n` rounds (2n when n is odd) each
 * option runs once in every position and follows every other option once, and neither a warm machine nor
 * the option before it favours one option.
 */
export function roundOrders(n: number, rounds: number): number[][] {
  const first: number[] = [];
  for (let i = 0, lo = 0, hi = n - 1; i < n; i++) first.push(i % 2 === 0 ? lo++ : hi--);
  return Array.from({ length: rounds }, (_, r) => {
    const row = first.map((k) => (k + r) % n);
    // For an odd n the second n rounds run the first n backwards, which balances who follows whom.
    return n % 2 === 1 && Math.floor(r / n) % 2 === 1 ? row.reverse() : row;
  });
}

/**
 * One run of the first option, discarded (a warm-up), then `rounds` rounds in `roundOrders`' order; each
 * run is logged as it ends. The kept runs, in the order they ran.
 */
export async function runSeries<O, R>(
  options: readonly O[],
  rounds: number,
  runOne: (option: O, round: number) => Promise<R>,
  log: (run: R, label: string) => void,
): Promise<R[]> {
  log(await runOne(options[0], 0), 'warm-up, discarded:');
  const runs: R[] = [];
  for (const [r, order] of roundOrders(options.length, rounds).entries()) {
    for (const k of order) {
      const run = await runOne(options[k], r + 1);
      log(run, `round ${r + 1}`);
      runs.push(run);
    }
  }
  return runs;
}

/** `--out FILE`: the runs, the settings given and the machine, as JSON. */
export async function writeSeries(
  file: string,
  startedAt: string,
  settings: Record<string, unknown>,
  runs: readonly unknown[],
): Promise<void> {
  const machine = {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    loadAverage1mAtEnd: loadavg()[0],
  };
  const finishedAt = new Date().toISOString();
  await writeFile(file, JSON.stringify({ startedAt, finishedAt, settings, machine, runs }, null, 2) + '\n');
}

/** Runs a bench's `main` when its file is the entry point: exit code 1 and the message on an error. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
