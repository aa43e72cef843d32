import { AGE_BANDS } from '@sparkflow/contracts';
import { ageBand, ageInYears, monthCohort } from './calendar';

const utc = (iso: string) => new Date(iso);

describe('ageInYears', () => {
  const dob = utc('1979-03-14T06:24:46.611Z');

  it('counts whole years: 47 on the birthday instant itself', () => {
    expect(ageInYears(dob, utc('2026-03-14T06:24:46.611Z'))).toBe(47);
  });

  it('is one less a millisecond before the birthday (UTC)', () => {
    expect(ageInYears(dob, utc('2026-03-14T06:24:46.610Z'))).toBe(46);
  });

  it('is 0 for someone born earlier today', () => {
    expect(ageInYears(utc('2026-05-01T00:00:00.000Z'), utc('2026-05-01T12:00:00.000Z'))).toBe(0);
  });

  it('reaches a 29 February birthday on 1 March in a common year', () => {
    const leapling = utc('2000-02-29T00:00:00.000Z');
    expect(ageInYears(leapling, utc('2025-02-28T23:59:59.999Z'))).toBe(24);
    expect(ageInYears(leapling, utc('2025-03-01T00:00:00.000Z'))).toBe(25);
    expect(ageInYears(leapling, utc('2024-02-29T00:00:00.000Z'))).toBe(24);
  });
});

describe('ageBand', () => {
  it.each([
    [0, 'under-18'],
    [17, 'under-18'],
    [18, '18-24'],
    [24, '18-24'],
    [25, '25-34'],
    [34, '25-34'],
    [35, '35-44'],
    [44, '35-44'],
    [45, '45-54'],
    [54, '45-54'],
    [55, '55-64'],
    [64, '55-64'],
    [65, '65-74'],
    [74, '65-74'],
    [75, '75+'],
    [130, '75+'],
  ])('puts age %i in band %s', (age, band) => {
    expect(ageBand(age)).toBe(band);
  });

  it('can produce every band the contract defines', () => {
    const produced = new Set(Array.from({ length: 131 }, (_, age) => ageBand(age)));
    expect([...produced].sort()).toEqual([...AGE_BANDS].sort());
  });
});

describe('monthCohort', () => {
  it('is the UTC year and zero-padded month', () => {
    expect(monthCohort(utc('2012-08-02T22:01:53.512Z'))).toBe('2012-08');
  });

  it("zero-pads the year to four digits, as the contract's YYYY-MM needs", () => {
    expect(monthCohort(utc('0999-03-01T00:00:00.000Z'))).toBe('0999-03');
    expect(monthCohort(utc('0000-01-01T00:00:00.000Z'))).toBe('0000-01');
  });

  it('uses UTC, not local time, at a month boundary', () => {
    expect(monthCohort(utc('2010-12-31T23:30:00.000-02:00'))).toBe('2011-01');
  });
});
