import type { RandomUser } from '@sparkflow/contracts';
import type { BenchOptions } from './bench.config';

/** What every stage gets: the options, the one set of users, and a run id for the topics and batches it creates. */
export interface RunContext {
  opts: BenchOptions;
  users: readonly RandomUser[];
  runId: string;
  log: (message: string) => void;
}

/** Runs `work` over `items` with at most `concurrency` promises in flight; rejects on the first failure. */
export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const perSecond = (records: number, ms: number): number => Math.round((records / ms) * 1000);
