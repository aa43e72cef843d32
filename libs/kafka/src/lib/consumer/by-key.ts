/**
 * Runs `fn` over items with at most `concurrency` in flight, keeping items that share a key in their
 * original order (one key's items run one after another). Results come back in input order.
 */
export async function mapByKey<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string | null,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const lanes = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = keyOf(item) ?? `\u0000${index}`; // keyless records have no order to keep
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  const queue = [...lanes.values()];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const index of lane) results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  return results;
}
