import { DeadLetterEvent, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { deadLetterFor } from './dead-letters';
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
