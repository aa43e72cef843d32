import { UsageError } from '../errors';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `--since 10m` / `2h` / `1d` (ago), or an ISO date-time; returns epoch milliseconds. */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (m) return now - Number(m[1]) * UNIT_MS[m[2]];
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && isCalendarDay(text.slice(0, 10))) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(
    `--since "${text}": expected a duration such as 30s, 10m, 2h, 1d, or an ISO date-time`,
  );
}

/** `--offset 2:1500` → partition 2 from offset 1500. */
export function parseOffsetSpec(text: string): { partition: number; offset: bigint } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--offset "${text}": expected <partition>:<offset>, e.g. 0:42`);
  return { partition: Number(m[1]), offset: BigInt(m[2]) };
}

/** A whole number of at least 1 and, when `max` is given, at most `max` (the bound the server enforces). */
export function parsePositiveInt(name: string, max?: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${name} "${text}": expected a whole number of at least 1`);
    if (max !== undefined && n > max) throw new UsageError(`${name} "${text}": at most ${max}`);
    return n;
  };
}

/**
 * `YYYY-MM-DD` naming a day of the calendar: `Date.parse` takes 2026-02-30 (as 2026-03-02), so the day
 * must come back the same from the date it parses to.
 */
function isCalendarDay(text: string): boolean {
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}

export function parseDay(name: string) {
  return (text: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !isCalendarDay(text)) {
      throw new UsageError(`${name} "${text}": expected a day such as 2026-11-01`);
    }
    return text;
  };
}
