import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  EVENT_TIME_MAX_SKEW_MS_MIN,
  HEADERS,
  SparkflowErrorCode,
  RawUserEvent,
  eventTimeMicros,
  eventTimeProblem,
  formatEventTime,
} from '@sparkflow/contracts';
import { aDeadLetterRecord, aRandomUser } from '@sparkflow/testing';
import type { OutboundRecord } from '../producer/event-producer';
import {
  contractIssues,
  identityIssue,
  correctedValue,
  originalValue,
  replayDeadLetters,
  replayMessage,
  replayClock,
  type RecordPublisher,
  type ReplayableDeadLetter,
} from './replay-dead-letters';

const aDeadLetter = (over: Partial<ReplayableDeadLetter['deadLetter']> = {}): ReplayableDeadLetter =>
  aDeadLetterRecord(over);

/** Records what would reach the broker, and answers with consecutive offsets per topic. */
class RecordingPublisher implements RecordPublisher {
  readonly sent: { topic: string; record: OutboundRecord }[] = [];
  async sendRecords(topic: string, records: readonly OutboundRecord[]) {
    return records.map((record) => {
      this.sent.push({ topic, record });
      return { partition: 3, baseOffset: String(this.sent.length - 1) };
    });
  }
}

describe('replayMessage', () => {
  it('keeps the original key and marks the record with the dead letter it replays', () => {
    const d = aDeadLetter();
    const m = replayMessage(d, originalValue(d.deadLetter));
    expect(m.key).toBe('user-key');
    expect(m.value.toString()).toBe('{"not":"an envelope"}');
    expect(m.headers).toMatchObject({
      [HEADERS.replayOf]: d.dlqEventId,
      [HEADERS.eventId]: 'header-event-id',
      [HEADERS.batchId]: 'batch-1',
      [HEADERS.source]: 'http-push',
    });
    expect(m.headers).not.toHaveProperty(HEADERS.batchSize);
  });

  it("takes event id, batch and source from the value's envelope when it has one", () => {
    const d = aDeadLetter();
    const eventId = randomUUID();
    const value = Buffer.from(
      JSON.stringify({
        eventId,
        schemaVersion: 1,
        source: 'backfill',
        batchId: 'b-2',
        producedAt: '2026-11-26T10:00:00.000Z',
        payload: {},
      }),
    );
    expect(replayMessage(d, value).headers).toMatchObject({
      [HEADERS.eventId]: eventId,
      [HEADERS.batchId]: 'b-2',
      [HEADERS.source]: 'backfill',
      [HEADERS.schemaVersion]: '1',
    });
  });

  it("continues the dead letter's trace, and starts none from a malformed or absent one", () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced = { ...aDeadLetter(), trace: { traceparent, tracestate: 'vendor=1' } };
    expect(replayMessage(traced, originalValue(traced.deadLetter)).headers).toMatchObject({
      [HEADERS.traceparent]: traceparent,
      [HEADERS.tracestate]: 'vendor=1',
    });
    for (const trace of [
      undefined,
      { tracestate: 'vendor=1' },
      { traceparent: 'not-a-traceparent', tracestate: 'vendor=1' },
      { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    ]) {
      const d = { ...aDeadLetter(), trace };
      const headers = replayMessage(d, originalValue(d.deadLetter)).headers ?? {};
      expect([HEADERS.traceparent, HEADERS.tracestate].filter((h) => h in headers)).toEqual([]);
    }
  });

  it('restores bytes that were kept as base64', () => {
    const d = aDeadLetter({
      payload: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
      payloadEncoding: 'base64',
    });
    expect(originalValue(d.deadLetter)).toEqual(Buffer.from([0xc3, 0x28, 0xff]));
  });
});

