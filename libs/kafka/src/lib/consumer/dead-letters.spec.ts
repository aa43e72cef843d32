import { createHash } from 'node:crypto';
import { DeadLetterEvent, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { deadLetterFor, deadLetterId } from './dead-letters';
import type { InboundMessage } from './inbound-message';

const message = (value: Buffer | null, headers: Record<string, string> = {}): InboundMessage => ({
  topic: 'users.raw',
  partition: 4,
  offset: '1234',
  key: 'k-1',
  value,
  headers,
  timestamp: 0,
  traceHeaders: {},
});

describe('deadLetterFor', () => {
  it('keeps a UTF-8 payload verbatim with where it came from and every reason', () => {
    const error = new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'invalid', {
      reasons: [
        { code: SparkflowErrorCode.SchemaInvalid, message: 'Required', path: 'email' },
        { code: SparkflowErrorCode.SchemaInvalid, message: 'Invalid UUID', path: 'login.uuid' },
      ],
    });
    const out = deadLetterFor(
      message(Buffer.from('{"name":"Zoé"}'), {
        'sparkflow-source': 'http-push',
        'sparkflow-batch-id': 'b-1',
      }),
      'enrichment',
      error,
      1,
    );
    const dlq = DeadLetterEvent.parse(out.event);
    expect(out.key).toBe('k-1');
    expect(dlq.source).toBe('http-push');
    expect(dlq.batchId).toBe('b-1');
    expect(dlq.payload).toMatchObject({
      stage: 'enrichment',
      originalTopic: 'users.raw',
      partition: 4,
      offset: '1234',
      key: 'k-1',
      originalBatchId: 'b-1',
      payload: '{"name":"Zoé"}',
      payloadEncoding: 'utf8',
      attempts: 1,
    });
    expect(dlq.payload.reasons.map((r) => r.path)).toEqual(['email', 'login.uuid']);
  });

  it("names when the broker appended the record, the clock the audit times the record's step by", () => {
    const at = (timestamp: number) =>
      DeadLetterEvent.parse(
        deadLetterFor({ ...message(Buffer.from('{')), timestamp }, 'persistence', new Error('x'), 1).event,
      ).payload.originalAppendedAt;
    expect(at(Date.parse('2026-11-25T12:00:00.250Z'))).toBe('2026-11-25T12:00:00.250Z');
    expect(at(-1)).toBeNull();
  });

  it('keeps bytes that are not UTF-8 as base64 so a replay sends the very same bytes', () => {
    const poison = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const dlq = DeadLetterEvent.parse(
      deadLetterFor(message(poison), 'enrichment', new Error('bad'), 1).event,
    );
    expect(dlq.payload.payloadEncoding).toBe('base64');
    expect(Buffer.from(dlq.payload.payload, 'base64').equals(poison)).toBe(true);
    expect(dlq.source).toBe('unknown');
    expect(dlq.payload.reasons[0].code).toBe('UNKNOWN');
  });
});

