import type { SeededRandomizer } from './seeded.randomizer';

// prettier-ignore
/** The `nat` values randomuser.me 1.4 serves, in its own order. */
export const NATIONALITIES = [
  'AU', 'BR', 'CA', 'CH', 'DE', 'DK', 'ES', 'FI', 'FR', 'GB', 'IE', 'IN', 'IR', 'MX', 'NL', 'NO', 'NZ', 'RS',
  'TR', 'UA', 'US',
] as const;
export type Nationality = (typeof NATIONALITIES)[number];

export type Gender = 'female' | 'male';

export interface NationalityProfile {
  /** Exactly as randomuser writes `location.country`. */
  country: string;
  /** Key into faker's `allLocales`; en and base are always appended as fallbacks. */
  locale: string;
  titles: 'english' | 'french';
  /** randomuser returns a JSON number for some countries and a string for others; both are kept. */
  postcode: (r: SeededRandomizer) => number | string;
  /** `SeededRandomizer.fill` patterns: '#' digit, '?' letter. */
  phone: string;
  cell: string;
  /** `value: null` means the API never sends one for this nationality. */
  id: (r: SeededRandomizer, gender: Gender) => { name: string; value: string | null };
  /** Where faker's locale has no own data (it would fall back to US states), the names randomuser uses. */
  cities?: readonly string[];
  states?: readonly string[];
}

const digits = (n: number) => (r: SeededRandomizer) => r.int(10 ** (n - 1), 10 ** n - 1);
const pattern =
  (...patterns: string[]) =>
  (r: SeededRandomizer) =>
    r.fill(r.pick(patterns));
const idOf = (name: string, valuePattern: string) => (r: SeededRandomizer) => ({
  name,
  value: r.fill(valuePattern),
});
const noId = (name: string) => () => ({ name, value: null });

// Real place names where faker's locale has none of its own.
// prettier-ignore
const GB_CITIES = [
  'Sheffield', 'Manchester', 'Leeds', 'Bristol', 'Liverpool', 'Leicester', 'Coventry', 'Bradford',
  'Nottingham', 'Southampton', 'Portsmouth', 'Brighton and Hove', 'Plymouth', 'Derby', 'Stoke-on-Trent',
  'Wolverhampton', 'York', 'Oxford', 'Cambridge', 'Exeter', 'Norwich', 'Aberdeen', 'Dundee', 'Cardiff',
  'Swansea', 'Newport', 'Belfast', 'Lisburn', 'Salford', 'Preston', 'Bath', 'Carlisle', 'Lancaster',
];
// prettier-ignore
const GB_STATES = [
  'Merseyside', 'Greater Manchester', 'West Yorkshire', 'South Yorkshire', 'Tyne and Wear', 'Kent', 'Essex',
  'Devon', 'Cornwall', 'Cumbria', 'Lancashire', 'Norfolk', 'Suffolk', 'Hampshire', 'Somerset',
  'West Midlands', 'Leicestershire', 'Derbyshire', 'Oxfordshire', 'Cambridgeshire', 'Grampian', 'Tayside',
  'Lothian', 'Strathclyde', 'Highlands and Islands', 'Gwynedd County', 'Powys', 'Dyfed', 'County Down',
  'County Antrim', 'Fermanagh', 'Borders', 'Central', 'Fife',
];
// prettier-ignore
const IE_CITIES = [
  'Dublin', 'Cork', 'Galway', 'Limerick', 'Waterford', 'Drogheda', 'Swords', 'Dundalk', 'Bray', 'Navan',
  'Kilkenny', 'Ennis', 'Carlow', 'Tralee', 'Newbridge', 'Portlaoise', 'Balbriggan', 'Naas', 'Athlone',
  'Mullingar', 'Celbridge', 'Wexford', 'Letterkenny', 'Sligo', 'Clonmel', 'Greystones', 'Westport',
  'Tullamore', 'Ballina', 'Killarney',
];
// prettier-ignore
const IE_STATES = [
  'Dublin', 'Cork', 'Galway', 'Kerry', 'Limerick', 'Mayo', 'Donegal', 'Kildare', 'Wicklow', 'Meath', 'Louth',
  'Sligo', 'Clare', 'Waterford', 'Wexford', 'Tipperary', 'Offaly', 'Laois', 'Westmeath', 'Roscommon',
  'Longford', 'Cavan', 'Monaghan', 'Leitrim', 'Carlow', 'Kilkenny',
];
// prettier-ignore
const NZ_CITIES = [
  'Auckland', 'Wellington', 'Christchurch', 'Hamilton', 'Tauranga', 'Napier', 'Dunedin', 'Palmerston North',
  'Nelson', 'Rotorua', 'New Plymouth', 'Whangarei', 'Invercargill', 'Whanganui', 'Gisborne', 'Hastings',
  'Porirua', 'Lower Hutt', 'Upper Hutt', 'Masterton', 'Timaru', 'Blenheim',
];
// prettier-ignore
const NZ_STATES = [
  'Auckland', 'Wellington', 'Canterbury', 'Otago', 'Waikato', 'Bay of Plenty', 'Manawatu-Wanganui', "Hawke's Bay",
  'Taranaki', 'Northland', 'Southland', 'Nelson', 'Marlborough', 'Gisborne', 'Tasman',
  'West Coast',
];

