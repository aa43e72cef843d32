import { randomUUID } from 'node:crypto';
import { matchesFilter, type DeadLetterRecord } from './dead-letters';

function aDeadLetter(over: Partial<DeadLetterRecord['deadLetter']> = {}): DeadLetterRecord {
  return {
    dlqEventId: randomUUID(),
    partition: 1,
    offset: '12',
    source: 'http-push',
    batchId: 'batch-1',
    producedAt: '2026-11-26T10:00:00.000Z',
    deadLetter: {
      stage: 'enrichment',
      reasons: [{ code: 'SCHEMA_INVALID' as never, message: 'Invalid email', path: 'payload.email' }],
      originalTopic: 'users.raw',
      partition: 4,
      offset: '99',
      key: 'user-key',
      originalEventId: 'header-event-id',
      originalBatchId: 'batch-1',
      payload: '{"not":"an envelope"}',
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt: '2026-11-26T10:00:00.000Z',
      ...over,
    },
  };
}

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