/** A small seeded generator (mulberry32): the same seed gives the same cases on every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  return { next, int, pick };
}

const ALPHABETS = ['a', '"', '\\', '\u0000', '\n', 'é', '😀', '\u202e', 'ß', '{}'] as const;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('deadLetterFor fits any record into users.dlq', () => {
  const rnd = seeded(20261130);
  const cases = Array.from({ length: 60 }, (_, i) => {
    const maxBytes = rnd.pick([8 * 1024, 20 * 1024, 64 * 1024]);
    const size = rnd.pick([0, 10, maxBytes / 4, maxBytes - 5000, maxBytes, maxBytes * 2, maxBytes * 5].map(Math.floor));
    const binary = rnd.next() < 0.25;
    let value: Buffer;
    if (binary) {
      value = Buffer.alloc(size);
      for (let j = 0; j < size; j++) value[j] = rnd.int(0, 255);
    } else {
      const alphabet = Array.from({ length: rnd.int(1, 3) }, () => rnd.pick(ALPHABETS));
      let text = '';
      while (Buffer.byteLength(text) < size) text += rnd.pick(alphabet).repeat(rnd.int(1, 50));
      value = Buffer.from(text);
    }
    const hostile = rnd.pick(['b-1', 'seed\u0000x', '\ud800lone', 'x'.repeat(5000), '']);
    return { i, maxBytes, value, hostile };
  });

  it.each(cases)('case $i: within max.message.bytes, valid, and the original identifiable', ({ maxBytes, value, hostile }) => {
    const error = new SparkflowException(SparkflowErrorCode.SchemaInvalid, `bad ${hostile}`, {
      reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message: `bad value ${hostile}`, path: `name.${hostile}` }],
    });
    const out = deadLetterFor(
      { ...message(value, { 'sparkflow-batch-id': hostile, 'sparkflow-event-id': hostile }), key: hostile },
      'enrichment',
      error,
      1,
      new Date(),
      maxBytes,
    );
    const bytes = Buffer.byteLength(JSON.stringify(out.event)) + Buffer.byteLength(out.key ?? '');
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    const dl = DeadLetterEvent.parse(out.event);
    const kept = Buffer.from(dl.payload.payload, dl.payload.payloadEncoding === 'base64' ? 'base64' : 'utf8');
    if (dl.payload.payloadTruncated) {
      expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
      expect(dl.payload.payloadBytes).toBe(value.length);
      expect(dl.payload.payloadSha256).toBe(createHash('sha256').update(value).digest('hex'));
      // Cut, not dropped: what room the explanation leaves goes to the payload.
      if (maxBytes >= 20 * 1024) expect(kept.length).toBeGreaterThan(0);
    } else {
      expect(kept.equals(value)).toBe(true);
    }
    const stored = [dl.batchId, dl.payload.key ?? '', dl.payload.originalEventId ?? '', ...dl.payload.reasons.flatMap((r) => [r.message, r.path ?? ''])];
    for (const text of stored) {
      expect(text).not.toContain('\u0000');
      expect(LONE_SURROGATE.test(text)).toBe(false);
    }
    expect(dl.batchId.length).toBeLessThanOrEqual(200);
  });

  it('fits the incident: a ~900 KB name of `"` escaped twice on its way to users.dlq', () => {
    const raw = Buffer.from(JSON.stringify({ name: { first: '"'.repeat(900_000) } }));
    const out = deadLetterFor(message(raw), 'enrichment', new Error('too long'), 1);
    const dl = DeadLetterEvent.parse(out.event);
    expect(Buffer.byteLength(JSON.stringify(out.event))).toBeLessThanOrEqual(1024 * 1024);
    expect(dl.payload).toMatchObject({ payloadTruncated: true, payloadBytes: raw.length });
  });
});

describe('deadLetterId', () => {
  it('is the same for the same failure and differs by stage, topic, partition and offset', () => {
    const a = deadLetterId('enrichment', 'users.raw', 4, '1234');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deadLetterId('enrichment', 'users.raw', 4, '1234')).toBe(a);
    const others = [
      deadLetterId('audit', 'users.raw', 4, '1234'),
      deadLetterId('enrichment', 'users.enriched', 4, '1234'),
      deadLetterId('enrichment', 'users.raw', 5, '1234'),
      deadLetterId('enrichment', 'users.raw', 4, '1235'),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
  });

  it('names a redelivered record that fails again with the same dead-letter id', () => {
    const error = new SparkflowException(SparkflowErrorCode.MalformedJson, 'not JSON');
    const first = deadLetterFor(message(Buffer.from('{')), 'enrichment', error, 1);
    const again = deadLetterFor(message(Buffer.from('{')), 'enrichment', error, 3, new Date(0));
    expect(again.event.eventId).toBe(first.event.eventId);
  });
});
