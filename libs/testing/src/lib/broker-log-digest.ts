import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The lines of a broker's `server.log` that say what its controller and group coordinator did. */
const TELLING =
  /\b(WARN|ERROR)\b|Fencing broker|ISR updated|Finished loading|Stabilized group|Assignment received|High watermark/;
/** A logged timeout: its own line, not the stack trace's `TimeoutException` line that repeats it. */
const TIMED_OUT = /^\[.*timed out after \d+ms/;
const LINE_CHARS = 400;
/** log4j2 rolls `server.log` into `server.log.1` … `.3` (deploy/local/kafka/log4j2.yaml), the highest oldest. */
const ROLLED = ['server.log.3', 'server.log.2', 'server.log.1', 'server.log'];

/** `[2026-12-01 14:14:16,071] INFO …`: its time as this machine writes it (local), and the line without it. */
const split = (line: string) => {
  const m = /^\[([\d-]+) ([\d:]+),(\d+)\] (.*)$/.exec(line);
  if (!m) return null;
  const [, day, time, ms, rest] = m as unknown as [string, string, string, string, string];
  return { at: new Date(`${day}T${time}.${ms}`), time: `${time},${ms}`, rest };
};
/** A message with its numbers and ids made alike, so that repeats of one event count as one. */
const shape = (rest: string) =>
  rest.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+/g, '#');
const cut = (s: string) => (s.length > LINE_CHARS ? `${s.slice(0, LINE_CHARS)}…` : s);

/**
 * What the brokers of a stack's home (`<home>/kafka-N/logs/server.log` and its rolled files) said since
 * `since`, for the output of a failed test: a failed run's output is what CI keeps, the home is not. For
 * each broker, how many timeouts it logged, then its warnings, errors, leadership and ISR changes,
 * coordinator loads and rebalances. A message repeated with other numbers or member ids is one entry,
 * shown as last said, with its count and first and last time; the `entries` last seen are kept, each cut
 * to 400 characters. Lines without a time of their own (stack traces) are left out.
 */
export function brokerLogDigest(home: string, since = new Date(0), entries = 40): string {
  const brokers = existsSync(home) ? readdirSync(home).filter((n) => /^kafka-\d+$/.test(n)) : [];
  if (!brokers.length) return `no broker under ${home}`;
  return brokers
    .sort()
    .map((broker) => {
      const logs = join(home, broker, 'logs');
      const files = ROLLED.map((f) => join(logs, f)).filter((f) => existsSync(f));
      if (!files.length) return `${broker}: no ${join(logs, 'server.log')}`;
      const seen = new Map<string, { first: string; rest: string; last: string; count: number }>();
      let lines = 0;
      let timedOut = 0;
      for (const file of files) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const parsed = split(line);
          if (!parsed || parsed.at < since) continue;
          lines++;
          if (TIMED_OUT.test(line)) timedOut++;
          if (!TELLING.test(parsed.rest)) continue;
          const key = shape(parsed.rest);
          const entry = seen.get(key);
          seen.delete(key); // set again below, so the map runs in the order of last sight
          seen.set(key, {
            first: entry?.first ?? parsed.time,
            rest: parsed.rest,
            last: parsed.time,
            count: (entry?.count ?? 0) + 1,
          });
        }
      }
      const kept = [...seen.values()].slice(-entries);
      return [
        `${broker}: ${lines} lines since ${since.toISOString()} in ${logs}, ${timedOut} of them a timeout; ` +
          `the last ${kept.length} of what it said:`,
        ...kept.map((e) =>
          e.count > 1 ? `  ${e.first}–${e.last} ×${e.count} ${cut(e.rest)}` : `  ${e.first} ${cut(e.rest)}`,
        ),
      ].join('\n');
    })
    .join('\n');
}
