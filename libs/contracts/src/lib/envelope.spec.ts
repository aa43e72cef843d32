import { Envelope, batchIdProblem, eventTimeMicros, formatEventTime } from './envelope';

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

describe('the envelope’s batch id', () => {
  const envelope = (batchId: string) => ({
    eventId: '7f0c5a52-3a5e-4f55-9c39-3b1f1d1f6a10',
    schemaVersion: 1,
    source: 'synthetic',
    batchId,
    producedAt: '2026-12-01T00:00:00.000Z',
  });

  it('is looked up in UTF-16 code units, where an emoji is 2, and read as records already written have it', () => {
    for (const batchId of [
      'a'.repeat(200),
      '\u{1F600}'.repeat(100),
      'a' + '\u{1F600}'.repeat(99) + 'b',
      'x',
    ]) {
      expect(batchIdProblem(batchId)).toBeNull();
      expect(Envelope.safeParse(envelope(batchId)).success).toBe(true);
    }
    for (const batchId of ['a'.repeat(201), '\u{1F600}'.repeat(201), '']) {
      expect(batchIdProblem(batchId)).not.toBeNull();
      expect(Envelope.safeParse(envelope(batchId)).success).toBe(false);
    }
    // A release before made ids of up to 200 code points (an emoji 1): ingestion makes none now, but those
    // records stay readable, so replaying a topic does not dead-letter what was persisted.
    const written = 'backfill-' + '\u{1F600}'.repeat(180) + '-2026-12-01';
    expect([batchIdProblem(written) !== null, Envelope.safeParse(envelope(written)).success]).toEqual([
      true,
      true,
    ]);
  });
});
