import { QUALITY_REASONS, type QualityReason } from '@sparkflow/contracts';
import { qualityScore, sortedQualityReasons } from './quality-score';

describe('qualityScore', () => {
  it('is 1 with no reasons', () => {
    expect(qualityScore([])).toBe(1);
  });

  it('costs 0.1 per distinct reason, rounded to 2 decimals', () => {
    expect(qualityScore(['missing-postcode'])).toBe(0.9);
    expect(qualityScore(['missing-postcode', 'phone-not-e164', 'missing-picture'])).toBe(0.7);
  });

  it('counts a repeated reason once', () => {
    expect(qualityScore(['phone-not-e164', 'phone-not-e164'])).toBe(0.9);
  });

  it('is floored at 0 past ten reasons, as when every reason the contract defines applies', () => {
    expect(qualityScore([...QUALITY_REASONS])).toBe(0);
    const eleven = Array.from({ length: 11 }, (_, i) => `future-reason-${i}`) as QualityReason[];
    expect(qualityScore(eleven)).toBe(0);
  });
});

describe('sortedQualityReasons', () => {
  it('sorts alphabetically and drops duplicates', () => {
    expect(sortedQualityReasons(['unknown-country', 'missing-picture', 'unknown-country'])).toEqual([
      'missing-picture',
      'unknown-country',
    ]);
  });
});
