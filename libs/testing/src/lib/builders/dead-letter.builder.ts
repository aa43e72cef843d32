import { randomUUID } from 'node:crypto';
import type { DeadLetter } from '@sparkflow/contracts';

/**
 * A `users.dlq` record as a reader of the topic holds it: its own event id and where it sits, and a dead
 * letter of enrichment refusing an e-mail in a users.raw record that had no readable envelope.
 */
export function aDeadLetterRecord(over: Partial<DeadLetter> = {}) {
  return {
    dlqEventId: randomUUID(),
    partition: 1,
    offset: '12',
    source: 'http-push',
    batchId: 'batch-1',
    producedAt: '2026-11-26T10:00:00.000Z',
    deadLetter: {
      stage: 'enrichment',
      reasons: [{ code: 'SCHEMA_INVALID', message: 'Invalid email', path: 'payload.email' }],
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
    } as DeadLetter,
  };
}
