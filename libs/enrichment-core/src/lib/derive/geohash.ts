const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** Standard geohash (Niemeyer): interleave longitude/latitude bisection bits, longitude first, 5 bits a character. */
export function encodeGeohash(latitude: number, longitude: number, precision: number): string {
  let [latMin, latMax, lonMin, lonMax] = [-90, 90, -180, 180];
  let hash = '';
  let index = 0;
  let bit = 0;
  let lonBit = true;
  while (hash.length < precision) {
    if (lonBit) {
      const mid = (lonMin + lonMax) / 2;
      index = index * 2 + (longitude >= mid ? 1 : 0);
      if (longitude >= mid) lonMin = mid;
      else lonMax = mid;
    } else {
      const mid = (latMin + latMax) / 2;
      index = index * 2 + (latitude >= mid ? 1 : 0);
      if (latitude >= mid) latMin = mid;
      else latMax = mid;
    }
    lonBit = !lonBit;
    if (++bit === 5) {
      hash += BASE32[index];
      bit = 0;
      index = 0;
    }
  }
  return hash;
}
