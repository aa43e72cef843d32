/**
 * The value at a dotted path of an unvalidated payload, or undefined. Lets the record checks run on a payload
 * that failed the schema elsewhere, so one dead letter lists every fault.
 */
export function valueAt(payload: unknown, path: string): unknown {
  let current = payload;
  for (const key of path.split('.')) {
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

/** zod issue path → `location.postcode`; null for an issue about the whole payload. */
export function dottedPath(path: readonly PropertyKey[]): string | null {
  return path.length === 0 ? null : path.map(String).join('.');
}
