/**
 * The value at a dotted path of an unvalidated payload, or undefined. Lets the record checks run on a payload
 * that failed the schema elsewhere, so one dead letter lists every fault.
 */
export function valueAt(payload: unknown, path: string): unknown {
  return valueAtKeys(payload, path.split('.'));
}

/** valueAt for a path already split into its keys (a hot path splits its constant paths once). */
export function valueAtKeys(payload: unknown, keys: readonly string[]): unknown {
  let current = payload;
  for (const key of keys) {
    if (
      typeof current !== 'object' ||
      current === null ||
      Array.isArray(current) ||
      !Object.hasOwn(current, key)
    ) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function stringAt(payload: unknown, path: string): string | undefined {
  const value = valueAt(payload, path);
  return typeof value === 'string' ? value : undefined;
}

/**
 * The strings at `paths` of one payload, each path split once for all payloads and read once per payload:
 * `read(payload)` returns a look-up by path (undefined where the value is missing or not a string).
 */
export function stringsReader<P extends string>(
  paths: readonly P[],
): (payload: unknown) => (path: P) => string | undefined {
  const distinct = [...new Set(paths)];
  const split = distinct.map((path) => path.split('.'));
  const index = new Map(distinct.map((path, i) => [path, i]));
  return (payload) => {
    const values = split.map((keys) => {
      const value = valueAtKeys(payload, keys);
      return typeof value === 'string' ? value : undefined;
    });
    return (path) => values[index.get(path) as number];
  };
}

/** zod issue path → `location.postcode`; null for an issue about the whole payload. */
export function dottedPath(path: readonly PropertyKey[]): string | null {
  return path.length === 0 ? null : path.map(String).join('.');
}
