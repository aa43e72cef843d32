import * as fc from 'fast-check';
import { hostileNumber, jsonNumberLiteral } from './numbers';
import { anyHostileString, hostileString } from './strings';

/** Any JSON value built from hostile strings and numbers (and keys such as `__proto__`), a few levels deep. */
export const hostileJsonValue = (maxDepth = 3): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth },
      anyHostileString(20_000),
      hostileNumber(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(
          hostileString({ minFragments: 0 }),
          fc.constantFrom('__proto__', 'constructor', 'prototype'),
        ),
        tie('value'),
        {
          maxKeys: 4,
        },
      ),
    ),
  })).value;

/** `[[[…0…]]]` or `{"a":{"a":…0…}}` as text, `depth` levels deep: no parser should recurse on it unbounded. */
export const deepJsonText = (minDepth = 1, maxDepth = 200_000): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: minDepth, max: maxDepth }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`,
    );

/** Text that is almost JSON, or JSON with literals JSON.stringify never writes. */
export const brokenJsonText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      '{',
      '[',
      '{"a":}',
      '{"a":1,}',
      "{'a':1}",
      'NaN',
      'undefined',
      '{"a":1}{"a":2}',
      '\ufeff{}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
    ),
    jsonNumberLiteral().map((n) => `{"count":${n},"n":[${n}]}`),
    fc.string({ unit: 'binary', maxLength: 64 }),
  );

/** Byte sequences that are no UTF-8: an overlong form, a surrogate, past U+10FFFF, cut short, 0xFF. */
const NOT_UTF8 = [
  Uint8Array.from([0xc0, 0x80]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]),
  Uint8Array.from([0xe2, 0x82]),
  Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d]),
];

/** Bytes, most of them not UTF-8: overlong forms, surrogates encoded, truncated sequences, 0xFF. */
export const invalidUtf8 = (maxLength = 256): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.constantFrom(
      ...NOT_UTF8,
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    ),
    fc.uint8Array({ minLength: 1, maxLength }),
  );

/**
 * JSON text that is well formed but for bytes that are no UTF-8 at the start of one of its string values
 * (after a `":"`; at the very start when it has none): a parser that replaces them would read other text.
 */
export const withBytesNotUtf8InAString = (text: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array> =>
  fc.tuple(text, fc.nat(), fc.constantFrom(...NOT_UTF8)).map(([t, pick, bad]) => {
    const starts = [...t.matchAll(/":"/g)].map((m) => m.index + 3);
    const at = starts.length ? starts[pick % starts.length] : 0;
    return Buffer.concat([Buffer.from(t.slice(0, at)), bad, Buffer.from(t.slice(at))]);
  });
