import { aDeadLetterRecord } from '@sparkflow/testing';
import { matchesFilter, newestOf, originOf, type DeadLetterRecord } from './dead-letters';

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
