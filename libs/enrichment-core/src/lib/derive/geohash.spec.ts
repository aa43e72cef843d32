import { encodeGeohash } from './geohash';

describe('encodeGeohash', () => {
  it('encodes the reference point 57.64911, 10.40744 as "u4pruyd" at precision 7', () => {
    expect(encodeGeohash(57.64911, 10.40744, 7)).toBe('u4pruyd');
  });

  it('encodes the origin as "s0000" (first bits all "upper half")', () => {
    expect(encodeGeohash(0, 0, 5)).toBe('s0000');
  });

  it('encodes the south-west corner as all zeros and the north-east corner as all "z"', () => {
    expect(encodeGeohash(-90, -180, 7)).toBe('0000000');
    expect(encodeGeohash(90, 180, 7)).toBe('zzzzzzz');
  });

  it('is a prefix of itself at higher precision', () => {
    expect(encodeGeohash(57.64911, 10.40744, 11).startsWith('u4pruyd')).toBe(true);
  });
});