describe('a correction about another person', () => {
  const person = '6f864acc-f90c-46d4-b667-0539b047525f';
  const value = (uuid: string) =>
    Buffer.from(JSON.stringify({ eventId: 'e', payload: { login: { uuid }, name: { first: 'Zed' } } }));
  const d = aDeadLetter({ originalTopic: 'users.raw', key: person });

  it('is refused, naming login.uuid and both people, and nothing is published', async () => {
    const other = '8276ead7-602c-471b-9fd9-9a14e45ecd37';
    expect(identityIssue(d, value(other))).toMatch(
      new RegExp(
        `^payload\\.login\\.uuid: ${other} is not the person this dead letter is about \\(${person}\\)`,
      ),
    );
    const publisher = new RecordingPublisher();
    await expect(replayDeadLetters(publisher, [d], { corrected: value(other) })).rejects.toThrow(
      /login\.uuid/,
    );
    expect(publisher.sent).toEqual([]);
  });

  it('passes when it keeps the person, in any case, or the original had no key', () => {
    expect(identityIssue(d, value(person.toUpperCase()))).toBeNull();
    expect(identityIssue(aDeadLetter({ originalTopic: 'users.raw', key: null }), value(person))).toBeNull();
  });
});

describe('a dead letter without a key', () => {
  it("is published under the person its value names, lower-cased as the topic's producer keys it", () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.boolean(),
        fc.constantFrom('users.raw', 'users.enriched'),
        (uuid, upper, topic) => {
          const id = upper ? uuid.toUpperCase() : uuid;
          const payload = topic === 'users.raw' ? { login: { uuid: id } } : { userId: id };
          const value = Buffer.from(JSON.stringify({ eventId: 'e', payload }));
          const keyless = aDeadLetter({ originalTopic: topic, key: null });
          expect(replayMessage(keyless, value).key).toBe(uuid.toLowerCase());
          // A key it had is kept, whatever the value says; a value naming nobody stays unkeyed.
          expect(replayMessage(aDeadLetter({ originalTopic: topic, key: 'user-key' }), value).key).toBe(
            'user-key',
          );
          expect(replayMessage(keyless, Buffer.from('{"not":"an envelope"}')).key).toBeNull();
        },
      ),
      { seed: 20261202, numRuns: 200 },
    );
  });

  it('reports the key it was published under', async () => {
    const publisher = new RecordingPublisher();
    const uuid = '6f864acc-f90c-46d4-b667-0539b047525f';
    const corrected = Buffer.from(JSON.stringify({ eventId: 'e', payload: { login: { uuid } } }));
    const [result] = await replayDeadLetters(
      publisher,
      [aDeadLetter({ originalTopic: 'users.raw', key: null })],
      {
        corrected,
      },
    );
    expect(result.key).toBe(uuid);
    expect(publisher.sent[0].record.key).toBe(uuid);
  });
});

describe('contractIssues', () => {
  it('names the fields a corrected users.raw record still gets wrong', () => {
    const issues = contractIssues('users.raw', Buffer.from(JSON.stringify({ eventId: 'x', payload: {} })));
    expect(issues.some((i) => i.startsWith('eventId'))).toBe(true);
    expect(contractIssues('users.raw', Buffer.from('{'))[0]).toMatch(/^not JSON/);
    expect(contractIssues('some.other.topic', Buffer.from('{}'))).toEqual([]);
  });
});

