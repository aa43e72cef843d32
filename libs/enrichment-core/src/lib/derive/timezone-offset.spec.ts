import { parseTimezoneOffset } from './timezone-offset';

describe('parseTimezoneOffset', () => {
  it.each([
    ['+5:30', 330],
    ['-3:30', -210],
    ['0:00', 0],
    ['-0:00', 0],
    ['+1:00', 60],
    ['-5:00', -300],
    ['+14:00', 840],
    ['-12:00', -720],
    ['+5:45', 345],
  ])('reads %s as %i minutes', (offset, minutes) => {
    expect(parseTimezoneOffset(offset)).toBe(minutes);
  });

  it('returns 0, not -0, for "-0:00"', () => {
    expect(Object.is(parseTimezoneOffset('-0:00'), 0)).toBe(true);
  });

  it.each(['', 'UTC', '+5', '5:3', '+5:60', '+14:30', '-12:30', '+05:30:00', 'abc:de'])(
    'returns null for "%s"',
    (offset) => {
      expect(parseTimezoneOffset(offset)).toBeNull();
    },
  );
});
