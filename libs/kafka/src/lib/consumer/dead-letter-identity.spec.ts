import * as fc from 'fast-check';
import {
  DeadLetterEvent,
  EVENT_SOURCES,
  SparkflowErrorCode,
  type EventSource,
  type Stage,
} from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { deadLetterFor, deadLetterId, deadLetterIdentity, recordIdentity } from './dead-letters';
import type { InboundMessage } from './inbound-message';
import { storableText } from '@sparkflow/contracts';

const E = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const OTHER = '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';

const record = (
  value: Buffer | null,
  headers: Record<string, string> = {},
  topic = 'users.raw',
): InboundMessage => ({
  topic,
  partition: 3,
  offset: '77',
  key: null,
  value,
  headers,
  timestamp: 0,
  traceHeaders: {},
});

const envelopeValue = (e: { eventId: string; batchId: string; source: string }, payload: unknown = {}) =>
  Buffer.from(
    JSON.stringify({ ...e, schemaVersion: 1, producedAt: '2026-12-02T10:00:00.000123Z', payload }),
    'utf8',
  );

const invalid = (path: string) =>
  new SparkflowException(SparkflowErrorCode.SchemaInvalid, '1 invalid field(s)', {
    reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message: 'Invalid email address', path }],
  });

/** The letter's identity as the audit files it: original event (or the letter's own id), batch, source. */
function filedAs(out: ReturnType<typeof deadLetterFor>) {
  const dl = DeadLetterEvent.parse(out.event);
  return {
    eventId: dl.payload.originalEventId ?? dl.eventId,
    batchId: dl.payload.originalBatchId ?? dl.batchId,
    source: dl.source,
  };
}

