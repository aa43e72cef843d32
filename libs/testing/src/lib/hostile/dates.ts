import * as fc from 'fast-check';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** `Z` or ±HH:MM up to ±23:59, the offsets RFC 3339 (and the contract's datetime) allows, in minutes. */
const offsetMinutes = (): fc.Arbitrary<number> =>
  fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }));

const offsetText = (minutes: number): string => {
  if (minutes === 0) return 'Z';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
};

/** The instant written as local time `minutes` east of UTC (for instants well inside years 0000–9999). */
const atOffset = (ms: number, minutes: number): string =>
  `${new Date(ms + minutes * MINUTE_MS).toISOString().slice(0, -1)}${offsetText(minutes)}`;

/**
 * An RFC 3339 date-time anywhere in years 0000–9999 (the edges and the first millennium often), at any
 * offset and with 0–9 fractional digits; days run to 31 in every month, so some are dates the contract
 * refuses (30 February, which `Date` would roll into March). Read as an instant, year 0000 at a positive
 * offset falls in year −1 and 9999 at a negative one in 10000.
 */
export const anyIsoDate = (): fc.Arbitrary<string> =>
  fc
    .record({
      year: fc.oneof(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom(0, 1, 999, 1000, 1969, 1970, 9999),
      ),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
      fraction: fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
      offset: offsetMinutes(),
    })
    .map(
      ({ year, month, day, hour, minute, second, fraction, offset }) =>
        `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}` +
        `${fraction === undefined ? '' : `.${fraction}`}${offsetText(offset)}`,
    );

/**
 * A date-time 100 to 160 years before now, give or take days, at any offset: across the oldest dates of
 * birth and registration enrichment accepts (130 years back), where an off-by-one in a bound shows.
 */
export const longAgoIsoDate = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 100, max: 160 }),
      fc.integer({ min: -3 * DAY_MS, max: 3 * DAY_MS }),
      offsetMinutes(),
    )
    .map(([years, jitter, offset]) => atOffset(Date.now() - years * YEAR_MS + jitter, offset));

/** A date-time from any of the above, or one of the last few days either side of now. */
export const hostileIsoDate = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: anyIsoDate() },
    { weight: 2, arbitrary: longAgoIsoDate() },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: -3 * DAY_MS, max: 3 * DAY_MS }), offsetMinutes())
        .map(([jitter, offset]) => atOffset(Date.now() + jitter, offset)),
    },
  );
