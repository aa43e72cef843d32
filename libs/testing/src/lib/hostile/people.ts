import * as fc from 'fast-check';
import type { FullRandomUser } from '@sparkflow/contracts';
import { hostileIsoDate } from './dates';
import { hostileJsonValue } from './json';
import { hostileNumber } from './numbers';
import { anyHostileString, hostileString, hugeString } from './strings';

const PLACES = [
  {
    nat: 'GB',
    country: 'United Kingdom',
    city: 'Leeds',
    state: 'West Yorkshire',
    postcode: 'LS1 4AP',
    phone: '016977 1234',
    tz: '+0:00',
  },
  {
    nat: 'US',
    country: 'United States',
    city: 'Austin',
    state: 'Texas',
    postcode: 73301,
    phone: '(512) 555-0147',
    tz: '-6:00',
  },
  {
    nat: 'CA',
    country: 'Canada',
    city: 'Ottawa',
    state: 'Ontario',
    postcode: 'K1A 0B1',
    phone: 'G13 825-0146',
    tz: '-5:00',
  },
  {
    nat: 'DE',
    country: 'Germany',
    city: 'Köln',
    state: 'Nordrhein-Westfalen',
    postcode: 50667,
    phone: '0221-1234567',
    tz: '+1:00',
  },
  {
    nat: 'IN',
    country: 'India',
    city: 'Pune',
    state: 'Maharashtra',
    postcode: 411001,
    phone: '9123456789',
    tz: '+5:30',
  },
  {
    nat: 'BR',
    country: 'Brazil',
    city: 'Recife',
    state: 'Pernambuco',
    postcode: 50000,
    phone: '(81) 5555-0199',
    tz: '-3:00',
  },
] as const;

const DAY_MS = 86_400_000;

/**
 * A randomuser.me 1.4 person that the contract and enrichment accept: ordinary values, a fresh
 * `login.uuid` each, dates in the past and in order. The base the hostile people are cut from.
 */
export const aPerson = (): fc.Arbitrary<FullRandomUser> =>
  fc
    .record({
      uuid: fc.uuid({ version: 4 }),
      place: fc.constantFrom(...PLACES),
      first: fc.constantFrom('Ada', 'Grace', 'Émile', 'Zoë', 'Søren', 'Nguyễn', 'Ólafur', 'Mía'),
      last: fc.constantFrom('Lovelace', 'Hopper', "O'Brien", 'Müller', 'García-Márquez', 'Ng'),
      gender: fc.constantFrom('female', 'male'),
      // Born 18 to 80 years before now, registered after the 18th birthday and before now.
      ageDays: fc.integer({ min: 18 * 366, max: 80 * 365 }),
      registeredAgoDays: fc.integer({ min: 1, max: 17 * 365 }),
      streetNumber: fc.integer({ min: 1, max: 9999 }),
    })
    .map(({ uuid, place, first, last, gender, ageDays, registeredAgoDays, streetNumber }) => {
      const now = Date.now();
      const dob = new Date(now - ageDays * DAY_MS);
      const registered = new Date(now - registeredAgoDays * DAY_MS);
      const user = `${first}.${last}`.toLowerCase().replace(/[^a-z]/g, '');
      return {
        gender,
        name: { title: gender === 'female' ? 'Ms' : 'Mr', first, last },
        location: {
          street: { number: streetNumber, name: 'High Street' },
          city: place.city,
          state: place.state,
          country: place.country,
          postcode: place.postcode,
          coordinates: { latitude: '51.5072', longitude: '-0.1276' },
          timezone: { offset: place.tz, description: 'Somewhere' },
        },
        email: `${user || 'person'}@example.com`,
        login: { uuid, username: `${user || 'person'}${streetNumber}` },
        dob: { date: dob.toISOString(), age: Math.floor(ageDays / 365.25) },
        registered: { date: registered.toISOString(), age: Math.floor(registeredAgoDays / 365.25) },
        phone: place.phone,
        cell: place.phone,
        id: { name: 'NINO', value: 'QQ 12 34 56 C' },
        picture: {
          large: 'https://randomuser.me/api/portraits/women/1.jpg',
          medium: 'https://randomuser.me/api/portraits/med/women/1.jpg',
          thumbnail: 'https://randomuser.me/api/portraits/thumb/women/1.jpg',
        },
        nat: place.nat,
      } satisfies FullRandomUser;
    });

