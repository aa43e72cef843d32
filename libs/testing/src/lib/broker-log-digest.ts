import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The lines of a broker's `server.log` that say what its controller and group coordinator did. */
const TELLING =
  /\b(WARN|ERROR)\b|Fencing broker|ISR updated|Finished loading|Stabilized group|Assignment received|High watermark/;
const TIMED_OUT = /timed out after \d+ms/;
const LINE_CHARS = 400;

/** `[2026-12-01 14:14:16,071] INFO …`: the time, and the line without it. */
const split = (line: string) => {
  const m = /^\[[\d-]+ ([\d:,]+)\] (.*)$/.exec(line);
  return m ? { time: m[1] ?? '', rest: m[2] ?? '' } : { time: '', rest: line };
};
/** A message with its numbers and ids made alike, so that repeats of one event count as one. */
const shape = (rest: string) =>
  rest.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+/g, '#');
const cut = (s: string) => (s.length > LINE_CHARS ? `${s.slice(0, LINE_CHARS)}…` : s);

/**
 * What the brokers of a stack's home (`<home>/kafka-N/logs/server.log`) say, for the output of a failed
 * test: a failed run's output is what CI keeps, the home is not. For each broker, how many of its writes
 * timed out, then its warnings, errors, leadership and ISR changes, coordinator loads and rebalances. A
 * message repeated with other numbers or member ids is one entry, with its count and first and last
 * time; the `entries` last seen are kept, each cut to 400 characters.
 */
export function brokerLogDigest(home: string, entries = 40): string {
  const brokers = existsSync(home) ? readdirSync(home).filter((n) => /^kafka-\d+$/.test(n)) : [];
  if (!brokers.length) return `no broker under ${home}`;
  return brokers
    .sort()
    .map((broker) => {
      const file = join(home, broker, 'logs', 'server.log');
      if (!existsSync(file)) return `${broker}: no ${file}`;
      const all = readFileSync(file, 'utf8').split('\n');
      if (all.at(-1) === '') all.pop();
      const seen = new Map<string, { first: string; rest: string; last: string; count: number }>();
      for (const line of all) {
        if (!TELLING.test(line)) continue;
        const { time, rest } = split(line);
        const key = shape(rest);
        const entry = seen.get(key) ?? { first: time, rest, last: time, count: 0 };
        seen.delete(key); // re-inserted below, so the map runs in order of last sight
        seen.set(key, { ...entry, last: time, count: entry.count + 1 });
      }
      const kept = [...seen.values()].slice(-entries);
      const timedOut = all.filter((l) => TIMED_OUT.test(l)).length;
      return [
        `${broker}: ${all.length} lines in ${file}, ${timedOut} of them a timeout; the last ${kept.length} of what it said:`,
        ...kept.map((e) =>
          e.count > 1 ? `  ${e.first}–${e.last} ×${e.count} ${cut(e.rest)}` : `  ${e.first} ${cut(e.rest)}`,
        ),
      ].join('\n');
    })
    .join('\n');
}
