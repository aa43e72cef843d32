import { createHash } from 'node:crypto';
import { BATCH_ID_MAX_LENGTH } from './envelope';

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

/**
 * An id (event, batch, key) read from a record's headers or key, as every stage keeps it: storable and at
 * most BATCH_ID_MAX_LENGTH characters (a longer one keeps a prefix and a hash), null for none. A dead
 * letter names its record's ids this way and the audit files the record under the same ones, so an event
 * whose batch header is too long or holds a NUL is still in one batch, whose id the audit API accepts.
 */
export const storableId = (value: string | undefined | null): string | null =>
  value === undefined || value === null ? null : storableText(value, BATCH_ID_MAX_LENGTH);
