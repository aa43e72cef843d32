import { createHash } from 'node:crypto';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The first `n` UTF-16 code units of `text`, one fewer if that would split a surrogate pair. */
export function cutAt(text: string, n: number): string {
  if (n >= text.length) return text;
  const code = text.charCodeAt(n - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/**
 * Text any store takes as it is: NUL (which PostgreSQL refuses in text and jsonb) and lone surrogates
 * (not encodable as UTF-8) written as visible `\uXXXX` escapes, and at most `max` characters — a longer
 * value keeps its beginning and a hash of the whole, so two long values stay distinct.
 */
export function storableText(text: string, max = 200): string {
  const escaped = text
    .replaceAll('\u0000', '\\u0000')
    .replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (escaped.length <= max) return escaped;
  const tail = `…#${sha256Hex(text).slice(0, 16)}`;
  return cutAt(escaped, max - tail.length) + tail;
}