describe('replayDeadLetters', () => {
  it('publishes each original value to its original topic, in order, and says where each landed', async () => {
    const publisher = new RecordingPublisher();
    const first = aDeadLetter();
    const second = aDeadLetter({
      originalTopic: 'users.enriched',
      key: null,
      payload: 'AAE=',
      payloadEncoding: 'base64',
    });
    const results = await replayDeadLetters(publisher, [first, second]);

    expect(publisher.sent.map(({ topic, record }) => [topic, record.key, Buffer.from(record.value)])).toEqual(
      [
        ['users.raw', 'user-key', Buffer.from('{"not":"an envelope"}')],
        ['users.enriched', null, Buffer.from([0, 1])],
      ],
    );
    expect(publisher.sent[1].record.headers?.[HEADERS.replayOf]).toBe(second.dlqEventId);
    expect(results).toEqual([
      {
        dlqEventId: first.dlqEventId,
        topic: 'users.raw',
        key: 'user-key',
        eventId: 'header-event-id',
        producedAt: null,
        corrected: false,
        partition: 3,
        offset: '0',
      },
      {
        dlqEventId: second.dlqEventId,
        topic: 'users.enriched',
        key: null,
        eventId: 'header-event-id',
        producedAt: null,
        corrected: false,
        partition: 3,
        offset: '1',
      },
    ]);
  });

  it('publishes a corrected value in place of the original, stamped at the replay, and refuses one for several dead letters', async () => {
    const publisher = new RecordingPublisher();
    const d = aDeadLetter();
    const now = eventTimeMicros('2026-11-27T08:00:00.000123Z');
    const [result] = await replayDeadLetters(publisher, [d], {
      corrected: Buffer.from('{"fixed":true}'),
      now: () => now,
    });
    expect(JSON.parse(publisher.sent[0].record.value.toString())).toEqual({
      fixed: true,
      eventId: 'header-event-id',
      batchId: 'batch-1',
      producedAt: '2026-11-27T08:00:00.000123Z',
    });
    expect(result).toMatchObject({ corrected: true, producedAt: '2026-11-27T08:00:00.000123Z' });

    await expect(
      replayDeadLetters(publisher, [d, aDeadLetter()], { corrected: Buffer.from('{}') }),
    ).rejects.toThrow('a corrected value replaces one dead letter, not 2');
    expect(publisher.sent).toHaveLength(1);
  });

  it('on a dry run publishes nothing and reports what it would publish', async () => {
    const publisher = new RecordingPublisher();
    const d = aDeadLetter();
    expect(await replayDeadLetters(publisher, [d], { dryRun: true })).toEqual([
      expect.objectContaining({
        dlqEventId: d.dlqEventId,
        topic: 'users.raw',
        partition: null,
        offset: null,
      }),
    ]);
    expect(publisher.sent).toEqual([]);
  });
});

/** A users.raw dead letter holding a whole person, as enrichment writes one. */
function aRawDeadLetter(): { letter: ReplayableDeadLetter; original: RawUserEvent } {
  const original: RawUserEvent = {
    eventId: randomUUID(),
    schemaVersion: 1,
    source: 'http-push',
    batchId: 'batch-7',
    producedAt: '2026-11-26T10:00:00.123456Z',
    payload: aRandomUser(),
  };
  const letter = aDeadLetter({
    key: original.payload.login.uuid,
    originalEventId: original.eventId,
    originalBatchId: original.batchId,
    payload: JSON.stringify(original),
  });
  return { letter, original };
}

const envelope = (r: OutboundRecord) => JSON.parse(Buffer.from(r.value).toString('utf8')) as RawUserEvent;
const timeOf = (r: OutboundRecord) => eventTimeMicros(envelope(r).producedAt);

describe('correctedValue', () => {
  it("keeps the event's identity whatever the file says, and never stamps at or before the original", () => {
    const { letter, original } = aRawDeadLetter();
    const edited = { ...original, eventId: randomUUID(), batchId: 'other', source: 'synthetic' };
    const behind = eventTimeMicros(original.producedAt) - 5_000_000n;
    const value = JSON.parse(correctedValue(letter, Buffer.from(JSON.stringify(edited)), behind).toString());
    expect(value).toEqual({
      ...original,
      producedAt: formatEventTime(eventTimeMicros(original.producedAt) + 1n),
    });
    expect(correctedValue(letter, Buffer.from('[1]'), behind).toString()).toBe('[1]');
    expect(correctedValue(letter, Buffer.from('{'), behind).toString()).toBe('{');
  });

  it('stamps a correction of a record refused for its event time at the replay, so that enrichment accepts it, and any other after the original', () => {
    const timeReason = {
      code: SparkflowErrorCode.SemanticInvalid,
      path: 'producedAt',
      message: 'too far ahead',
    };
    const otherReason = {
      code: SparkflowErrorCode.SemanticInvalid,
      path: 'payload.email',
      message: 'not an e-mail',
    };
    fc.assert(
      fc.property(
        // The replay's clock against the original's event time: from years behind it to days after.
        fc.oneof(
          fc.bigInt({ min: -(10n ** 14n), max: 10n ** 11n }),
          fc.bigInt({ min: -120_000_000n, max: 120_000_000n }),
        ),
        fc.boolean(),
        (ahead, refusedForTime) => {
          const { letter, original } = aRawDeadLetter();
          letter.deadLetter.reasons = [refusedForTime ? timeReason : otherReason];
          const originalMicros = eventTimeMicros(original.producedAt);
          const now = originalMicros - ahead;
          const stamped = eventTimeMicros(
            envelope({ key: null, value: correctedValue(letter, Buffer.from(JSON.stringify(original)), now) })
              .producedAt,
          );
          if (refusedForTime) {
            // Never written, so nothing to sort after: the replay's time, which the broker's timestamp of
            // the replayed record (taken after it) lets through whatever the skew.
            expect(stamped).toBe(now);
            expect(eventTimeProblem(formatEventTime(stamped), now, EVENT_TIME_MAX_SKEW_MS_MIN)).toBeNull();
          } else {
            expect(stamped).toBe(now > originalMicros ? now : originalMicros + 1n);
          }
        },
      ),
      { seed: 20261202, numRuns: 300 },
    );
  });
});

