/**
 * A hostile value as a test report can show it: short strings verbatim but escaped, long ones and
 * buffers cut with their length and their most frequent character, so a megabyte counterexample
 * reads as one line instead of flooding the log.
 */
export function describeHostile(value: unknown, maxString = 80): string {
  return JSON.stringify(value, (_key, v: unknown) => shorten(v, maxString)) ?? String(value);
}

function shorten(v: unknown, maxString: number): unknown {
  if (typeof v === 'string') {
    if (v.length <= maxString) return escapeInvisible(v);
    return `${escapeInvisible(v.slice(0, maxString))}… (${v.length} UTF-16 units, ${Buffer.byteLength(v)} bytes as UTF-8, mostly ${mostFrequent(v)})`;
  }
  if (
    v &&
    typeof v === 'object' &&
    (v as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  ) {
    const data = (v as { data: number[] }).data;
    const head = Buffer.from(data.slice(0, 24)).toString('hex');
    return `<${data.length} bytes: ${head}${data.length > 24 ? '…' : ''}>`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** NUL, lone surrogates, controls and bidi marks spelled out, so a report shows what was sent. */
/* eslint-disable no-control-regex -- control characters are what this looks for */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/* eslint-enable no-control-regex */

function escapeInvisible(s: string): string {
  return s.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function mostFrequent(s: string): string {
  const counts = new Map<string, number>();
  for (let i = 0; i < Math.min(s.length, 10_000); i++) counts.set(s[i], (counts.get(s[i]) ?? 0) + 1);
  const [c] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [''];
  return `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}
