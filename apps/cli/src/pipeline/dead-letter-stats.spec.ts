import type { DeadLetterRecord } from '../kafka/dead-letters';
import { deadLetterStats } from './dead-letter-stats';

const letter = (stage: string, failedAt: string, reasons: { code: string; path: string | null }[]): DeadLetterRecord =>
  ({
    dlqEventId: `${stage}-${failedAt}`,
    partition: 0,
    offset: '0',
    source: 'synthetic',
    batchId: 'b1',
    producedAt: failedAt,
    deadLetter: { stage, failedAt, reasons: reasons.map((r) => ({ ...r, message: 'bad' })) },
  }) as unknown as DeadLetterRecord;

describe('dead-letter stats', () => {
  it('counts letters by stage, and by each distinct reason code with the fields it named most', () => {
    const stats = deadLetterStats([
      letter('enrichment', '2026-11-30T10:00:00.000Z', [
        { code: 'SCHEMA_INVALID', path: 'payload.email' },
        { code: 'SCHEMA_INVALID', path: 'payload.dob' },
      ]),
      letter('enrichment', '2026-11-30T10:05:00.000Z', [
        { code: 'SCHEMA_INVALID', path: 'payload.email' },
        { code: 'SEMANTIC_INVALID', path: 'payload.dob.date' },
      ]),
      letter('persistence', '2026-11-30T10:01:00.000Z', [{ code: 'CASSANDRA_REJECTED', path: null }]),
    ]);
    expect(stats.total).toBe(3);
    expect(stats.byStage).toEqual({ enrichment: 2, persistence: 1 });
    expect(stats.reasons).toEqual([
      { stage: 'enrichment', code: 'SCHEMA_INVALID', count: 2, paths: ['payload.email', 'payload.dob'], lastFailedAt: '2026-11-30T10:05:00.000Z' },
      { stage: 'enrichment', code: 'SEMANTIC_INVALID', count: 1, paths: ['payload.dob.date'], lastFailedAt: '2026-11-30T10:05:00.000Z' },
      { stage: 'persistence', code: 'CASSANDRA_REJECTED', count: 1, paths: [], lastFailedAt: '2026-11-30T10:01:00.000Z' },
    ]);
  });

  it('counts a letter without reasons as UNKNOWN, and nothing as nothing', () => {
    expect(deadLetterStats([letter('audit', '2026-11-30T10:00:00.000Z', [])]).reasons).toEqual([
      expect.objectContaining({ stage: 'audit', code: 'UNKNOWN', count: 1 }),
    ]);
    expect(deadLetterStats([])).toEqual({ total: 0, byStage: {}, reasons: [] });
  });
});
