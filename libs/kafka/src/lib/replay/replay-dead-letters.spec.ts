import { randomUUID } from 'node:crypto';
import { HEADERS } from '@sparkflow/contracts';
import { aDeadLetterRecord } from '@sparkflow/testing';
import type { OutboundRecord } from '../producer/event-producer';
import {
  contractIssues,
  originalValue,
  replayDeadLetters,
  replayMessage,
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

  it('restores bytes that were kept as base64', () => {
    const d = aDeadLetter({
      payload: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
      payloadEncoding: 'base64',
    });
    expect(originalValue(d.deadLetter)).toEqual(Buffer.from([0xc3, 0x28, 0xff]));
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
        corrected: false,
        partition: 3,
        offset: '0',
      },
      {
        dlqEventId: second.dlqEventId,
        topic: 'users.enriched',
        key: null,
        eventId: 'header-event-id',
        corrected: false,
        partition: 3,
        offset: '1',
      },
    ]);
  });

  it('publishes a corrected value in place of the original, and refuses one for several dead letters', async () => {
    const publisher = new RecordingPublisher();
    const d = aDeadLetter();
    const [result] = await replayDeadLetters(publisher, [d], { corrected: Buffer.from('{"fixed":true}') });
    expect(publisher.sent[0].record.value.toString()).toBe('{"fixed":true}');
    expect(result.corrected).toBe(true);

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