describe('replaying one dead letter again and again (property)', () => {
  // Each step: replay the original, or a correction of it (one of a few, so corrections recur),
  // the replay clock having moved on by `after` microseconds.
  const step = fc.record({
    correction: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    after: fc.integer({ min: 1, max: 1_000_000_000 }),
  });
  const corrections = fc.array(
    fc.record({ firstName: fc.string(), lastName: fc.string(), email: fc.emailAddress() }),
    { minLength: 4, maxLength: 4 },
  );

  it('publishes each correction after every earlier record of the person, and the same input as the same record', async () => {
    await fc.assert(
      fc.asyncProperty(
        corrections,
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 1_000_000_000_000 }),
        async (edits, steps, start) => {
          const { letter, original } = aRawDeadLetter();
          const fixes = edits.map((e) =>
            Buffer.from(
              JSON.stringify({
                ...original,
                payload: {
                  ...original.payload,
                  name: { ...original.payload.name, first: e.firstName, last: e.lastName },
                  email: e.email,
                },
              }),
            ),
          );
          let clock = eventTimeMicros(original.producedAt) + BigInt(start);
          const published: OutboundRecord[] = [];
          let latest: Buffer | null = null;
          for (const { correction, after } of steps) {
            clock += BigInt(after);
            const now = clock;
            const corrected = correction === null ? null : fixes[correction];
            const replay = async () => {
              const publisher = new RecordingPublisher();
              await replayDeadLetters(publisher, [letter], { corrected, now: () => now });
              return publisher.sent[0].record;
            };
            const record = await replay();
            // The same dead letter, value and clock publish the same record.
            expect(await replay()).toEqual(record);
            expect(record.key).toBe(letter.deadLetter.key);
            expect(record.headers?.[HEADERS.eventId]).toBe(original.eventId);
            const { producedAt, ...identity } = envelope(record);
            expect({ ...identity, payload: undefined }).toEqual({
              ...original,
              producedAt: undefined,
              payload: undefined,
            });
            if (corrected === null) {
              // The original, byte for byte: replaying it again rewrites identical cells.
              expect(Buffer.from(record.value)).toEqual(originalValue(letter.deadLetter));
            } else {
              const earlier = [eventTimeMicros(original.producedAt), ...published.map(timeOf)];
              for (const t of earlier) expect(eventTimeMicros(producedAt)).toBeGreaterThan(t);
              expect(envelope(record).payload).toEqual(JSON.parse(corrected.toString()).payload);
              latest = corrected;
            }
            published.push(record);
          }
          // What persistence keeps (the newest event time, whole) is the last correction, or the original.
          const newest = published.reduce((a, b) => (timeOf(b) > timeOf(a) ? b : a));
          expect(envelope(newest).payload).toEqual(
            latest ? JSON.parse(latest.toString()).payload : original.payload,
          );
        },
      ),
      { seed: 20261202, numRuns: 50 },
    );
  });
});

describe('replayClock', () => {
  it('reads the wall clock, also after it stepped ahead of the monotonic clock, and never repeats itself', () => {
    // A machine resumed from suspend: Date.now() jumped an hour, performance.now() did not move.
    const stepped = Date.now() + 3_600_000;
    const wall = jest.spyOn(Date, 'now').mockReturnValue(stepped);
    try {
      const [first, second] = [replayClock(), replayClock()];
      expect(first).toBe(BigInt(stepped) * 1000n);
      expect(second).toBe(first + 1n);
    } finally {
      wall.mockRestore();
    }
  });
});
