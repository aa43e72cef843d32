import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION } from '@sparkflow/contracts';
import { aDeadLetterRecord, aRandomUser, withValue } from '@sparkflow/testing';
import fc from 'fast-check';
import {
  distinctDeadLetters,
  eventIdKey,
  failingOriginals,
  matchesFilter,
  newestOf,
  originOf,
  placeOf,
  type DeadLetterRecord,
} from './dead-letters';

const aDeadLetter = (over: Partial<DeadLetterRecord['deadLetter']> = {}): DeadLetterRecord =>
  aDeadLetterRecord(over);

describe('matchesFilter', () => {
  it('selects by stage, time, batch and id', () => {
    const d = aDeadLetter();
    expect(matchesFilter(d, {})).toBe(true);
    expect(matchesFilter(d, { stage: 'persistence' })).toBe(false);
    expect(matchesFilter(d, { since: Date.parse('2026-11-26T11:00:00Z') })).toBe(false);
    expect(matchesFilter(d, { batchId: 'batch-1', eventIds: [d.dlqEventId] })).toBe(true);
    expect(matchesFilter(d, { eventIds: ['another'] })).toBe(false);
  });
});

describe('selecting dead letters by event id', () => {
  // Any mix of upper and lower case of a UUID, as a person may paste it.
  const anyCase = (id: string) =>
    fc
      .array(fc.boolean(), { minLength: id.length, maxLength: id.length })
      .map((up) => [...id].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

  it('selects a dead letter by its id in any case, and by no other id', () => {
    fc.assert(
      fc.property(
        fc.uuid().chain((stored) => fc.tuple(fc.constant(stored), anyCase(stored), fc.uuid())),
        ([stored, asked, other]) => {
          const d = aDeadLetterRecord();
          const letter = { ...d, dlqEventId: stored };
          expect(matchesFilter(letter, { eventIds: [asked] })).toBe(true);
          expect(eventIdKey(asked)).toBe(eventIdKey(stored));
          fc.pre(other.toLowerCase() !== stored.toLowerCase());
          expect(matchesFilter(letter, { eventIds: [other] })).toBe(false);
        },
      ),
      { seed: 0x1d5, numRuns: 300 },
    );
  });
});

describe('originOf', () => {
  it('names the place of the failed record, or says a person refused at ingestion never got there', () => {
    expect(originOf({ originalTopic: 'users.raw', partition: 2, offset: '78' })).toBe('users.raw[2]@78');
    expect(originOf({ originalTopic: 'users.raw', partition: null, offset: null })).toBe(
      'never on users.raw (refused before it)',
    );
  });
});

describe('newestOf', () => {
  it('keeps the newest of a list read oldest first, in that order, and says what it left out', () => {
    expect(newestOf([1, 2, 3, 4], 2)).toEqual({
      records: [3, 4],
      cut: 'showing the newest 2 of 4 dead letters that match; --limit, --since, --stage or --batch shows others',
    });
    expect(newestOf([1, 2], 2)).toEqual({ records: [1, 2], cut: null });
  });
});

describe('failingOriginals', () => {
  it('names the dead letters whose original record fails its topic contract, with the issues', () => {
    const unreadable = aDeadLetter({ payload: '{"not":"an envelope"}' });
    const notJson = aDeadLetter({ payload: 'garbage' });
    const acknowledgement = aDeadLetter({ originalTopic: 'users.persisted', payload: '{"any":"json"}' });
    const event = (payload: unknown) =>
      JSON.stringify({
        eventId: randomUUID(),
        schemaVersion: SCHEMA_VERSION,
        source: 'http-push',
        batchId: 'batch-1',
        producedAt: '2026-11-26T10:00:00.000Z',
        payload,
      });
    // Refused by enrichment for its e-mail, which the raw contract takes: replayed, enrichment judges it.
    const valid = aDeadLetter({ payload: event(withValue(aRandomUser(), 'email', 'not-an-email')) });
    // Refused by ingestion: its nationality fails the raw contract.
    const refused = aDeadLetter({ stage: 'ingestion', payload: event(withValue(aRandomUser(), 'nat', 'X')) });
    const failing = failingOriginals([unreadable, notJson, acknowledgement, valid, refused]);
    expect(failing.map((f) => f.dlqEventId)).toEqual([
      unreadable.dlqEventId,
      notJson.dlqEventId,
      refused.dlqEventId,
    ]);
    expect(failing[2].issues.join()).toMatch(/^payload\.nat/);
    expect(failing[1].issues[0]).toMatch(/^not JSON/);
    expect(failing[0].issues.length).toBeGreaterThan(0);
  });
});

describe('distinctDeadLetters', () => {
  it('counts a dead letter two records hold once, keeping the first read, and names its records', () => {
    const once = { ...aDeadLetter(), partition: 0, offset: '3' };
    const first = { ...aDeadLetter(), partition: 1, offset: '7' };
    const again = { ...first, dlqEventId: first.dlqEventId.toUpperCase(), partition: 2, offset: '9' };
    const { letters, repeated } = distinctDeadLetters([first, once, again]);
    expect(letters).toEqual([first, once]);
    expect(repeated).toEqual([[first, again]]);
    expect(repeated[0].map(placeOf)).toEqual(['users.dlq[1]@7', 'users.dlq[2]@9']);
  });
});
