import { aDeadLetterRecord } from '@sparkflow/testing';
import { matchesFilter, type DeadLetterRecord } from './dead-letters';

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
