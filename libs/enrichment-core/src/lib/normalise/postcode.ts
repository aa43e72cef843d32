/**
 * randomuser sends numeric postcodes as JSON numbers (US 94306) and alphanumeric ones as strings
 * (GB "EC1A 1BB", CA "K1A 0B1"). Both become strings: the tutorial's INT column nulled every letter-bearing one.
 */
export function normalisePostcode(postcode: number | string): string | null {
  if (typeof postcode === 'number') return String(postcode);
  const cleaned = postcode.normalize('NFC').trim().replace(/\s+/g, ' ').toUpperCase();
  return cleaned === '' ? null : cleaned;
}
