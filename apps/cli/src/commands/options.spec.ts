import { UsageError } from '../errors';
import { parseDay, parseOffsetSpec, parsePositiveInt, parseSince } from './options';

describe('option parsers', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it('reads --since as a duration ago or a date-time', () => {
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-11-25T00:00:00Z', now)).toBe(Date.parse('2026-11-25T00:00:00Z'));
  });

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

  it('reads --offset as partition:offset', () => {
    expect(parseOffsetSpec('2:1500')).toEqual({ partition: 2, offset: 1500n });
  });
});
