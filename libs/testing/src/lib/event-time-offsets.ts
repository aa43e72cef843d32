import * as fc from 'fast-check';

/** Microseconds in a second, a day and a (365-day) year: event-time offsets are microseconds. */
export const MICROS = { second: 1_000_000n, day: 86_400_000_000n, year: 365n * 86_400_000_000n } as const;

/**
 * An event time's distance from when the broker took its record, in microseconds, for a given skew: at
 * the skew's edge (to the microsecond), within days, within decades, either side of the broker's time.
 */
export const eventTimeOffset = (skewMicros: bigint): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.bigInt({ min: -2n * MICROS.second, max: 2n * MICROS.second }).map((d) => skewMicros + d),
    fc.constantFrom(skewMicros - 1n, skewMicros, skewMicros + 1n, 0n, -skewMicros),
    fc.bigInt({ min: -30n * MICROS.day, max: 30n * MICROS.day }),
    fc.bigInt({ min: -70n * MICROS.year, max: 70n * MICROS.year }),
  );

/** A skew a consumer may be configured with (1 s to 1 day) and one to six event-time offsets around it. */
export const skewedBatch: fc.Arbitrary<{ skewMs: number; offsets: bigint[] }> = fc
  .integer({ min: 1_000, max: 86_400_000 })
  .chain((skewMs) =>
    fc.record({
      skewMs: fc.constant(skewMs),
      offsets: fc.array(eventTimeOffset(BigInt(skewMs) * 1000n), { minLength: 1, maxLength: 6 }),
    }),
  );