/** Every leaf (and object) of a randomuser person, by dotted path: where a mutation can land. */
export const PERSON_PATHS = [
  'gender',
  'name',
  'name.title',
  'name.first',
  'name.last',
  'location',
  'location.street',
  'location.street.number',
  'location.street.name',
  'location.city',
  'location.state',
  'location.country',
  'location.postcode',
  'location.coordinates',
  'location.coordinates.latitude',
  'location.coordinates.longitude',
  'location.timezone',
  'location.timezone.offset',
  'location.timezone.description',
  'email',
  'login',
  'login.uuid',
  'login.username',
  'login.password',
  'dob',
  'dob.date',
  'dob.age',
  'registered',
  'registered.date',
  'registered.age',
  'phone',
  'cell',
  'id',
  'id.name',
  'id.value',
  'picture',
  'picture.large',
  'nat',
  '__proto__',
  'constructor',
  'extra',
] as const;

/** What a mutation puts at a path: a hostile string, number or JSON value, the wrong type, or nothing. */
export type Mutation = { path: string; op: 'set'; value: unknown } | { path: string; op: 'delete' };

export const personMutation = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        path: fc.constantFrom(...PERSON_PATHS),
        op: fc.constant('set' as const),
        value: anyHostileString(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        path: fc.constantFrom(...PERSON_PATHS),
        op: fc.constant('set' as const),
        value: hostileNumber(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        path: fc.constantFrom(...PERSON_PATHS),
        op: fc.constant('set' as const),
        value: hostileJsonValue(2),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ path: fc.constantFrom(...PERSON_PATHS), op: fc.constant('delete' as const) }),
    },
  );

/** Applies mutations to a copy; `__proto__` is set as an own property, as JSON.parse would. */
export function mutated(person: FullRandomUser, mutations: readonly Mutation[]): Record<string, unknown> {
  const copy = structuredClone(person) as unknown as Record<string, unknown>;
  for (const m of mutations) {
    const keys = m.path.split('.');
    const last = keys.pop() as string;
    let target: unknown = copy;
    for (const key of keys) {
      const next = (target as Record<string, unknown>)[key];
      if (typeof next !== 'object' || next === null) {
        target = undefined;
        break;
      }
      target = next;
    }
    if (typeof target !== 'object' || target === null) continue;
    if (m.op === 'delete') delete (target as Record<string, unknown>)[last];
    else
      Object.defineProperty(target, last, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy;
}

/**
 * A person whose date of birth and registration date are any date-times the contract's format allows
 * (years 0000–9999, any offset, just now, 130 years back), each sometimes left out: a registration with
 * no date of birth to be compared with is checked against nothing else.
 */
export const datedPerson = (): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      aPerson(),
      fc.option(hostileIsoDate(), { nil: undefined }),
      fc.option(hostileIsoDate(), { nil: undefined }),
      fc.constantFrom('keep', 'drop-dob', 'drop-registered'),
    )
    .map(([p, dob, registered, drop]) => {
      const ms: Mutation[] = [];
      if (dob !== undefined) ms.push({ path: 'dob.date', op: 'set', value: dob });
      if (registered !== undefined) ms.push({ path: 'registered.date', op: 'set', value: registered });
      if (drop === 'drop-dob') ms.push({ path: 'dob', op: 'delete' });
      if (drop === 'drop-registered') ms.push({ path: 'registered', op: 'delete' });
      return mutated(p, ms);
    });

/**
 * A person with hostile values: most often in the free-text fields a sender controls (which should be
 * stored or refused with a reason), sometimes anywhere (wrong types, missing parts, extra keys), sometimes
 * with dates at the ends of what the format allows, sometimes one field of megabytes.
 */
export const hostilePerson = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          aPerson(),
          fc.array(
            fc.record({
              path: fc.constantFrom(
                'name.first',
                'name.last',
                'name.title',
                'location.city',
                'location.street.name',
                'location.state',
                'location.timezone.description',
                'login.username',
                'email',
                'id.value',
              ),
              value: hostileString(),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        )
        .map(([p, sets]) =>
          mutated(
            p,
            sets.map((s) => ({ ...s, op: 'set' as const })),
          ),
        ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(aPerson(), fc.array(personMutation(), { minLength: 1, maxLength: 4 }))
        .map(([p, ms]) => mutated(p, ms)),
    },
    { weight: 2, arbitrary: datedPerson() },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          aPerson(),
          fc.constantFrom('name.first', 'name.last', 'location.city', 'email', 'login.username'),
          hugeString(100_000, 1_200_000),
        )
        .map(([p, path, value]) => mutated(p, [{ path, op: 'set', value }])),
    },
  );

