import { decodeValue, headersOf, searchableText, showRecord } from './records';

describe('decodeValue', () => {
  it('splits an envelope from its payload', () => {
    const v = decodeValue(
      Buffer.from(JSON.stringify({ eventId: 'e1', batchId: 'b1', payload: { email: 'a@b.c' } })),
    );
    expect(v).toEqual({
      kind: 'envelope',
      envelope: { eventId: 'e1', batchId: 'b1' },
      payload: { email: 'a@b.c' },
    });
  });

  it('keeps other JSON, text, bytes that are not UTF-8, and empty values apart', () => {
    expect(decodeValue(Buffer.from('[1,2]'))).toEqual({ kind: 'json', json: [1, 2] });
    expect(decodeValue(Buffer.from('{"eventId":'))).toEqual({ kind: 'text', text: '{"eventId":' });
    expect(decodeValue(Buffer.from([0xc3, 0x28]))).toEqual({ kind: 'base64', base64: 'wyg=' });
    expect(decodeValue(null)).toEqual({ kind: 'empty' });
  });
});

describe('showRecord', () => {
  it('gives key, headers as text and an ISO timestamp', () => {
    const r = showRecord('users.raw', 2, {
      key: Buffer.from('k1'),
      value: Buffer.from('{"a":1}'),
      timestamp: '1764158400000',
      offset: '7',
      attributes: 0,
      headers: { 'sparkflow-event-id': Buffer.from('e1'), multi: [Buffer.from('x'), Buffer.from('y')] },
    });
    expect(r).toMatchObject({
      topic: 'users.raw',
      partition: 2,
      offset: '7',
      key: 'k1',
      timestamp: '2025-11-26T12:00:00.000Z',
    });
    expect(r.headers).toEqual({ 'sparkflow-event-id': 'e1', multi: 'x,y' });
    expect(searchableText(r)).toContain('sparkflow-event-id=e1');
    expect(headersOf({ headers: undefined })).toEqual({});
  });
});
