import type { KafkaMessage } from 'kafkajs';

/** A Kafka record as the CLI shows it: where it sits, its key, headers, and its value decoded as far as it goes. */
export interface ShownRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  value: ShownValue;
}

export type ShownValue =
  | { kind: 'envelope'; envelope: Record<string, unknown>; payload: unknown }
  | { kind: 'json'; json: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'base64'; base64: string }
  | { kind: 'empty' };

export function decodeValue(value: Buffer | null): ShownValue {
  if (!value?.length) return { kind: 'empty' };
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return { kind: 'base64', base64: value.toString('base64') };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'text', text };
  }
  if (json && typeof json === 'object' && !Array.isArray(json) && 'eventId' in json && 'payload' in json) {
    const { payload, ...envelope } = json as Record<string, unknown>;
    return { kind: 'envelope', envelope, payload };
  }
  return { kind: 'json', json };
}

export function headersOf(message: Pick<KafkaMessage, 'headers'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v === undefined) continue;
    out[k] = (Array.isArray(v) ? v : [v])
      .map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)))
      .join(',');
  }
  return out;
}

export function showRecord(topic: string, partition: number, m: KafkaMessage): ShownRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: m.key ? m.key.toString('utf8') : null,
    headers: headersOf(m),
    value: decodeValue(m.value),
  };
}

/** Text a `--grep` looks in: key, headers and the value as printed. */
export function searchableText(r: ShownRecord): string {
  return [
    r.key ?? '',
    ...Object.entries(r.headers).map(([k, v]) => `${k}=${v}`),
    JSON.stringify(r.value),
  ].join('\n');
}

/**
 * A record value as one JSON value, whatever its bytes (`dlq show --original --json`): `{kind: "json", json}`
 * when the value is JSON (a scalar too), its numbers exactly as written; `{kind: "text", text}` when it is
 * UTF-8 but not JSON (empty included); `{kind: "base64", base64}` when it is not UTF-8.
 */
export type ValueAsJson =
  { kind: 'json'; json: unknown } | { kind: 'text'; text: string } | { kind: 'base64'; base64: string };

export function valueAsJson(value: Buffer): ValueAsJson {
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return { kind: 'base64', base64: value.toString('base64') };
  try {
    return { kind: 'json', json: parseJsonExactly(text) };
  } catch {
    return { kind: 'text', text };
  }
}

/** `JSON.rawJSON` (Node 21 and later), which the TypeScript library this repository targets does not declare. */
const rawJson = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

/**
 * `JSON.parse`, keeping each number as its source text, so that printing it again writes the same number:
 * `12345678901234567890` is not rounded to a double, nor `1.50` shortened.
 */
export function parseJsonExactly(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? rawJson(context.source) : value,
  );
}