/** One version of `heavyVersionsOfOne`: the person as sent, and which stage refuses it (null: it must be stored). */
export interface HeavyVersion {
  person: Record<string, unknown>;
  refusedBy: 'ingestion' | 'enrichment' | null;
}

/**
 * Five to seven versions of one person (one `login.uuid`, so one partition of every topic) in one body,
 * each with a field of 170–248 KB, under ingestion's per-person limit: together more than one record
 * batch a topic takes (1 MiB), and more again once their text grows on the way (NFC normalisation turns
 * U+1D160 into three code points, a dead letter escapes every `"`). Some are refused by ingestion (`nat`)
 * or by enrichment (`email`), so large records reach users.dlq from both; the others are valid, only large.
 */
export const heavyVersionsOfOne = (): fc.Arbitrary<HeavyVersion[]> =>
  fc
    .tuple(
      fc.uuid({ version: 4 }),
      fc.array(
        fc.record({
          person: aPerson(),
          // Fields no stage caps in length (enrichment caps the free text it indexes at 1,000 characters),
          // so a version refused by no stage is valid; `picture.medium` and `id.value` are stored as sent.
          path: fc.constantFrom('picture.large', 'picture.medium', 'login.username', 'id.value'),
          unit: fc.constantFrom('x', '"', '\u{1D160}', 'é'),
          bytes: fc.integer({ min: 170_000, max: 248_000 }),
          refusedBy: fc.constantFrom(null, null, 'ingestion' as const, 'enrichment' as const),
        }),
        { minLength: 5, maxLength: 7 },
      ),
    )
    .map(([uuid, versions]) =>
      versions.map(({ person, path, unit, bytes, refusedBy }) => {
        // Bytes the unit takes in the body's JSON: `"` is escaped, the others are UTF-8.
        const unitBytes = unit === '"' ? 2 : Buffer.byteLength(unit);
        const sets: Mutation[] = [
          { path: 'login.uuid', op: 'set', value: uuid },
          { path, op: 'set', value: unit.repeat(Math.floor(bytes / unitBytes)) },
        ];
        if (refusedBy === 'ingestion') sets.push({ path: 'nat', op: 'set', value: 'X' });
        if (refusedBy === 'enrichment') sets.push({ path: 'email', op: 'set', value: 'not an address' });
        return { person: mutated(person, sets), refusedBy };
      }),
    );

/** The people of `heavyVersionsOfOne`, as a body sends them. */
export const heavyVersionsOfOnePerson = (): fc.Arbitrary<Record<string, unknown>[]> =>
  heavyVersionsOfOne().map((versions) => versions.map((v) => v.person));

/** `login.uuid` of a generated person, when it still has a string one. */
export function loginUuidOf(person: unknown): string | undefined {
  const login = (person as { login?: { uuid?: unknown } } | null)?.login;
  return typeof login?.uuid === 'string' ? login.uuid : undefined;
}