export const PROFILES: Readonly<Record<Nationality, NationalityProfile>> = {
  AU: {
    country: 'Australia',
    locale: 'en_AU',
    titles: 'english',
    postcode: digits(4),
    phone: '0#-####-####',
    cell: '04##-###-###',
    id: idOf('TFN', '#########'),
  },
  BR: {
    country: 'Brazil',
    locale: 'pt_BR',
    titles: 'english',
    postcode: digits(5),
    phone: '(##) ####-####',
    cell: '(##) 9####-####',
    id: idOf('CPF', '###.###.###-##'),
  },
  CA: {
    // randomuser's Canadian phone numbers really do carry letters ("K15 A02-9318").
    country: 'Canada',
    locale: 'en_CA',
    titles: 'english',
    postcode: pattern('?#? #?#'),
    phone: '?## ?##-####',
    cell: '?## ?##-####',
    id: idOf('SIN', '#########'),
  },
  CH: {
    country: 'Switzerland',
    locale: 'de_CH',
    titles: 'french',
    postcode: digits(4),
    phone: '0## ### ## ##',
    cell: '07# ### ## ##',
    id: idOf('AVS', '756.####.####.##'),
  },
  DE: {
    country: 'Germany',
    locale: 'de',
    titles: 'english',
    postcode: digits(5),
    phone: '0###-#######',
    cell: '017#-#######',
    id: idOf('SVNR', '## ###### ? ###'),
  },
  DK: {
    country: 'Denmark',
    locale: 'da',
    titles: 'english',
    postcode: digits(4),
    phone: '########',
    cell: '########',
    id: idOf('CPR', '######-####'),
  },
  ES: {
    country: 'Spain',
    locale: 'es',
    titles: 'english',
    postcode: digits(5),
    phone: '9##-###-###',
    cell: '6##-###-###',
    id: idOf('DNI', '########-?'),
  },
  FI: {
    // The real API's Finnish ids are literally "NaNNA…undefined" (a bug upstream); consumers meet it.
    country: 'Finland',
    locale: 'fi',
    titles: 'english',
    postcode: digits(5),
    phone: '0#-###-###',
    cell: '04#-###-##-##',
    id: idOf('HETU', 'NaNNA###undefined'),
  },
  FR: {
    country: 'France',
    locale: 'fr',
    titles: 'french',
    postcode: digits(5),
    phone: '0#-##-##-##-##',
    cell: '06-##-##-##-##',
    // Same upstream bug as FI: the birth-date part of the INSEE number comes out as "NNaN".
    id: (r, gender) => ({ name: 'INSEE', value: r.fill(`${gender === 'male' ? 1 : 2}NNaN######## ##`) }),
  },
  GB: {
    country: 'United Kingdom',
    locale: 'en_GB',
    titles: 'english',
    postcode: pattern('?# #??', '?## #??', '??# #??', '??## #??', '?#? #??', '??#? #??'),
    phone: '01### #####',
    cell: '07### ######',
    id: idOf('NINO', '?? ## ## ## ?'),
    cities: GB_CITIES,
    states: GB_STATES,
  },
  IE: {
    country: 'Ireland',
    locale: 'en_IE',
    titles: 'english',
    postcode: pattern('?## ?###', '?## ??##', '?## ?#?#'),
    phone: '0##-###-####',
    cell: '08#-###-####',
    id: noId('PPS'),
    cities: IE_CITIES,
    states: IE_STATES,
  },
  IN: {
    country: 'India',
    locale: 'en_IN',
    titles: 'english',
    postcode: digits(6),
    phone: '#########',
    cell: '9#########',
    id: idOf('UIDAI', '############'),
  },
  IR: {
    country: 'Iran',
    locale: 'fa',
    titles: 'english',
    postcode: pattern('#####-#####'),
    phone: '0##-########',
    cell: '09##-###-####',
    id: noId(''),
  },
  MX: {
    country: 'Mexico',
    locale: 'es_MX',
    titles: 'english',
    postcode: digits(5),
    phone: '(6##) ### ####',
    cell: '(6##) ### ####',
    id: idOf('NSS', '## ## ## #### #'),
  },
  NL: {
    country: 'Netherlands',
    locale: 'nl',
    titles: 'english',
    postcode: pattern('#### ??'),
    phone: '(0###) ######',
    cell: '(06) ########',
    id: idOf('BSN', '########'),
  },
  NO: {
    country: 'Norway',
    locale: 'nb_NO',
    titles: 'english',
    postcode: digits(4),
    phone: '########',
    cell: '9#######',
    id: idOf('FN', '###########'),
  },
  NZ: {
    // faker has no en_NZ; en_AU gives the closest names, and the places are New Zealand's own.
    country: 'New Zealand',
    locale: 'en_AU',
    titles: 'english',
    postcode: digits(4),
    phone: '(###)-###-####',
    cell: '(###)-###-####',
    id: noId(''),
    cities: NZ_CITIES,
    states: NZ_STATES,
  },
  RS: {
    country: 'Serbia',
    locale: 'sr_RS_latin',
    titles: 'english',
    postcode: digits(5),
    phone: '0##-####-###',
    cell: '06#-####-###',
    id: idOf('SID', '#########'),
  },
  TR: {
    country: 'Turkey',
    locale: 'tr',
    titles: 'english',
    postcode: digits(5),
    phone: '(###)-###-####',
    cell: '(###)-###-####',
    id: noId(''),
  },
  UA: {
    country: 'Ukraine',
    locale: 'uk',
    titles: 'english',
    postcode: digits(5),
    phone: '(0##) ###-####',
    cell: '(09#) ###-####',
    id: noId(''),
  },
  US: {
    country: 'United States',
    locale: 'en_US',
    titles: 'english',
    postcode: digits(5),
    phone: '(###) ###-####',
    cell: '(###) ###-####',
    id: idOf('SSN', '###-##-####'),
  },
};

