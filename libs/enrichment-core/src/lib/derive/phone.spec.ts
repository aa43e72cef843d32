import { toE164 } from './phone';

describe('toE164', () => {
  it.each([
    ['(272) 790-0888', 'US', '+12727900888'],
    ['015396 12345', 'GB', '+441539612345'],
    ['075 123 45 67', 'CH', '+41751234567'],
    ['081-442-1934', 'IE', '+353814421934'],
  ])('converts the national number %s (%s) to %s', (phone, nat, e164) => {
    expect(toE164(phone, nat)).toBe(e164);
  });

  it('reads an international number whatever the nationality', () => {
    expect(toE164('+1 272 790 0888', 'GB')).toBe('+12727900888');
  });

  it.each([
    ['letters in the number', 'K15 A02-9318', 'CA'],
    ['empty', '', 'US'],
    ['too short', '123', 'US'],
    ['a nationality libphonenumber does not know, without a "+"', '(272) 790-0888', 'XX'],
  ])('returns null when the number is not convertible (%s)', (_label, phone, nat) => {
    expect(toE164(phone, nat)).toBeNull();
  });
});
