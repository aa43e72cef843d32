import * as fc from 'fast-check';

/**
 * Numbers a schema's range checks must catch: type limits of the languages and stores on the way
 * (int32, int64, double, JSON's lack of NaN and Infinity, which become null), zero's sign, fractions,
 * and every magnitude from 1 to 1e308 (so "valid but enormous" counts come up as often as tiny ones).
 */
export const boundaryNumber = (): fc.Arbitrary<number> =>
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    -(2 ** 31) - 1,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    2 ** 63,
    2 ** 64,
    1e21,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  );

/** ±10^k for k in 0..308, and one more or less than it. */
export const magnitude = (): fc.Arbitrary<number> =>
  fc
    .tuple(fc.integer({ min: 0, max: 308 }), fc.constantFrom(-1, 0, 1), fc.boolean())
    .map(([k, off, negative]) => (negative ? -1 : 1) * (10 ** k + off));

export const hostileNumber = (): fc.Arbitrary<number> =>
  fc.oneof(boundaryNumber(), magnitude(), fc.integer(), fc.double(), fc.integer({ min: -5, max: 50 }));

/**
 * Number literals as JSON text that JSON.stringify never writes: beyond double range, hundreds of
 * digits, exponents, negative zero. Only raw request bodies and records can carry them.
 */
export const jsonNumberLiteral = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '1e400',
      '-1e400',
      '1E+2',
      '-0',
      '0e0',
      '1e-400',
      '4.9e-325',
      '9007199254740993',
      '-9223372036854775809',
    ),
    fc.integer({ min: 20, max: 2000 }).map((digits) => `1${'0'.repeat(digits)}`),
    fc.integer({ min: 20, max: 2000 }).map((digits) => `0.${'0'.repeat(digits)}1`),
  );
