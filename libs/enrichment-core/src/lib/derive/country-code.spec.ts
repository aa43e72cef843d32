import { countryCodeOf } from './country-code';

describe('countryCodeOf', () => {
  it.each([
    ['Australia', 'AU'],
    ['Brazil', 'BR'],
    ['Canada', 'CA'],
    ['Switzerland', 'CH'],
    ['Germany', 'DE'],
    ['Denmark', 'DK'],
    ['Spain', 'ES'],
    ['Finland', 'FI'],
    ['France', 'FR'],
    ['United Kingdom', 'GB'],
    ['Ireland', 'IE'],
    ['India', 'IN'],
    ['Iran', 'IR'],
    ['Mexico', 'MX'],
    ['Netherlands', 'NL'],
    ['Norway', 'NO'],
    ['New Zealand', 'NZ'],
    ['Serbia', 'RS'],
    ['Turkey', 'TR'],
    ['Ukraine', 'UA'],
    ['United States', 'US'],
  ])('maps every randomuser country: %s → %s', (name, code) => {
    expect(countryCodeOf(name)).toBe(code);
  });

  it.each([
    ['UNITED KINGDOM', 'GB'],
    ['united states', 'US'],
    ['  New   Zealand ', 'NZ'],
    ['UK', 'GB'],
    ['U.K.', 'GB'],
    ['Great Britain', 'GB'],
    ['USA', 'US'],
    ['U.S.A.', 'US'],
    ['United States of America', 'US'],
    ['The Netherlands', 'NL'],
    ['Türkiye', 'TR'],
    ['Deutschland', 'DE'],
    ['de', 'DE'],
    ['NZ', 'NZ'],
  ])('matches case-insensitively and accepts the common variant %s → %s', (name, code) => {
    expect(countryCodeOf(name)).toBe(code);
  });

  it.each(['Atlantis', '', 'XX', 'the'])('returns null for an unknown country "%s"', (name) => {
    expect(countryCodeOf(name)).toBeNull();
  });
});
