import { randomUUID } from 'node:crypto';
import { HEADERS } from '@sparkflow/contracts';
import {
  contractIssues,
  matchesFilter,
  originalValue,
  replayMessage,
  type DeadLetterRecord,
} from './dead-letters';

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

describe('replayMessage', () => {
  it('keeps the original key and marks the record with the dead letter it replays', () => {
    const d = aDeadLetter();
    const m = replayMessage(d, originalValue(d.deadLetter));
    expect(m.key).toBe('user-key');
    expect(m.value?.toString()).toBe('{"not":"an envelope"}');
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

  it('restores bytes that were kept as base64', () => {
    const d = aDeadLetter({
      payload: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
      payloadEncoding: 'base64',
    });
    expect(originalValue(d.deadLetter)).toEqual(Buffer.from([0xc3, 0x28, 0xff]));
  });
});

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

describe('contractIssues', () => {
  it('names the fields a corrected users.raw record still gets wrong', () => {
    const issues = contractIssues('users.raw', Buffer.from(JSON.stringify({ eventId: 'x', payload: {} })));
    expect(issues.some((i) => i.startsWith('eventId'))).toBe(true);
    expect(contractIssues('users.raw', Buffer.from('{'))[0]).toMatch(/^not JSON/);
    expect(contractIssues('some.other.topic', Buffer.from('{}'))).toEqual([]);
  });
});
