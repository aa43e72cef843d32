import { execFile } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { UsageError } from '../errors';
import {
  parseBatchFilter,
  parseBatchId,
  parseDay,
  parseOffsetSpec,
  parsePositiveInt,
  parseSince,
  parseText,
  parseTopic,
  parseUuid,
} from './options';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** `parseSince` of each text, run in a Node process whose time zone is `tz`. */
function parseSinceIn(tz: string, texts: string[], now: number): Promise<number[]> {
  const script =
    `const { parseSince } = require(${JSON.stringify(join(__dirname, 'options.ts'))});` +
    `const texts = JSON.parse(process.argv[1]);` +
    `process.stdout.write(JSON.stringify(texts.map((t) => parseSince(t, ${now}))));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', join(ROOT, 'node_modules/@swc-node/register/index.js'), '-e', script, JSON.stringify(texts)],
      { env: { ...process.env, TZ: tz, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('option parsers', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it('reads --since as a duration ago or a date-time', () => {
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-11-25T00:00:00Z', now)).toBe(Date.parse('2026-11-25T00:00:00Z'));
  });

  it('reads a date-time as UTC unless it gives an offset, whatever the time zone', async () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    // Generated times written as a person would, each with the instant it names computed field by field.
    const written = fc
      .record({
        d: fc.date({
          min: new Date('1970-01-02T00:00:00Z'),
          max: new Date('9999-12-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        precision: fc.constantFrom('day', 'minutes', 'seconds', 'millis'),
        sep: fc.constantFrom('T', ' '),
        offsetMinutes: fc.option(fc.integer({ min: -14 * 60, max: 14 * 60 }), { nil: undefined }),
      })
      .map(({ d, precision, sep, offsetMinutes }) => {
        const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
        const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        if (precision === 'day') return { text: day, instant: midnight };
        let time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
        let instant = midnight + d.getUTCHours() * 3_600_000 + d.getUTCMinutes() * 60_000;
        if (precision !== 'minutes') {
          time += `:${pad(d.getUTCSeconds())}`;
          instant += d.getUTCSeconds() * 1000;
        }
        if (precision === 'millis') {
          time += `.${pad(d.getUTCMilliseconds(), 3)}`;
          instant += d.getUTCMilliseconds();
        }
        let offset = '';
        if (offsetMinutes !== undefined) {
          const a = Math.abs(offsetMinutes);
          offset = `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
          instant -= offsetMinutes * 60_000;
        }
        return { text: `${day}${sep}${time}${offset}`, instant };
      });
    const cases = fc.sample(written, { seed: 0x715e, numRuns: 300 });
    // The time zone is the process's: each one is a process of its own, reading every case.
    for (const tz of [
      'UTC',
      'America/New_York',
      'Asia/Kolkata',
      'Pacific/Chatham',
      'Etc/GMT+12',
      'Pacific/Kiritimati',
    ]) {
      const got = await parseSinceIn(
        tz,
        cases.map((c) => c.text),
        now,
      );
      expect(got.map((instant, i) => ({ tz, text: cases[i].text, instant }))).toEqual(
        cases.map((c) => ({ tz, text: c.text, instant: Math.max(0, c.instant) })),
      );
    }
  }, 60_000);

  it('rejects what it cannot read as a usage error', () => {
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
    expect(() => parseOffsetSpec('3')).toThrow(UsageError);
    expect(() => parsePositiveInt('--limit')('0')).toThrow(UsageError);
    expect(() => parseDay('--from')('2026-13-45')).toThrow(UsageError);
  });

  it('refuses a day the calendar does not have, which Date.parse would roll over', () => {
    expect(parseDay('--from')('2026-02-28')).toBe('2026-02-28');
    expect(parseDay('--from')('2028-02-29')).toBe('2028-02-29');
    expect(() => parseDay('--from')('2026-02-30')).toThrow(/--from "2026-02-30"/);
    expect(() => parseDay('--to')('2026-02-29')).toThrow(UsageError);
    expect(() => parseDay('--to')('2026-04-31')).toThrow(UsageError);
    expect(() => parseSince('2026-02-30T00:00:00Z', now)).toThrow(/--since "2026-02-30T00:00:00Z"/);
  });

  it('holds a number to the bound the server enforces', () => {
    expect(parsePositiveInt('--limit', 1000)('1000')).toBe(1000);
    expect(() => parsePositiveInt('--limit', 1000)('5000')).toThrow(/--limit "5000": at most 1000/);
    expect(() => parsePositiveInt('--limit', 1000)('5000')).toThrow(UsageError);
  });

  it('reads a time before 1970, or a duration reaching past it, as the epoch: from the beginning', () => {
    expect(parseSince('1960-01-01T00:00:00Z', now)).toBe(0);
    expect(parseSince('0000-01-01', now)).toBe(0);
    expect(parseSince('99999999999999999999d', now)).toBe(0);
    expect(parseSince(`${'9'.repeat(400)}w`, now)).toBe(0);
    expect(new Date(parseSince('99999999999999999999d', now)).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(parseSince('9999-12-31T23:59:59Z', now)).toBe(Date.parse('9999-12-31T23:59:59Z'));
  });

  it('takes a whole number only in decimal digits, and no larger than a number holds exactly', () => {
    expect(parsePositiveInt('--limit')('42')).toBe(42);
    for (const text of ['1e3', '0x10', '4.0', '', ' ', '-1', 'NaN', 'Infinity', '١٢', ' 42', '42 '])
      expect(() => parsePositiveInt('--limit')(text)).toThrow(/--limit ".*": expected a whole number/);
    // What is around the digits is shown escaped, to be seen.
    expect(() => parsePositiveInt('--limit')('\t42\n')).toThrow(
      /^--limit "\\t42\\n": expected a whole number of at least 1$/,
    );
    expect(() => parsePositiveInt('--limit')('42\u00a0')).toThrow(/^--limit "42\\u00a0": expected/);
    expect(() => parsePositiveInt('--timeout')('99999999999999999999')).toThrow(
      /--timeout "99999999999999999999": at most 9007199254740991/,
    );
  });

  it('refuses a batch id the audit cannot be asked for, naming the argument', () => {
    expect(parseBatchId('backfill-demo-2026-11-01')).toBe('backfill-demo-2026-11-01');
    expect(parseBatchId(' ')).toBe(' ');
    expect(() => parseBatchId('')).toThrow(/^<batchId> "": a batch id has 1–200 characters, this one 0$/);
    expect(() => parseBatchId('x'.repeat(201))).toThrow(UsageError);
    expect(() => parseBatchId('a\u0000b')).toThrow(/<batchId> .*NUL/);
    expect(() => parseBatchId('.')).toThrow(/<batchId> "\.": a URL reads it as a step in the path/);
    expect(() => parseBatchId('..')).toThrow(UsageError);
  });

  it('reads --offset as partition:offset', () => {
    expect(parseOffsetSpec('2:1500')).toEqual({ partition: 2, offset: 1500n });
  });

  it('refuses a space around a number, --offset and --since included: a quoting mistake', () => {
    for (const [text, shown] of [
      [' 2:1500', '" 2:1500"'],
      ['2:1500 ', '"2:1500 "'],
      ['2:1500\n', '"2:1500\\n"'],
    ])
      expect(() => parseOffsetSpec(text)).toThrow(`--offset ${shown}: expected <partition>:<offset>`);
    for (const [text, shown] of [
      [' 10m', '" 10m"'],
      ['10m\u00a0', '"10m\\u00a0"'],
      ['2026-11-05 ', '"2026-11-05 "'],
      ['\t2026-11-05', '"\\t2026-11-05"'],
      ['2026-11-05T10:00:00Z\ufeff', '"2026-11-05T10:00:00Z\\ufeff"'],
    ])
      expect(() => parseSince(text, now)).toThrow(`--since ${shown}: expected`);
    expect(parseSince('2026-11-05 10:00', now)).toBe(Date.parse('2026-11-05T10:00:00Z'));
  });

  it('holds --offset to what Kafka numbers: an int32 partition, an int64 offset', () => {
    expect(parseOffsetSpec('2147483647:9223372036854775807')).toEqual({
      partition: 2147483647,
      offset: 9223372036854775807n,
    });
    expect(() => parseOffsetSpec('2147483648:0')).toThrow(/--offset "2147483648:0": a partition is at most/);
    expect(() => parseOffsetSpec('0:9223372036854775808')).toThrow(UsageError);
  });

  it('names the option or argument a malformed id, topic or text was given to', () => {
    expect(parseUuid('--event', 'an id')('3F1E2D4C-5B6A-4978-8695-A4B3C2D1E0F9')).toBe(
      '3F1E2D4C-5B6A-4978-8695-A4B3C2D1E0F9',
    );
    expect(() => parseUuid('--event', 'an id')('not-a-uuid')).toThrow(
      /^--event "not-a-uuid": expected an id, a UUID$/,
    );
    expect(parseTopic('users.raw')).toBe('users.raw');
    expect(() => parseTopic('users/raw')).toThrow(/^<topic> "users\/raw": not a topic name/);
    expect(() => parseTopic('..')).toThrow(UsageError);
    expect(parseBatchFilter('.')).toBe('.');
    expect(() => parseBatchFilter('')).toThrow(/^--batch "": a batch id has 1–200 characters/);
    expect(parseText('--key')('')).toBe('');
    expect(() => parseText('--group', true)('')).toThrow(/^--group "": expected a non-empty value$/);
    expect(() => parseText('--grep')('a\ud800')).toThrow(/^--grep .*lone surrogate/);
  });
});
