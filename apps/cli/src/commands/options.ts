import { STAGES, batchIdProblem, decodeBatchListCursor } from '@sparkflow/contracts';
import type { Option } from 'commander';
import { UsageError } from '../errors';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A value as a message quotes it: in double quotes, every control character and every space but ' ' escaped
 * (`" 5\t"` as `" 5\\t"`, a no-break space as `\\u00a0`), so what was around a number can be seen.
 */
export const quoted = (text: string): string =>
  JSON.stringify(text).replace(
    /[\u007f-\u009f]|(?! )\s/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

const REPEATABLE = new WeakSet<Option>();

/** `option`, taken more than once, each value added to the others (`--group a --group b`). */
export function repeatable(option: Option): Option {
  REPEATABLE.add(option);
  return option;
}

/**
 * Whether a command takes `option` more than once: one marked `repeatable`, or one taking a list
 * (`--event <id...>`). Any other option that takes a value is refused when given twice, not read as its last
 * value.
 */
export const isRepeatable = (option: Option): boolean => option.variadic || REPEATABLE.has(option);

/** The forms `--since` takes, as every help text and message names them. */
export const SINCE_FORMS = '30s, 10m, 2h, 1d or 1w ago, or an ISO date-time (UTC unless it gives an offset)';

/** An offset ending a date-time: `Z`, `+01:00`, `-0500`, `+05`. */
const OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * `--since 10m` / `2h` / `1d` (ago), or an ISO date-time; returns epoch milliseconds. A date or a
 * date-time without an offset is UTC, whatever the machine's time zone, as the audit reads times. A time before
 * 1970-01-01T00:00:00Z reads as that instant: no Kafka record or audited batch is older, so it means
 * "from the beginning", and Kafka cannot look up an offset for a time before it (it answers a protocol
 * error), nor can a date far enough back be written as one.
 */
export function parseSince(text: string, now = Date.now()): number {
  // A space around the value is a quoting mistake (`--since " 1h"`), refused as every number is.
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text);
  if (m) return Math.max(0, now - Number(m[1]) * UNIT_MS[m[2]]);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !/\s$/.test(text) && isCalendarDay(text.slice(0, 10))) {
    // Date.parse reads a bare date as UTC but a date-time without an offset as local time: one rule, UTC.
    const time = text.slice(10);
    const t = Date.parse(time && !OFFSET.test(time) ? `${text}Z` : text);
    if (!Number.isNaN(t)) return Math.max(0, t);
  }
  throw new UsageError(`--since ${quoted(text)}: expected ${SINCE_FORMS}`);
}

/** `--stage <stage>`: one of the pipeline's stages. */
export function parseStage(text: string): string {
  if (!(STAGES as readonly string[]).includes(text))
    throw new UsageError(`--stage "${text}": expected a stage, one of ${STAGES.join(', ')}`);
  return text;
}

/** The largest partition number (an int32) and offset (an int64) Kafka has. */
const MAX_PARTITION = 2 ** 31 - 1;
const MAX_OFFSET = 2n ** 63n - 1n;

/** `--offset 2:1500` → partition 2 from offset 1500. */
export function parseOffsetSpec(text: string): { partition: number; offset: bigint } {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--offset ${quoted(text)}: expected <partition>:<offset>, e.g. 0:42`);
  const partition = Number(m[1]);
  const offset = BigInt(m[2]);
  if (partition > MAX_PARTITION || offset > MAX_OFFSET)
    throw new UsageError(
      `--offset "${text}": a partition is at most ${MAX_PARTITION} and an offset at most ${MAX_OFFSET}`,
    );
  return { partition, offset };
}

/** `name` (`--event`, `<eventId>`) as a parser of a UUID, `what` saying whose (`a dead letter's event id`). */
export function parseUuid(name: string, what: string) {
  return (text: string): string => {
    if (!UUID.test(text)) throw new UsageError(`${name} "${text}": expected ${what}, a UUID`);
    return text;
  };
}

/** `<topic>` as Kafka names a topic: 1–249 letters, digits, `.`, `_` and `-`, and not `.` or `..`. */
export function parseTopic(text: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(text) || text === '.' || text === '..')
    throw new UsageError(
      `<topic> "${text}": not a topic name (1–249 letters, digits, ".", "_" and "-"; not "." or "..")`,
    );
  return text;
}

/**
 * `--batch <batchId>` as a filter on dead letters: the envelope's rule for a batch id (1–200 characters,
 * no NUL), which every dead letter's batch id follows.
 */
export function parseBatchFilter(text: string): string {
  const problem = batchIdProblem(text);
  if (problem) throw new UsageError(`--batch "${text}": ${problem.replace(/^batchId: /, '')}`);
  return text;
}

/**
 * Text a record or a consumer group can hold (`--key`, `--grep`, `--group`): not a lone surrogate, which no
 * UTF-8 text holds, so it could match nothing; and with `nonEmpty`, not empty.
 */
export function parseText(name: string, nonEmpty = false) {
  return (text: string): string => {
    if (nonEmpty && text === '') throw new UsageError(`${name} "": expected a non-empty value`);
    if (/\p{Cs}/u.test(text))
      throw new UsageError(`${name} "${text}": holds a lone surrogate, which no UTF-8 text holds`);
    return text;
  };
}

/**
 * A whole number in decimal digits and nothing else (no sign, no space around it: `--limit " 5"` is a
 * quoting mistake), of at least 1 and at most `max` (the bound the server enforces, or what a timer can
 * wait), else at most the largest integer a number holds exactly.
 */
export function parsePositiveInt(name: string, max: number = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${name} ${quoted(text)}: expected a whole number of at least 1`);
    if (n > max) throw new UsageError(`${name} ${quoted(text)}: at most ${max}`);
    return n;
  };
}

/** The longest `--interval` (ms) between two polls: an hour, well within what a Node.js timer can wait. */
export const MAX_INTERVAL_MS = 3_600_000;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/**
 * `<batchId>` as the audit can be asked for it: the envelope's rule (1–200 characters, no NUL), and not
 * `.` or `..`, which a URL reads as a step in the path, not a name (`/v1/batches/.` is the list of batches).
 */
export function parseBatchId(text: string): string {
  const problem = urlTextProblem(text) ?? batchIdProblem(text);
  if (problem) throw new UsageError(`<batchId> "${text}": ${problem.replace(/^batchId: /, '')}`);
  if (text === '.' || text === '..')
    throw new UsageError(
      `<batchId> "${text}": a URL reads it as a step in the path, so the audit cannot be asked for it`,
    );
  return text;
}

/** A `--cursor`: the `next` token of an earlier `batches list`, as the audit reads it. */
export function parseCursor(text: string): string {
  if (decodeBatchListCursor(text) === null)
    throw new UsageError(
      `--cursor "${text}": not the \`next\` of an earlier \`batches list\` (copy it whole from the command that listing printed)`,
    );
  return text;
}

/** Why `text` cannot be part of a URL, or null: a lone surrogate is not text UTF-8 can encode. */
export function urlTextProblem(text: string): string | null {
  return /\p{Cs}/u.test(text) ? 'holds a lone surrogate, which is not text a URL can carry' : null;
}
