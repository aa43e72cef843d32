/**
 * The most connections each of a process's pools may hold, by the pool's name (its `application_name` in
 * `pg_stat_activity`). A process's pools together hold at most the sum.
 */
export type PoolSizes = Readonly<Record<string, number>>;

/**
 * A process's connection budget (`POSTGRES_POOL_MAX`) split among its pools in proportion to `defaults`,
 * each pool's size when no budget is set: the shares add up to `budget` exactly, each at least 1, so
 * the budget must be at least the number of pools. Largest remainder: each pool gets the whole part of
 * its proportional share, the connections left over go one each to the largest fractions (ties to the
 * pool listed first), and a pool left at 0 takes one from the largest. A budget equal to the defaults'
 * sum gives back the defaults.
 */
export function splitPoolBudget(budget: number, defaults: PoolSizes): PoolSizes {
  const names = Object.keys(defaults);
  const total = names.reduce((sum, name) => sum + defaults[name], 0);
  if (!Number.isInteger(budget) || budget < names.length) {
    throw new RangeError(`a budget of ${budget} cannot give each of ${names.length} pools a connection`);
  }
  if (names.some((name) => !Number.isInteger(defaults[name]) || defaults[name] < 1)) {
    throw new RangeError(
      `every pool's default size must be a whole number from 1: ${JSON.stringify(defaults)}`,
    );
  }
  const quotas = names.map((name) => (budget * defaults[name]) / total);
  const sizes = quotas.map(Math.floor);
  let left = budget - sizes.reduce((a, b) => a + b, 0);
  const byFraction = names
    .map((_, i) => i)
    .sort((a, b) => quotas[b] - sizes[b] - (quotas[a] - sizes[a]) || a - b);
  for (const i of byFraction) {
    if (left === 0) break;
    sizes[i] += 1;
    left -= 1;
  }
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] > 0) continue;
    const largest = sizes.indexOf(Math.max(...sizes));
    sizes[largest] -= 1;
    sizes[i] = 1;
  }
  return Object.freeze(Object.fromEntries(names.map((name, i) => [name, sizes[i]])));
}

/**
 * The size of pool `name`: its share in `pools` (the process's `POSTGRES_POOL_MAX` split by
 * `splitPoolBudget`), or `fallback`, its default, when the process sets no budget. A budget that has no
 * share for the pool is refused: every connection the process opens must be counted in it.
 */
export function poolSize(pools: PoolSizes | undefined, name: string, fallback: number): number {
  if (pools === undefined) return fallback;
  const size = pools[name];
  if (size === undefined) {
    throw new Error(
      `POSTGRES_POOL_MAX is split among ${Object.keys(pools).join(', ') || 'no pool'}, not ${name}: count ${name} in the process's pools`,
    );
  }
  return size;
}
