import { normalisePostcode } from './postcode';

describe('normalisePostcode', () => {
  it('renders a numeric postcode as the digits given: 94306 → "94306"', () => {
    expect(normalisePostcode(94306)).toBe('94306');
  });

  it.each([
    ['GB', 'EC1A 1BB'],
    ['CA', 'K1A 0B1'],
  ])('keeps the alphanumeric %s postcode %s as a string', (_nat, postcode) => {
    expect(normalisePostcode(postcode)).toBe(postcode);
  });

  it('upper-cases, trims and collapses inner whitespace', () => {
    expect(normalisePostcode('  ec1a   1bb ')).toBe('EC1A 1BB');
  });

  it('turns an empty or blank postcode into null', () => {
    expect(normalisePostcode('')).toBeNull();
    expect(normalisePostcode('   ')).toBeNull();
  });
});
