import { MAX_AGE_YEARS, oldestPersonDate } from './person-dates';

describe('oldestPersonDate', () => {
  it('is the same instant MAX_AGE_YEARS calendar years earlier, in UTC', () => {
    expect(MAX_AGE_YEARS).toBe(130);
    expect(oldestPersonDate(new Date('2026-05-01T10:00:00.000Z')).toISOString()).toBe(
      '1896-05-01T10:00:00.000Z',
    );
  });
});
