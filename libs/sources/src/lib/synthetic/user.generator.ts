import { createHash } from 'node:crypto';
import type { FullRandomUser, RandomUserResponse } from '@sparkflow/contracts';
import type { Faker } from '@faker-js/faker';
import {
  asciiLocalPart,
  type Gender,
  NATIONALITIES,
  type Nationality,
  passwordFor,
  PROFILES,
  TIMEZONES,
  titleFor,
  usernameFor,
} from './nationalities';
import { SeededRandomizer, seedWords } from './seeded.randomizer';

export interface SyntheticOptions {
  seed: string;
  count: number;
  /** Default 1. */
  page?: number;
  /** Index within the page of the first user, default 0: `from: 500, count: 500` is users 500–999 of the page. */
  from?: number;
  /** Default: every nationality randomuser serves. */
  nat?: string[];
  /** 'YYYY-MM-DD': when given, every registered.date falls on this UTC day. */
  day?: string;
  /**
   * With `day`, the latest registered.date (ms since the epoch): registrations fall between the start of the
   * day and this instant, so the people of a day not over yet have all registered by it. A `registeredBy`
   * at or after the day's end changes nothing; one before the day's start is refused.
   */
  registeredBy?: number;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
// Ages at the reference instant: people are 21 to 77 years old.
const AGE_MS = { youngest: Math.ceil(21 * YEAR_MS), oldest: Math.floor(77 * YEAR_MS) };
// Reference "now" for ages: a seed-derived instant in [2024-01-01, 2026-01-01), never the wall clock,
// so the same seed yields byte-identical users on every machine and every day.
const REFERENCE_FROM = Date.UTC(2024, 0, 1);
const REFERENCE_SPAN_MS = 2 * 365 * DAY_MS;

// One randomizer shared by one Faker per nationality. Generation is synchronous, so reseeding it
// per user cannot interleave with another caller.
const randomizer = new SeededRandomizer();
const fakers = new Map<Nationality, Faker>();

function fakerFor(nat: Nationality): Faker {
  let faker = fakers.get(nat);
  if (!faker) {
    // Loaded on first use, one locale at a time: a service that only takes pushed users never needs any,
    // and the package's main entry brings all of faker's locales (45 MB resident, against 24 MB for the 20
    // that randomuser's nationalities use). A locale's entry exports a Faker of its definitions merged with
    // their fallbacks; a new one is built from them to draw from the shared seeded randomizer.
    const { faker: localeFaker } = require(`@faker-js/faker/locale/${PROFILES[nat].locale}`) as {
      faker: Faker;
    };
    const LocaleFaker = localeFaker.constructor as typeof Faker;
    faker = new LocaleFaker({ locale: localeFaker.rawDefinitions, randomizer });
    fakers.set(nat, faker);
  }
  return faker;
}

/**
 * Users shaped and quirked like randomuser.me 1.4. User `index` of a page depends only on
 * (seed, page, index, nat list, day): the same inputs give deep-equal output, a page of 10 is the
 * prefix of a page of 5000, and different pages give different people. Ages are counted at a
 * reference instant derived from the seed, or at the last millisecond of `day` when one is given
 * (so those users registered "today" and registered.age is 0). Because a user depends on its index
 * alone, a large page can be generated in slices (`from`) with constant memory.
 */
export function generateUsers(opts: SyntheticOptions): FullRandomUser[] {
  const { seed, count, page, from, nats, day, registeredBy } = validate(opts);
  const reference = day === undefined ? referenceInstant(seed) : day + DAY_MS - 1;
  // Registrations fall in the first `window` ms of the day: all of it, or up to `registeredBy`.
  const window = day === undefined ? DAY_MS : Math.min(DAY_MS, registeredBy - day + 1);
  const users: FullRandomUser[] = [];
  for (let index = from; index < from + count; index++) {
    const words = seedWords(seed, page, index);
    const nat = nats[words[0] % nats.length];
    randomizer.seed(words);
    users.push(generateUser(fakerFor(nat), nat, reference, day, window));
  }
  return users;
}

export function generateResponse(opts: SyntheticOptions): RandomUserResponse {
  const results = generateUsers(opts);
  return {
    results,
    info: { seed: opts.seed, results: results.length, page: opts.page ?? 1, version: '1.4' },
  };
}

function generateUser(
  f: Faker,
  nat: Nationality,
  reference: number,
  day: number | undefined,
  window: number,
): FullRandomUser {
  // Localised text comes from the nationality's faker; everything else straight from the shared
  // randomizer it draws from, which is the same seeded stream.
  const r = randomizer;
  const profile = PROFILES[nat];
  const gender = r.pick<Gender>(['female', 'male']);
  const first = f.person.firstName(gender);
  const last = f.person.lastName(gender);
  const title = titleFor(r, profile, gender);

  const location: FullRandomUser['location'] = {
    street: { number: r.int(1, 9999), name: f.location.street() },
    city: profile.cities ? r.pick(profile.cities) : f.location.city(),
    state: profile.states ? r.pick(profile.states) : f.location.state(),
    country: profile.country,
    postcode: profile.postcode(r),
    coordinates: { latitude: fixed4(r, 90), longitude: fixed4(r, 180) },
    timezone: { ...r.pick(TIMEZONES) },
  };

  const password = passwordFor(r);
  const salt = r.alphanumeric(8);
  const login: FullRandomUser['login'] = {
    uuid: r.uuid(),
    username: usernameFor(r),
    password,
    salt,
    md5: digest('md5', password + salt),
    sha1: digest('sha1', password + salt),
    sha256: digest('sha256', password + salt),
  };

  // Both instants are drawn whether or not `day` is set, so `day` moves dates and nothing else.
  const dob = reference - r.int(AGE_MS.youngest, AGE_MS.oldest);
  const registeredOffset = r.int(0, Math.floor(20 * YEAR_MS));
  // The same window always gives the same registrations; a backfill of a day that is over passes the same
  // `registeredBy` whatever its size (`backfillRegisteredBy`), so its people do not depend on it.
  const registered = day === undefined ? reference - registeredOffset : day + (registeredOffset % window);

  const phone = r.fill(profile.phone);
  const cell = r.fill(profile.cell);
  const id = profile.id(r, gender);
  // Beyond the nationalities that never have one, the API also leaves out ~10% of ids at random.
  const idMissing = r.int(0, 9) === 0;
  const portrait = `${gender === 'male' ? 'men' : 'women'}/${r.int(0, 99)}.jpg`;

  return {
    gender,
    name: { title, first, last },
    location,
    email: `${asciiLocalPart(first)}.${asciiLocalPart(last)}@example.com`,
    login,
    dob: { date: new Date(dob).toISOString(), age: fullYears(dob, reference) },
    registered: { date: new Date(registered).toISOString(), age: fullYears(registered, reference) },
    phone,
    cell,
    id: idMissing ? { name: id.name, value: null } : id,
    picture: {
      large: `https://randomuser.me/api/portraits/${portrait}`,
      medium: `https://randomuser.me/api/portraits/med/${portrait}`,
      thumbnail: `https://randomuser.me/api/portraits/thumb/${portrait}`,
    },
    nat,
  };
}

interface Validated {
  seed: string;
  count: number;
  page: number;
  from: number;
  nats: readonly Nationality[];
  day: number | undefined;
  registeredBy: number;
}

function validate(opts: SyntheticOptions): Validated {
  const page = opts.page ?? 1;
  if (!Number.isInteger(opts.count) || opts.count < 0)
    throw new RangeError(`count must be an integer >= 0, got ${opts.count}`);
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  const from = opts.from ?? 0;
  if (!Number.isInteger(from) || from < 0) throw new RangeError(`from must be an integer >= 0, got ${from}`);
  const day = parseDay(opts.day);
  const registeredBy = opts.registeredBy ?? Infinity;
  if (day !== undefined && !(registeredBy >= day))
    throw new RangeError(`registeredBy must not be before the start of day ${opts.day}, got ${registeredBy}`);
  return { seed: opts.seed, count: opts.count, page, from, nats: parseNats(opts.nat), day, registeredBy };
}

/**
 * The earliest date of birth (ms since the epoch) of anyone `generateUsers` makes for `day`: its people
 * are at most 77 years old at the end of it.
 */
export function earliestBirthOn(day: string): number {
  return (parseDay(day) as number) + DAY_MS - 1 - AGE_MS.oldest;
}

export function parseNats(nat: readonly string[] | undefined): readonly Nationality[] {
  if (nat === undefined || nat.length === 0) return NATIONALITIES;
  const wanted = nat.map((n) => n.trim().toUpperCase());
  const unknown = wanted.filter((n) => !isNationality(n));
  if (unknown.length > 0) {
    throw new RangeError(`unknown nat ${unknown.join(',')}; randomuser serves ${NATIONALITIES.join(',')}`);
  }
  // Canonical order and no duplicates, so ['us','gb'] and ['GB','US','GB'] draw the same people.
  return NATIONALITIES.filter((n) => wanted.includes(n));
}

export const isNationality = (n: string): n is Nationality =>
  (NATIONALITIES as readonly string[]).includes(n);

function parseDay(day: string | undefined): number | undefined {
  if (day === undefined) return undefined;
  const start = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00.000Z`) : NaN;
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`day must be a calendar date YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  return start;
}

function referenceInstant(seed: string): number {
  const [high, low] = seedWords('reference', seed);
  return REFERENCE_FROM + ((high * 65_536 + (low & 0xffff)) % REFERENCE_SPAN_MS);
}

/** Completed years from `from` to `to`, calendar-correct (birthdays, leap days). */
function fullYears(from: number, to: number): number {
  const a = new Date(from);
  const b = new Date(to);
  const beforeAnniversary =
    b.getUTCMonth() < a.getUTCMonth() ||
    (b.getUTCMonth() === a.getUTCMonth() &&
      (b.getUTCDate() < a.getUTCDate() ||
        (b.getUTCDate() === a.getUTCDate() && msOfDay(to) < msOfDay(from))));
  return b.getUTCFullYear() - a.getUTCFullYear() - (beforeAnniversary ? 1 : 0);
}

const msOfDay = (t: number): number => ((t % DAY_MS) + DAY_MS) % DAY_MS;
const fixed4 = (r: SeededRandomizer, bound: number): string =>
  (r.int(-bound * 10_000, bound * 10_000) / 10_000).toFixed(4);
const digest = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('hex');
