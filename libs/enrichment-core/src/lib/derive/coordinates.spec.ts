import { parseCoordinates } from './coordinates';

describe('parseCoordinates', () => {
  it('reads randomuser coordinate strings as numbers', () => {
    expect(parseCoordinates('-51.2386', '-126.5837')).toEqual({
      latitude: -51.2386,
      longitude: -126.5837,
      reason: null,
    });
  });

  it('accepts the range edges', () => {
    expect(parseCoordinates('90', '-180')).toEqual({ latitude: 90, longitude: -180, reason: null });
    expect(parseCoordinates(' +45.5 ', '0')).toEqual({ latitude: 45.5, longitude: 0, reason: null });
  });

  it('reports missing coordinates when both are blank', () => {
    expect(parseCoordinates('', ' ')).toEqual({
      latitude: null,
      longitude: null,
      reason: 'missing-coordinates',
    });
  });

  it.each([
    ['not a number', 'abc', '10'],
    ['hexadecimal', '0x1A', '10'],
    ['exponent', '1e1', '10'],
    ['Infinity', 'Infinity', '10'],
    ['latitude above 90', '90.0001', '10'],
    ['longitude below -180', '10', '-180.5'],
    ['only one half', '10', ''],
  ])('reports invalid coordinates (%s) and keeps neither half', (_label, latitude, longitude) => {
    expect(parseCoordinates(latitude, longitude)).toEqual({
      latitude: null,
      longitude: null,
      reason: 'invalid-coordinates',
    });
  });
});