const TITLES = {
  english: { male: ['Mr'], female: ['Mrs', 'Ms', 'Miss'] },
  french: { male: ['Monsieur'], female: ['Madame', 'Mademoiselle'] },
} as const;

export const titleFor = (r: SeededRandomizer, profile: NationalityProfile, gender: Gender): string =>
  r.pick(TITLES[profile.titles][gender]);

/** randomuser draws the timezone independently of the country, from this list. */
export const TIMEZONES: ReadonlyArray<{ offset: string; description: string }> = [
  { offset: '-12:00', description: 'Eniwetok, Kwajalein' },
  { offset: '-11:00', description: 'Midway Island, Samoa' },
  { offset: '-10:00', description: 'Hawaii' },
  { offset: '-9:00', description: 'Alaska' },
  { offset: '-8:00', description: 'Pacific Time (US & Canada)' },
  { offset: '-7:00', description: 'Mountain Time (US & Canada)' },
  { offset: '-6:00', description: 'Central Time (US & Canada), Mexico City' },
  { offset: '-5:00', description: 'Eastern Time (US & Canada), Bogota, Lima' },
  { offset: '-4:00', description: 'Atlantic Time (Canada), Caracas, La Paz' },
  { offset: '-3:30', description: 'Newfoundland' },
  { offset: '-3:00', description: 'Brazil, Buenos Aires, Georgetown' },
  { offset: '-2:00', description: 'Mid-Atlantic' },
  { offset: '-1:00', description: 'Azores, Cape Verde Islands' },
  { offset: '0:00', description: 'Western Europe Time, London, Lisbon, Casablanca' },
  { offset: '+1:00', description: 'Brussels, Copenhagen, Madrid, Paris' },
  { offset: '+2:00', description: 'Kaliningrad, South Africa' },
  { offset: '+3:00', description: 'Baghdad, Riyadh, Moscow, St. Petersburg' },
  { offset: '+3:30', description: 'Tehran' },
  { offset: '+4:00', description: 'Abu Dhabi, Muscat, Baku, Tbilisi' },
  { offset: '+4:30', description: 'Kabul' },
  { offset: '+5:00', description: 'Ekaterinburg, Islamabad, Karachi, Tashkent' },
  { offset: '+5:30', description: 'Bombay, Calcutta, Madras, New Delhi' },
  { offset: '+5:45', description: 'Kathmandu' },
  { offset: '+6:00', description: 'Almaty, Dhaka, Colombo' },
  { offset: '+7:00', description: 'Bangkok, Hanoi, Jakarta' },
  { offset: '+8:00', description: 'Beijing, Perth, Singapore, Hong Kong' },
  { offset: '+9:00', description: 'Tokyo, Seoul, Osaka, Sapporo, Yakutsk' },
  { offset: '+9:30', description: 'Adelaide, Darwin' },
  { offset: '+10:00', description: 'Eastern Australia, Guam, Vladivostok' },
  { offset: '+11:00', description: 'Magadan, Solomon Islands, New Caledonia' },
  { offset: '+12:00', description: 'Auckland, Wellington, Fiji, Kamchatka' },
];

