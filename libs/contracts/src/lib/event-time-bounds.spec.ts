import { SparkflowErrorCode } from './errors';
import { eventTimeAhead, eventTimeMaxSkewSetting, eventTimeProblem } from './event-time-bounds';

const NOW = BigInt(Date.parse('2026-12-02T13:00:00.000Z')) * 1000n;

describe('eventTimeAhead', () => {
  it('is how far ahead an event time is only past the skew, to the microsecond', () => {
    expect(eventTimeAhead(NOW + 60_000_000n, NOW, 60_000_000n)).toBeNull();
    expect(eventTimeAhead(NOW + 60_000_001n, NOW, 60_000_000n)).toBe(60_000_001n);
    expect(eventTimeAhead(NOW - 10n ** 15n, NOW, 60_000_000n)).toBeNull();
  });
});

describe('eventTimeProblem', () => {
  it('names producedAt, how far ahead it is and the skew allowed', () => {
    expect(eventTimeProblem('2026-12-02T14:00:00.000123Z', NOW, 60_000)).toEqual({
      code: SparkflowErrorCode.SemanticInvalid,
      path: 'producedAt',
      message:
        'producedAt 2026-12-02T14:00:00.000123Z is 3600.000 s ahead of when the broker took the record; ' +
        'an event time may be at most 60.000 s ahead',
    });
    expect(eventTimeProblem('2099-01-01T00:00:00Z', NOW, 60_000)?.message).toBe(
      'producedAt 2099-01-01T00:00:00Z is 2274692400.000 s (26327 days) ahead of when the broker took the record; ' +
        'an event time may be at most 60.000 s ahead',
    );
  });

  it('refuses an event time before the epoch, which no write timestamp can carry, and takes the epoch itself', () => {
    for (const producedAt of [
      '1969-12-31T23:59:59.999999Z',
      '0001-01-01T00:00:00Z',
      '1970-01-01T00:59:59+01:00',
    ])
      expect(eventTimeProblem(producedAt, NOW, 60_000)).toEqual({
        code: SparkflowErrorCode.SemanticInvalid,
        path: 'producedAt',
        message: `producedAt ${producedAt} is before 1970-01-01T00:00:00Z, the earliest event time SparkFlow stores`,
      });
    expect(eventTimeProblem('1970-01-01T00:00:00.000000Z', NOW, 60_000)).toBeNull();
  });

  it('reads an offset as the instant it names', () => {
    expect(eventTimeProblem('2026-12-02T15:00:30.000+02:00', NOW, 60_000)).toBeNull();
    expect(eventTimeProblem('2026-12-02T15:01:00.001+02:00', NOW, 60_000)?.path).toBe('producedAt');
  });
});

describe('eventTimeProblem, given what is no date-time', () => {
  it('names producedAt instead of throwing', () => {
    expect(eventTimeProblem('2026-12-02T23:59:60Z', NOW, 60_000)).toEqual({
      code: SparkflowErrorCode.SchemaInvalid,
      path: 'producedAt',
      message: 'producedAt "2026-12-02T23:59:60Z" is not an ISO date-time',
    });
  });
});

describe('eventTimeMaxSkewSetting', () => {
  it('defaults to a minute and keeps whole milliseconds from one second to one day', () => {
    expect(eventTimeMaxSkewSetting().parse(undefined)).toBe(60_000);
    expect(eventTimeMaxSkewSetting().parse('1000')).toBe(1000);
    for (const bad of ['999', '86400001', '1.5', 'soon'])
      expect(eventTimeMaxSkewSetting().safeParse(bad).success).toBe(false);
  });
});