describe('a dead letter carries the identity of the record it explains', () => {
  it('(a) a raw record with an envelope and no headers: the envelope event, batch and source', () => {
    const m = record(
      envelopeValue({ eventId: E, batchId: 'rv7-noheaders', source: 'http-push' }, { email: 'not-an-email' }),
    );
    const out = deadLetterFor(m, 'enrichment', invalid('email'), 1);
    expect(filedAs(out)).toEqual({ eventId: E, batchId: 'rv7-noheaders', source: 'http-push' });
    expect(DeadLetterEvent.parse(out.event).payload).toMatchObject({
      originalEventId: E,
      originalBatchId: 'rv7-noheaders',
    });
  });

  it('(b, c) headers that disagree with a readable envelope are not its identity', () => {
    const m = record(envelopeValue({ eventId: E, batchId: 'envelope-batch', source: 'http-push' }), {
      'sparkflow-event-id': OTHER,
      'sparkflow-batch-id': 'header-batch',
      'sparkflow-source': 'synthetic',
    });
    expect(filedAs(deadLetterFor(m, 'enrichment', invalid('email'), 1))).toEqual({
      eventId: E,
      batchId: 'envelope-batch',
      source: 'http-push',
    });
  });

  it('(d) an enriched record with an envelope and no headers that persistence gives up on', () => {
    const m = record(
      envelopeValue({ eventId: E, batchId: 'rv7-enriched', source: 'synthetic' }, { userId: OTHER }),
      {},
      'users.enriched',
    );
    expect(filedAs(deadLetterFor(m, 'persistence', new Error('no replicas'), 5))).toEqual({
      eventId: E,
      batchId: 'rv7-enriched',
      source: 'synthetic',
    });
  });

  it('takes the headers when the value holds no readable envelope, but not a source the contract lacks', () => {
    const m = record(Buffer.from('not json {'), {
      'sparkflow-event-id': E,
      'sparkflow-batch-id': 'b-9',
      'sparkflow-source': 'ftp',
    });
    expect(recordIdentity(m)).toEqual({ eventId: E, batchId: 'b-9', source: null });
    expect(filedAs(deadLetterFor(m, 'enrichment', new Error('bad'), 1))).toEqual({
      eventId: E,
      batchId: 'b-9',
      source: 'unknown',
    });
  });

  it('falls back to the name-based id and batch `unknown` when nothing readable names the record', () => {
    const m = record(Buffer.from([0xff, 0x7b, 0x00]), {
      'sparkflow-event-id': 'E-1',
      'sparkflow-batch-id': '',
    });
    expect(recordIdentity(m)).toEqual({ eventId: null, batchId: null, source: null });
    const out = deadLetterFor(m, 'enrichment', new Error('bad'), 1);
    expect(filedAs(out)).toEqual({
      eventId: deadLetterId('enrichment', 'users.raw', 3, '77'),
      batchId: 'unknown',
      source: 'unknown',
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// The property: for any record, the letter is filed under deadLetterIdentity, which is the envelope's
// identity whenever the value holds a readable envelope, and the headers' otherwise.

type HeaderKind = 'missing' | 'agree' | 'disagree' | 'garbage' | 'overlong' | 'empty';
type ValueKind =
  'envelope' | 'envelope-bad-byte' | 'broken-envelope' | 'not-json' | 'truncated' | 'invalid-utf8' | 'none';

const hostile = fc.string({
  unit: fc.constantFrom('a', 'Z', '"', '\\', '\u0000', '\n', 'é', '😀', '\ud800', '\udfff', '{', ' '),
  minLength: 1,
  maxLength: 30,
});

/** A valid envelope batch id: 1–200 characters, plain or hostile (NUL and lone surrogates included). */
const batchIdArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{1,40}$/),
  hostile,
  hostile.map((s) => s.repeat(200).slice(0, 200)),
);

const identityArb = fc.record({
  eventId: fc.uuid({ version: [4, 5] }),
  batchId: batchIdArb,
  source: fc.constantFrom(...EVENT_SOURCES),
});

/** One way each envelope field can make the envelope unreadable. */
const BREAKS: readonly ((e: Record<string, unknown>) => Record<string, unknown>)[] = [
  (e) => ({ ...e, eventId: 'not-a-uuid' }),
  (e) => ({ ...e, source: 'ftp' }),
  (e) => ({ ...e, batchId: '' }),
  (e) => ({ ...e, batchId: 'b'.repeat(201) }),
  (e) => ({ ...e, schemaVersion: 2 }),
  (e) => ({ ...e, producedAt: 'yesterday' }),
  ({ eventId: _, ...rest }) => rest,
];

const caseArb = fc.record({
  valueKind: fc.constantFrom<ValueKind>(
    'envelope',
    'envelope-bad-byte',
    'broken-envelope',
    'not-json',
    'truncated',
    'invalid-utf8',
    'none',
  ),
  envelope: identityArb,
  other: identityArb,
  breakAt: fc.nat(BREAKS.length - 1),
  /** Bytes of payload around the envelope: small, or large enough to be cut to fit users.dlq. */
  payloadChars: fc.constantFrom(0, 50, 20_000, 300_000),
  leadingSpace: fc.constantFrom('', ' \n\t'),
  eventHeader: fc.constantFrom<HeaderKind>('missing', 'agree', 'disagree', 'garbage', 'overlong', 'empty'),
  batchHeader: fc.constantFrom<HeaderKind>('missing', 'agree', 'disagree', 'garbage', 'overlong', 'empty'),
  sourceHeader: fc.constantFrom<HeaderKind>('missing', 'agree', 'disagree', 'garbage', 'overlong', 'empty'),
  garbage: hostile,
  stage: fc.constantFrom<Stage>('enrichment', 'persistence', 'audit'),
  maxBytes: fc.constantFrom(8 * 1024, 64 * 1024, 1024 * 1024),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function valueOf(c: Case): Buffer | null {
  const body = { ...c.envelope, schemaVersion: 1, producedAt: '2026-12-02T10:00:00.123456Z' };
  const payload = { name: 'x"é'.repeat(c.payloadChars / 3), email: 'not-an-email' };
  const text = (o: Record<string, unknown>) => c.leadingSpace + JSON.stringify(o);
  switch (c.valueKind) {
    case 'envelope':
      return Buffer.from(text({ ...body, payload }), 'utf8');
    case 'envelope-bad-byte': {
      // A byte that is not UTF-8 inside the payload: the envelope around it is still readable.
      const [before, after] = text({ ...body, payload: { ...payload, note: '<>' } }).split('<>');
      return Buffer.concat([
        Buffer.from(before, 'utf8'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(after, 'utf8'),
      ]);
    }
    case 'broken-envelope':
      return Buffer.from(text({ ...BREAKS[c.breakAt](body), payload }), 'utf8');
    case 'not-json':
      return Buffer.from(`x${c.garbage}${text(body)}`, 'utf8');
    case 'truncated': {
      const whole = text({ ...body, payload });
      return Buffer.from(whole.slice(0, whole.length - 1), 'utf8');
    }
    case 'invalid-utf8':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text(body), 'utf8')]);
    case 'none':
      return null;
  }
}

/** A header for one identity field, and what the identity takes from it when the envelope is unreadable. */
function header(kind: HeaderKind, own: string, other: string, garbage: string, valid: boolean) {
  switch (kind) {
    case 'missing':
      return { value: undefined, taken: null };
    case 'agree':
      return { value: own, taken: own };
    case 'disagree':
      return { value: other, taken: other };
    case 'garbage':
      return { value: `x-${garbage}`, taken: valid ? `x-${garbage}` : null };
    case 'overlong':
      return {
        value: `${garbage}${'y'.repeat(5000)}`,
        taken: valid ? `${garbage}${'y'.repeat(5000)}` : null,
      };
    case 'empty':
      return { value: '', taken: null };
  }
}

describe('recordIdentity and the dead letter agree for any record (seeded property)', () => {
  it('files every dead letter under the identity of the record, the envelope first', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const eventH = header(c.eventHeader, c.envelope.eventId, c.other.eventId, c.garbage, false);
        const batchH = header(c.batchHeader, c.envelope.batchId, c.other.batchId, c.garbage, true);
        const sourceH = header(c.sourceHeader, c.envelope.source, c.other.source, c.garbage, false);
        const headers: Record<string, string> = {};
        if (eventH.value !== undefined) headers['sparkflow-event-id'] = eventH.value;
        if (batchH.value !== undefined) headers['sparkflow-batch-id'] = batchH.value;
        if (sourceH.value !== undefined) headers['sparkflow-source'] = sourceH.value;
        const m = { ...record(valueOf(c), headers), key: c.garbage };

        const expected =
          c.valueKind === 'envelope' || c.valueKind === 'envelope-bad-byte'
            ? { eventId: c.envelope.eventId, batchId: c.envelope.batchId, source: c.envelope.source }
            : { eventId: eventH.taken, batchId: batchH.taken, source: sourceH.taken as EventSource | null };
        const identity = recordIdentity(m);
        expect(identity).toEqual({
          ...expected,
          batchId: expected.batchId === null ? null : storableText(expected.batchId, 200),
        });

        const out = deadLetterFor(m, c.stage, invalid('email'), 1, new Date(0), c.maxBytes);
        expect(Buffer.byteLength(JSON.stringify(out.event))).toBeLessThanOrEqual(c.maxBytes);
        const dl = DeadLetterEvent.parse(out.event);
        expect(dl.eventId).toBe(deadLetterId(c.stage, m.topic, m.partition, m.offset));
        expect(dl.payload.originalEventId).toBe(identity.eventId);
        expect(dl.payload.originalBatchId).toBe(identity.batchId);
        expect(filedAs(out)).toEqual(deadLetterIdentity(m, c.stage));
        expect(deadLetterIdentity(m, c.stage)).toEqual({
          eventId: identity.eventId ?? dl.eventId,
          batchId: identity.batchId ?? 'unknown',
          source: identity.source ?? 'unknown',
        });
        const kept = Buffer.from(
          dl.payload.payload,
          dl.payload.payloadEncoding === 'base64' ? 'base64' : 'utf8',
        );
        const value = m.value ?? Buffer.alloc(0);
        expect((dl.payload.payloadTruncated ? value.subarray(0, kept.length) : value).equals(kept)).toBe(
          true,
        );
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });
});
