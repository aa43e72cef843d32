import * as fc from 'fast-check';

/**
 * Hostile text: each fragment is a class of characters that has broken a text pipeline somewhere
 * (a database that refuses it, an encoder that doubles it, a UI that reverses it). Strings are short
 * joins of fragments, so one value can mix classes, as real bad data does.
 */
const fromCodes = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

/** U+0000: legal in JSON and Kafka, refused by PostgreSQL text. */
export const nul = (): fc.Arbitrary<string> => fc.constant('\u0000');

/** Half of a surrogate pair on its own: not encodable as UTF-8; encoders replace, escape or throw. */
export const loneSurrogate = (): fc.Arbitrary<string> => fromCodes(0xd800, 0xdfff);

/** C0 and C1 controls and DEL: JSON escapes each as \u00XX, six bytes for one. */
export const controlCharacter = (): fc.Arbitrary<string> =>
  fc.oneof(fromCodes(0x00, 0x1f), fromCodes(0x7f, 0x9f));

/** A base letter under a pile of combining marks (NFC cannot fold them; lengths disagree with widths). */
export const combiningMarks = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('a', 'e', 'Z', 'ø', '字', ''),
      fc.array(fromCodes(0x0300, 0x036f), { minLength: 1, maxLength: 80 }),
    )
    .map(([base, marks]) => base + marks.join(''));

/** Bidirectional overrides and isolates, and right-to-left script. */
export const rightToLeft = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '\u202e',
      '\u202d',
      '\u202b',
      '\u202a',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200f',
      '\u200e',
      '\u061c',
    ),
    fc.constantFrom('مرحبا', 'שלום', 'سلام', 'אבג\u202edcba', 'ی\u200cک', 'ܫܠܡܐ'),
  );

/** Emoji: astral code points, ZWJ sequences, skin tones, flags and variation selectors. */
export const emoji = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.integer({ min: 0x1f300, max: 0x1faff }).map((c) => String.fromCodePoint(c)),
    fc.constantFrom('👩‍👩‍👧‍👦', '🏳️‍🌈', '🇬🇧', '👍🏽', '🧑🏿‍🚀', '❤️', '\u{e0067}\u{e0062}', '\ufe0f'),
  );

/** Characters that parsers, shells, query languages and JSON treat specially, and invisible ones. */
export const special = (): fc.Arbitrary<string> =>
  fc.constantFrom(
    '"',
    '\\',
    "'",
    '`',
    '\\u0000',
    '%00',
    '%s%n',
    '${x}',
    '{{x}}',
    '<script>',
    '../../',
    '\r\n',
    '\t',
    "'; DROP TABLE users; --",
    "' OR 1=1 --",
    '$1',
    '?',
    'null',
    'undefined',
    'NaN',
    '{}',
    '[]',
    '__proto__',
    '\ufeff',
    '\ufffe',
    '\uffff',
    '\ufffd',
    '\u2028',
    '\u2029',
    '\u00a0',
    '\u200b',
    '\u0085',
    '\u180e',
  );

/** Each hostile class, and ordinary text (any code point, any printable grapheme) between them. */
export const hostileFragment = (): fc.Arbitrary<string> =>
  fc.oneof(
    nul(),
    loneSurrogate(),
    controlCharacter(),
    combiningMarks(),
    rightToLeft(),
    emoji(),
    special(),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
  );

export interface HostileStringOptions {
  /** Fragments joined; 0 allows the empty string. Default 1. */
  minFragments?: number;
  /** Default 6. */
  maxFragments?: number;
}

/** A short string of hostile fragments (the empty string included when minFragments is 0). */
export const hostileString = (o: HostileStringOptions = {}): fc.Arbitrary<string> =>
  fc
    .array(hostileFragment(), { minLength: o.minFragments ?? 1, maxLength: o.maxFragments ?? 6 })
    .map((parts) => parts.join(''));

/**
 * Units whose encoded size grows on the way: a quote or a backslash doubles at every JSON escaping,
 * a control character becomes six bytes, an astral code point four.
 */
export const amplifyingUnit = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('"', '\\', '\u0001', '\u001f', '\u2028', '😀', 'x'),
    hostileFragment().filter((s) => s.length > 0),
  );

/** A unit repeated to about `minBytes`..`maxBytes` of UTF-8: the megabyte strings. */
export const hugeString = (minBytes: number, maxBytes: number): fc.Arbitrary<string> =>
  fc.tuple(amplifyingUnit(), fc.integer({ min: minBytes, max: maxBytes })).map(([unit, bytes]) => {
    const unitBytes = Math.max(1, Buffer.byteLength(unit, 'utf8'));
    return unit.repeat(Math.max(1, Math.floor(bytes / unitBytes)));
  });

/** Mostly short hostile strings, sometimes empty, sometimes of tens or hundreds of kilobytes. */
export const anyHostileString = (maxBytes = 300_000): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: hostileString(), weight: 8 },
    { arbitrary: fc.constant(''), weight: 1 },
    { arbitrary: hugeString(Math.min(10_000, Math.floor(maxBytes / 2)), maxBytes), weight: 1 },
  );
