import { Envelope, eventTimeMicros, formatEventTime } from './envelope';

describe('event time', () => {
  it('reads the microseconds ingestion stamps', () => {
    expect(eventTimeMicros('2026-11-30T03:00:00.123456Z')).toBe(1_796_007_600_123_456n);
  });

  it('reads a producedAt in milliseconds, with an offset, or without a fraction', () => {
    expect(eventTimeMicros('2026-11-30T03:00:00.123Z')).toBe(1_796_007_600_123_000n);
    expect(eventTimeMicros('2026-11-30T04:00:00.000001+01:00')).toBe(1_796_007_600_000_001n);
    expect(eventTimeMicros('2026-11-30T03:00:00Z')).toBe(1_796_007_600_000_000n);
  });

  it('writes six fraction digits that read back to the same microsecond and pass the envelope', () => {
    const text = formatEventTime(1_796_007_600_000_042n);
    expect(text).toBe('2026-11-30T03:00:00.000042Z');
    expect(eventTimeMicros(text)).toBe(1_796_007_600_000_042n);
    expect(Envelope.shape.producedAt.safeParse(text).success).toBe(true);
  });

  it('names a producedAt that is not a date-time', () => {
    expect(() => eventTimeMicros('yesterday')).toThrow('producedAt "yesterday"');
  });
});
