import { RandomUser, RandomUserResponse } from '@sparkflow/contracts';
import { NATIONALITIES } from './nationalities';
import { earliestBirthOn, generateResponse, generateUsers } from './user.generator';

const DAY = 86_400_000;

const COUNTRIES: Record<string, string> = {
  AU: 'Australia',
  BR: 'Brazil',
  CA: 'Canada',
  CH: 'Switzerland',
  DE: 'Germany',
  DK: 'Denmark',
  ES: 'Spain',
  FI: 'Finland',
  FR: 'France',
  GB: 'United Kingdom',
  IE: 'Ireland',
  IN: 'India',
  IR: 'Iran',
  MX: 'Mexico',
  NL: 'Netherlands',
  NO: 'Norway',
  NZ: 'New Zealand',
  RS: 'Serbia',
  TR: 'Turkey',
  UA: 'Ukraine',
  US: 'United States',
};

describe('generateUsers', () => {
  // 10,000 users across seeds and pages, generated once: Jest's sandbox makes faker several times slower than plain Node.
  const many = [
    ...generateUsers({ seed: 'alpha', count: 4000 }),
    ...generateUsers({ seed: 'beta', count: 3000, page: 2 }),
    ...generateUsers({ seed: 'gamma', count: 3000, page: 7 }),
  ];
  const sample = many.slice(0, 2000);

  it('returns deep-equal users for the same seed and page', () => {
    expect(generateUsers({ seed: 'same', count: 100, page: 2 })).toEqual(
      generateUsers({ seed: 'same', count: 100, page: 2 }),
    );
  });

  it('does not depend on the wall clock', () => {
    const before = generateUsers({ seed: 'clock', count: 50 });
    jest.useFakeTimers({ now: new Date('2031-07-04T12:00:00Z') });
    try {
      expect(generateUsers({ seed: 'clock', count: 50 })).toEqual(before);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives different people for a different seed or a different page', () => {
    const uuids = (seed: string, page = 1) =>
      generateUsers({ seed, count: 200, page }).map((u) => u.login.uuid);
    const base = new Set(uuids('alpha'));
    expect(uuids('beta').filter((u) => base.has(u))).toEqual([]);
    expect(uuids('alpha', 2).filter((u) => base.has(u))).toEqual([]);
  });

  it('makes a short page the prefix of a longer one, so a user depends only on seed, page and index', () => {
    expect(generateUsers({ seed: 'prefix', count: 10 })).toEqual(
      generateUsers({ seed: 'prefix', count: 100 }).slice(0, 10),
    );
  });

  it('generates a page in slices (`from`) that join into the same people as the whole page', () => {
    const whole = generateUsers({ seed: 'slices', page: 2, count: 30 });
    const slices = [0, 10, 20].flatMap((from) => generateUsers({ seed: 'slices', page: 2, from, count: 10 }));
    expect(slices).toEqual(whole);
    expect(() => generateUsers({ seed: 's', count: 1, from: -1 })).toThrow(
      'from must be an integer >= 0, got -1',
    );
  });

  it('keeps login.uuid unique across 10,000 users', () => {
    const uuids = many.map((u) => u.login.uuid);
    expect(new Set(uuids).size).toBe(10_000);
    expect(
      uuids.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u)),
    ).toBe(true);
  });

  it('produces only users the RandomUser contract accepts, across seeds and pages', () => {
    const failures = many
      .filter((_, i) => i % 3 === 0)
      .map((u) => RandomUser.safeParse(u))
      .filter((r) => !r.success)
      .map((r) => r.error?.issues);
    expect(failures).toEqual([]);
  });

  it('serves every nationality with the country name randomuser writes', () => {
    const seen = new Map(sample.map((u) => [u.nat, u.location.country]));
    expect(Object.fromEntries([...seen].sort())).toEqual(COUNTRIES);
  });

  it('carries the real API quirks in a 2,000-user sample', () => {
    const postcodes = sample.map((u) => u.location.postcode);
    expect(postcodes.some((p) => typeof p === 'number')).toBe(true);
    expect(postcodes.some((p) => typeof p === 'string')).toBe(true);
    expect(sample.some((u) => u.id.value === null)).toBe(true);
    expect(sample.some((u) => u.id.name === '')).toBe(true);
    expect(sample.every((u) => typeof u.location.coordinates.latitude === 'string')).toBe(true);
    expect(sample.every((u) => /^[+-]?\d{1,2}:\d{2}$/.test(u.location.timezone.offset))).toBe(true);

    const names = (nat: string) =>
      sample.filter((u) => u.nat === nat).map((u) => `${u.name.first} ${u.name.last}`);
    expect(names('IR').length).toBeGreaterThan(0);
    expect(names('IR').every((n) => /\p{Script=Arabic}/u.test(n))).toBe(true);
    expect(names('UA').every((n) => /\p{Script=Cyrillic}/u.test(n))).toBe(true);
    expect(names('RS').every((n) => !/\p{Script=Cyrillic}/u.test(n))).toBe(true);
  });

  it.each([
    ['GB', /^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/],
    ['CA', /^[A-Z]\d[A-Z] \d[A-Z]\d$/],
    ['NL', /^\d{4} [A-Z]{2}$/],
    ['IE', /^[A-Z]\d{2} [A-Z\d]{4}$/],
    ['IR', /^\d{5}-\d{5}$/],
  ])('writes %s postcodes as strings like the API', (nat, shape) => {
    const users = generateUsers({ seed: 'postcodes', count: 30, nat: [nat] });
    for (const u of users) expect(u.location.postcode).toEqual(expect.stringMatching(shape));
  });

  it.each(['US', 'DE', 'FR', 'AU', 'IN', 'BR'])('writes %s postcodes as numbers like the API', (nat) => {
    for (const u of generateUsers({ seed: 'postcodes', count: 30, nat: [nat] }))
      expect(typeof u.location.postcode).toBe('number');
  });

  it('never sends an id value for Ireland, and drops about a tenth of the others', () => {
    expect(
      generateUsers({ seed: 'ids', count: 50, nat: ['IE'] }).every(
        (u) => u.id.value === null && u.id.name === 'PPS',
      ),
    ).toBe(true);
    const withIds = many.filter((u) => !['IE', 'IR', 'NZ', 'TR', 'UA'].includes(u.nat));
    const missing = withIds.filter((u) => u.id.value === null).length / withIds.length;
    expect(missing).toBeGreaterThan(0.08);
    expect(missing).toBeLessThan(0.12);
  });

  it('writes ASCII e-mail addresses, transliterating Persian and Cyrillic names', () => {
    expect(sample.every((u) => /^[a-z0-9]+\.[a-z0-9]+@example\.com$/.test(u.email))).toBe(true);
  });

  it('keeps only the nationalities asked for, in any case and order', () => {
    const users = generateUsers({ seed: 'nat', count: 200, nat: ['us', 'GB'] });
    expect(new Set(users.map((u) => u.nat))).toEqual(new Set(['GB', 'US']));
    expect(generateUsers({ seed: 'nat', count: 200, nat: ['GB', 'US', 'GB'] })).toEqual(users);
  });

  it('rejects a nationality randomuser does not serve, naming it', () => {
    expect(() => generateUsers({ seed: 's', count: 1, nat: ['GB', 'XX'] })).toThrow(/unknown nat XX/);
  });

  it.each(['2025-02-30', '2025-1-01', 'yesterday'])('rejects the day %p', (day) => {
    expect(() => generateUsers({ seed: 's', count: 1, day })).toThrow(RangeError);
  });

  it('puts every registered.date on the given UTC day and computes ages at the end of it', () => {
    const users = generateUsers({ seed: 'backfill', count: 200, day: '2024-02-29' });
    for (const u of users) {
      expect(u.registered.date.slice(0, 10)).toBe('2024-02-29');
      expect(u.registered.age).toBe(0);
      expect(u.dob.age).toBe(yearsBetween(u.dob.date, '2024-02-29T23:59:59.999Z'));
    }
  });

  it('registers the people of a day no later than registeredBy, and as before when the day is over by then', () => {
    const day = '2026-12-02';
    const by = Date.parse('2026-12-02T02:59:00.000Z');
    const users = generateUsers({ seed: 'today', count: 300, day, registeredBy: by });
    for (const u of users) {
      expect(Date.parse(u.registered.date)).toBeGreaterThanOrEqual(Date.parse(`${day}T00:00:00.000Z`));
      expect(Date.parse(u.registered.date)).toBeLessThanOrEqual(by);
    }
    const dayOver = Date.parse('2026-12-03T00:00:00.000Z');
    expect(generateUsers({ seed: 'today', count: 50, day, registeredBy: dayOver })).toEqual(
      generateUsers({ seed: 'today', count: 50, day }),
    );
    expect(generateUsers({ seed: 'today', count: 50, day, registeredBy: dayOver - 1 })).toEqual(
      generateUsers({ seed: 'today', count: 50, day }),
    );
    expect(() => generateUsers({ seed: 's', count: 1, day, registeredBy: by - DAY })).toThrow(RangeError);
  });

  it('is born no earlier than earliestBirthOn the day', () => {
    for (const day of ['1973-12-02', '2024-02-29']) {
      const users = generateUsers({ seed: 'oldest', count: 500, day });
      const earliest = Math.min(...users.map((u) => Date.parse(u.dob.date)));
      expect(earliest).toBeGreaterThanOrEqual(earliestBirthOn(day));
      // The bound is tight: the oldest of 500 people is within a year of it.
      expect(earliest - earliestBirthOn(day)).toBeLessThan(365 * DAY);
    }
  });

  it('moves only the dates when a day is given', () => {
    const strip = (u: RandomUser) => ({ ...u, dob: undefined, registered: undefined });
    expect(generateUsers({ seed: 'day', count: 50, day: '2023-05-01' }).map(strip)).toEqual(
      generateUsers({ seed: 'day', count: 50 }).map(strip),
    );
  });

  it('derives every age from one reference instant per seed', () => {
    const users = generateUsers({ seed: 'ages', count: 300 });
    const latestRegistration = Math.max(...users.map((u) => Date.parse(u.registered.date)));
    for (const u of users) {
      expect(u.dob.age).toBeGreaterThanOrEqual(20);
      expect(u.dob.age).toBeLessThanOrEqual(77);
      expect(u.registered.age).toBeGreaterThanOrEqual(0);
      expect(u.registered.age).toBeLessThanOrEqual(20);
      expect(Date.parse(u.registered.date)).toBeGreaterThan(Date.parse(u.dob.date));
    }
    // Whoever registered last is the youngest registration: age 0 or close to it.
    expect(
      users.find((u) => Date.parse(u.registered.date) === latestRegistration)!.registered.age,
    ).toBeLessThanOrEqual(1);
  });
});

describe('generateResponse', () => {
  it('wraps the users in the API 1.4 envelope the contract accepts', () => {
    const response = generateResponse({ seed: 'env', count: 3, page: 4 });
    expect(RandomUserResponse.parse(response).info).toEqual({
      seed: 'env',
      results: 3,
      page: 4,
      version: '1.4',
    });
    expect(response.results).toEqual(generateUsers({ seed: 'env', count: 3, page: 4 }));
  });

  it('defaults to page 1', () => {
    expect(generateResponse({ seed: 'env', count: 1 }).info.page).toBe(1);
  });
});

function yearsBetween(fromIso: string, toIso: string): number {
  const [from, to] = [new Date(fromIso), new Date(toIso)];
  let years = to.getUTCFullYear() - from.getUTCFullYear();
  const anniversary = new Date(from);
  anniversary.setUTCFullYear(to.getUTCFullYear());
  if (anniversary > to) years--;
  return years;
}

it('lists the 21 nationalities randomuser serves', () => {
  expect([...NATIONALITIES]).toEqual(Object.keys(COUNTRIES));
});
