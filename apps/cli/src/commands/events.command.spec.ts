import { inPipelineOrder, type LineageStep } from './events.command';

const step = (
  topic: string,
  timestamp: string | null,
  producedAt: string | null = null,
  appendedAt: string | null = null,
): LineageStep => ({
  eventId: '0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40',
  topic,
  outcome: 'enriched',
  userId: null,
  batchId: null,
  source: null,
  partition: 0,
  offset: '0',
  producedAt,
  appendedAt,
  recordedAt: '2026-11-30T10:00:09.000Z',
  reasons: null,
  timestamp,
  traceId: null,
  deadLetterStage: null,
});

describe('an event lineage', () => {
  it('is ordered by record time, not by when the audit recorded each topic', () => {
    const steps = [
      step('users.persisted', '2026-11-30T10:00:02.000Z'),
      step('users.raw', '2026-11-30T10:00:00.000Z'),
      step('users.enriched', '2026-11-30T10:00:01.000Z'),
    ];
    expect(inPipelineOrder(steps).map((s) => s.topic)).toEqual([
      'users.raw',
      'users.enriched',
      'users.persisted',
    ]);
  });

  it('falls back to the envelope time, and to pipeline order on equal times', () => {
    const steps = [
      step('users.dlq', null, '2026-11-30T10:00:00.000Z'),
      step('users.enriched', '2026-11-30T10:00:00.000Z'),
      step('users.raw', '2026-11-30T10:00:00.000Z'),
    ];
    expect(inPipelineOrder(steps).map((s) => s.topic)).toEqual(['users.raw', 'users.enriched', 'users.dlq']);
  });

  it("orders records Kafka no longer holds by when the audit says the broker appended them, before their producers' clocks", () => {
    // The producers' clocks disagree by a second; the broker's append times are one clock.
    const steps = [
      step('users.persisted', null, '2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00.300Z'),
      step('users.enriched', null, '2026-11-30T10:00:01.000Z', '2026-11-30T10:00:00.200Z'),
      step('users.raw', null, '2026-11-30T10:00:00.500Z', '2026-11-30T10:00:00.100Z'),
    ];
    expect(inPipelineOrder(steps).map((s) => s.topic)).toEqual([
      'users.raw',
      'users.enriched',
      'users.persisted',
    ]);
  });
});
