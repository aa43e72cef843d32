import type { QualityReason } from '@sparkflow/contracts';

export type Coordinates =
  | { latitude: number; longitude: number; reason: null }
  | {
      latitude: null;
      longitude: null;
      reason: Extract<QualityReason, 'missing-coordinates' | 'invalid-coordinates'>;
    };

// Plain decimals only: Number() would also accept "0x1A", "1e3", "Infinity" and read "" as 0.
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function parseDecimal(value: string): number | null {
  const trimmed = value.trim();
  if (!DECIMAL.test(trimmed)) return null;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : null;
}

/** Both or neither: half a point cannot be geohashed or mapped. Unparseable is a quality issue, not a rejection. */
export function parseCoordinates(latitude: string, longitude: string): Coordinates {
  if (latitude.trim() === '' && longitude.trim() === '') {
    return { latitude: null, longitude: null, reason: 'missing-coordinates' };
  }
  const lat = parseDecimal(latitude);
  const lon = parseDecimal(longitude);
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    return { latitude: null, longitude: null, reason: 'invalid-coordinates' };
  }
  // `+ 0` turns "-0.0" into 0.
  return { latitude: lat + 0, longitude: lon + 0, reason: null };
}