// prettier-ignore
const ADJECTIVES = [
  'big', 'small', 'tiny', 'heavy', 'lazy', 'happy', 'sad', 'angry', 'crazy', 'silver', 'golden', 'black',
  'white', 'red', 'blue', 'green', 'purple', 'orange', 'yellow', 'brown', 'beautiful', 'ticklish', 'organic',
  'sleepy', 'smart', 'tidy', 'lucky', 'wild', 'fast', 'ugly',
];
// prettier-ignore
const ANIMALS = [
  'swan', 'duck', 'peacock', 'fish', 'ostrich', 'bear', 'cat', 'dog', 'rabbit', 'tiger', 'lion', 'wolf',
  'fox', 'goose', 'frog', 'koala', 'zebra', 'gorilla', 'panda', 'leopard', 'elephant', 'bird', 'snake',
  'butterfly', 'ladybug', 'mouse', 'meercat', 'buffalo', 'kangaroo', 'owl',
];
// prettier-ignore
const PASSWORDS = [
  'angels', 'trumpet', 'merlin', 'yankees', 'ranger', 'dragon', 'monkey', 'shadow', 'master', 'sunshine',
  'princess', 'football', 'baseball', 'charlie', 'freedom', 'whatever', 'qwerty', 'letmein', 'trustno1',
  'hunter', 'buster', 'soccer', 'harley', 'batman', 'andrew', 'tigger', 'jordan', 'pepper', 'summer',
  'cookie', 'maggie', 'ginger', 'hammer', 'silver', 'orange', 'corvette', 'matrix', 'phoenix',
];

export const usernameFor = (r: SeededRandomizer): string =>
  `${r.pick(ADJECTIVES)}${r.pick(ANIMALS)}${r.int(100, 999)}`;
export const passwordFor = (r: SeededRandomizer): string => r.pick(PASSWORDS);

// randomuser's e-mail addresses are ASCII: accents dropped ("zoe.muller"), and Persian and
// Cyrillic names transliterated letter by letter, without vowels the script does not write.
// prettier-ignore
const LETTERS: Record<string, string> = {
  ß: 'ss', æ: 'ae', ø: 'o', å: 'a', đ: 'd', ł: 'l', ı: 'i', œ: 'oe', þ: 'th', а: 'a', б: 'b', в: 'v', г: 'h',
  ґ: 'g', д: 'd', е: 'e', є: 'ye', ж: 'zh', з: 'z', и: 'y', і: 'i', ї: 'yi', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh',
  щ: 'shch', ь: '', ю: 'yu', я: 'ya', ы: 'y', э: 'e', ъ: '', ё: 'yo', ا: 'a', آ: 'a', ب: 'b', پ: 'p', ت: 't',
  ث: 's', ج: 'j', چ: 'ch', ح: 'h', خ: 'kh', د: 'd', ذ: 'z', ر: 'r', ز: 'z', ژ: 'zh', س: 's', ش: 'sh', ص: 's',
  ض: 'z', ط: 't', ظ: 'z', ع: '', غ: 'gh', ف: 'f', ق: 'gh', ک: 'k', ك: 'k', گ: 'g', ل: 'l', م: 'm', ن: 'n',
  و: 'v', ه: 'h', ی: 'y', ي: 'y', ئ: 'y', ة: 'h', أ: 'a', إ: 'e',
};

export function asciiLocalPart(name: string): string {
  const out = [...name.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')]
    .map((ch) => LETTERS[ch] ?? ch)
    .join('')
    .replace(/[^a-z0-9]/g, '');
  return out === '' ? 'user' : out;
}
