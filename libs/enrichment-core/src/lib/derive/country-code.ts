/**
 * ISO 3166-1 alpha-2 for every country randomuser.me 1.4 generates, plus the spellings people send by hand.
 * Keys are matched after `countryKey` (lower case, no dots, single spaces, no leading "the").
 */
const COUNTRY_CODES: Readonly<Record<string, string>> = {
  australia: 'AU',
  brazil: 'BR',
  brasil: 'BR',
  canada: 'CA',
  switzerland: 'CH',
  schweiz: 'CH',
  suisse: 'CH',
  svizzera: 'CH',
  germany: 'DE',
  deutschland: 'DE',
  denmark: 'DK',
  danmark: 'DK',
  spain: 'ES',
  españa: 'ES',
  espana: 'ES',
  finland: 'FI',
  suomi: 'FI',
  france: 'FR',
  'united kingdom': 'GB',
  'united kingdom of great britain and northern ireland': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  ireland: 'IE',
  'republic of ireland': 'IE',
  éire: 'IE',
  eire: 'IE',
  india: 'IN',
  iran: 'IR',
  'iran, islamic republic of': 'IR',
  'islamic republic of iran': 'IR',
  mexico: 'MX',
  méxico: 'MX',
  netherlands: 'NL',
  holland: 'NL',
  nederland: 'NL',
  norway: 'NO',
  norge: 'NO',
  'new zealand': 'NZ',
  serbia: 'RS',
  srbija: 'RS',
  turkey: 'TR',
  türkiye: 'TR',
  turkiye: 'TR',
  ukraine: 'UA',
  україна: 'UA',
  'united states': 'US',
  'united states of america': 'US',
  usa: 'US',
  us: 'US',
  america: 'US',
};

// The alpha-2 codes themselves ("DE", "NZ") are accepted too; "UK" is already a key above.
const KNOWN_CODES = new Set(Object.values(COUNTRY_CODES));

function countryKey(name: string): string {
  return name
    .normalize('NFC')
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^the /, '');
}

/** ISO 3166-1 alpha-2 for a country name, case-insensitively; null when the name is not one we know. */
export function countryCodeOf(name: string): string | null {
  const key = countryKey(name);
  const code = COUNTRY_CODES[key] ?? key.toUpperCase();
  return KNOWN_CODES.has(code) ? code : null;
}
