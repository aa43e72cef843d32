import { DeadLetterReason, EnrichedUser, SparkflowErrorCode } from '@sparkflow/contracts';
import { aRandomUser, buildEnrichedUser, withValue, without, type FixtureNat } from '@sparkflow/testing';
import { enrichUser, type EnrichResult } from './enrich-user';

const NOW = new Date('2026-05-01T00:00:00.000Z');
const { SchemaInvalid, SemanticInvalid } = SparkflowErrorCode;

function enriched(payload: unknown, now = NOW): EnrichedUser {
  const result = enrichUser(payload, now);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.reasons)}`);
  // The contract is the judge: whatever enrichment returns must parse as EnrichedUser, unchanged.
  expect(EnrichedUser.parse(result.user)).toEqual(result.user);
  return result.user;
}

function rejected(payload: unknown, now = NOW): DeadLetterReason[] {
  const result: EnrichResult = enrichUser(payload, now);
  if (result.ok) throw new Error(`expected rejection, got ${JSON.stringify(result.user)}`);
  for (const reason of result.reasons) DeadLetterReason.parse(reason);
  return result.reasons;
}

const codesAndPaths = (reasons: DeadLetterReason[]) => reasons.map((r) => [r.code, r.path]);

describe('enrichUser', () => {
  describe('a valid randomuser record', () => {
    it('becomes this EnrichedUser (GB fixture, every field hand-derived)', () => {
      // The builder's person is this fixture's; what differs is derived from the fixture by hand.
      expect(enriched(aRandomUser('GB'))).toEqual(
        buildEnrichedUser('5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11', {
          username: 'bigswan262',
          email: 'olivia.harris@example.com',
          geohash: '1nvux82',
          timezoneDescription: 'Bombay, Calcutta, Madras, New Delhi',
          phoneE164: '+441539612345',
          // 07700 900xxx is Ofcom's drama range: well-formed but not a real number.
          cellE164: null,
          pictureUrl: 'https://randomuser.me/api/portraits/med/women/52.jpg',
          qualityScore: 0.9,
          qualityReasons: ['phone-not-e164'],
        }),
      );
    });

    it.each<FixtureNat>(['GB', 'CA', 'US', 'IE', 'CH'])(
      'enriches the %s fixture user into a valid EnrichedUser',
      (nat) => {
        expect(enriched(aRandomUser(nat)).nationality).toBe(nat);
      },
    );

    it('does not modify the payload it is given', () => {
      const payload = aRandomUser('US');
      const before = structuredClone(payload);
      enrichUser(payload, NOW);
      expect(payload).toEqual(before);
    });

    it('drops the login password, salt and hashes', () => {
      const raw = aRandomUser('GB');
      const serialised = JSON.stringify(enriched(raw));
      for (const secret of [
        raw.login.password,
        raw.login.salt,
        raw.login.md5,
        raw.login.sha1,
        raw.login.sha256,
      ]) {
        expect(serialised).not.toContain(secret);
      }
      expect(serialised).not.toMatch(/password|salt|md5|sha1|sha256/);
    });

    it('accepts a record without any credentials', () => {
      const raw = aRandomUser('GB');
      for (const field of ['password', 'salt', 'md5', 'sha1', 'sha256']) without(raw, `login.${field}`);
      expect(enriched(raw).userId).toBe('5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11');
    });
  });

  describe('a record filtered with inc/exc (top-level fields absent)', () => {
    it('without registered: registration fields are null and missing-registered says why', () => {
      const user = enriched(without(aRandomUser('GB'), 'registered'));
      expect(user).toMatchObject({ registeredAt: null, registrationCohort: null, firstName: 'Olivia' });
      expect(user.qualityReasons).toContain('missing-registered');
    });

    it('with only login.uuid: every derived field is null, each absent field named once', () => {
      const uuid = aRandomUser('CA').login.uuid;
      const user = enriched({ login: { uuid } });
      expect(user.userId).toBe(uuid.toLowerCase());
      const nulls = Object.entries(user)
        .filter(([, v]) => v === null)
        .map(([k]) => k);
      expect(nulls).toEqual(
        expect.arrayContaining([
          'email',
          'emailDomain',
          'dob',
          'age',
          'ageBand',
          'country',
          'geohash',
          'phoneE164',
        ]),
      );
      expect(user.qualityReasons).toEqual([
        'missing-cell',
        'missing-dob',
        'missing-email',
        'missing-gender',
        'missing-location',
        'missing-name',
        'missing-national-id',
        'missing-nationality',
        'missing-phone',
        'missing-picture',
        'missing-registered',
        'missing-username',
      ]);
      expect(user.qualityScore).toBe(0);
    });

    it.each(['', ' ', ' \u00a0\u2003 '])('counts a blank gender (%j) as missing, not as a value', (blank) => {
      const user = enriched(withValue(aRandomUser('GB'), 'gender', blank));
      expect(user.gender).toBeNull();
      expect(user.qualityReasons).toContain('missing-gender');
      expect(enriched(withValue(aRandomUser('GB'), 'gender', ' Female ')).gender).toBe('Female');
    });

    it('still rejects a field that is present but malformed', () => {
      const reasons = rejected(withValue(without(aRandomUser('US'), 'registered'), 'dob.date', 'yesterday'));
      expect(codesAndPaths(reasons)).toEqual([[SchemaInvalid, 'dob.date']]);
    });

    it('without nat: phones are kept as sent, not read as E.164 against a guessed country', () => {
      const user = enriched(without(aRandomUser('US'), 'nat'));
      expect(user).toMatchObject({ nationality: null, phoneE164: null, cellE164: null });
      expect(user.phone).not.toBeNull();
      expect(user.qualityReasons).toContain('missing-nationality');
      expect(user.qualityReasons).not.toContain('phone-not-e164');
    });
  });

  describe('postcodes', () => {
    it.each([
      ['GB', 'EC1A 1BB'],
      ['CA', 'K1A 0B1'],
    ] as const)(
      "keeps alphanumeric postcodes (the tutorial's INT column lost them): %s %s",
      (nat, postcode) => {
        expect(enriched(aRandomUser(nat)).postcode).toBe(postcode);
      },
    );

    it('renders the numeric postcode 94306 as "94306"', () => {
      expect(enriched(aRandomUser('US')).postcode).toBe('94306');
    });

    it('upper-cases and tidies a hand-typed postcode', () => {
      expect(enriched(withValue(aRandomUser('GB'), 'location.postcode', ' ec1a   1bb ')).postcode).toBe(
        'EC1A 1BB',
      );
    });

    it('stores an empty postcode as null and marks it missing', () => {
      const user = enriched(withValue(aRandomUser('US'), 'location.postcode', ''));
      expect(user.postcode).toBeNull();
      expect(user.qualityReasons).toContain('missing-postcode');
    });
  });

  describe('dates', () => {
    it("carries the registration date (the tutorial's `registered_date` vs `registered` mismatch nulled it)", () => {
      const user = enriched(aRandomUser('GB'));
      expect(user.registeredAt).toBe('2012-08-02T22:01:53.512Z');
      expect(user.registrationCohort).toBe('2012-08');
    });

    it('writes dates with an offset as UTC ISO strings', () => {
      const raw = aRandomUser('CH');
      raw.dob.date = '1985-09-18T01:59:59.999+02:00';
      raw.registered.date = '2011-01-01T01:00:00.000+02:00';
      const user = enriched(raw);
      expect(user.dob).toBe('1985-09-17T23:59:59.999Z');
      expect(user.registeredAt).toBe('2010-12-31T23:00:00.000Z');
      expect(user.registrationCohort).toBe('2010-12');
    });

    it('computes age in whole years at `now`: 69 the day before the 70th birthday, 70 on it', () => {
      // US fixture: born 1956-05-02T18:47:31.001Z.
      expect(enriched(aRandomUser('US'), NOW)).toMatchObject({ age: 69, ageBand: '65-74' });
      expect(enriched(aRandomUser('US'), new Date('2026-05-02T18:47:31.001Z'))).toMatchObject({
        age: 70,
        ageBand: '65-74',
      });
    });

    it.each([
      ['2008-05-01T00:00:00.001Z', 17, 'under-18'],
      ['2008-05-01T00:00:00.000Z', 18, '18-24'],
      ['2001-05-01T00:00:00.001Z', 24, '18-24'],
      ['2001-05-01T00:00:00.000Z', 25, '25-34'],
      ['1951-05-01T00:00:00.000Z', 75, '75+'],
    ])('puts someone born %s in age %i, band %s', (dob, age, band) => {
      const raw = aRandomUser('GB');
      raw.dob.date = dob;
      raw.registered.date = '2026-04-30T00:00:00.000Z';
      expect(enriched(raw)).toMatchObject({ age, ageBand: band });
    });

    it('accepts someone born exactly now, aged 0', () => {
      const raw = aRandomUser('GB');
      raw.dob.date = NOW.toISOString();
      raw.registered.date = NOW.toISOString();
      expect(enriched(raw)).toMatchObject({ age: 0, ageBand: 'under-18' });
    });

    it('accepts someone exactly 130 years old', () => {
      const raw = aRandomUser('GB');
      raw.dob.date = '1896-05-01T00:00:00.000Z';
      expect(enriched(raw).age).toBe(130);
    });
  });

  describe('names and e-mail', () => {
    it('composes a decomposed name to NFC: "Zoe\\u0301" becomes "Zoé"', () => {
      const raw = aRandomUser('CH');
      raw.name.first = 'Zoe\u0301';
      const user = enriched(raw);
      expect(user.firstName).toBe('Zo\u00e9');
      expect(user.fullName).toBe('Zo\u00e9 M\u00fcller');
    });

    it('trims names and collapses their inner whitespace, keeping case', () => {
      const raw = aRandomUser('GB');
      raw.name.first = '  Mary   Ann ';
      raw.name.last = ' McDONALD ';
      expect(enriched(raw)).toMatchObject({
        firstName: 'Mary Ann',
        lastName: 'McDONALD',
        fullName: 'Mary Ann McDONALD',
      });
    });

    it('lower-cases the e-mail and derives its domain', () => {
      const raw = aRandomUser('GB');
      raw.email = ' Olivia.Harris@Mail.Example.CO.UK ';
      expect(enriched(raw)).toMatchObject({
        email: 'olivia.harris@mail.example.co.uk',
        emailDomain: 'mail.example.co.uk',
      });
    });

    it('lower-cases the login uuid into userId', () => {
      const raw = aRandomUser('GB');
      raw.login.uuid = '5F0C8A8E-1D3C-4A7B-9A53-0C8F9B6A2E11';
      expect(enriched(raw).userId).toBe('5f0c8a8e-1d3c-4a7b-9a53-0c8f9b6a2e11');
    });

    it('upper-cases the nationality and still reads phones in it', () => {
      const user = enriched(withValue(aRandomUser('US'), 'nat', 'us'));
      expect(user).toMatchObject({ nationality: 'US', phoneE164: '+12727900888', cellE164: '+13342119871' });
    });
  });

  describe('derived location, phone and identity fields', () => {
    it('maps the country name to ISO 3166-1 alpha-2, accepting "UK"', () => {
      expect(enriched(aRandomUser('CH')).countryCode).toBe('CH');
      expect(enriched(withValue(aRandomUser('GB'), 'location.country', 'UK')).countryCode).toBe('GB');
    });

    it('keeps an unknown country with a null code and an unknown-country reason', () => {
      const user = enriched(withValue(aRandomUser('US'), 'location.country', 'Atlantis'));
      expect(user).toMatchObject({
        country: 'Atlantis',
        countryCode: null,
        qualityReasons: ['unknown-country'],
        qualityScore: 0.9,
      });
    });

    it('parses coordinates and geohashes them at precision 7', () => {
      expect(enriched(aRandomUser('CH'))).toMatchObject({
        latitude: 46.5197,
        longitude: 6.6323,
        geohash: 'u0k8wut',
      });
    });

    it('geohashes the reference point 57.64911, 10.40744 as "u4pruyd"', () => {
      const raw = aRandomUser('US');
      raw.location.coordinates = { latitude: '57.64911', longitude: '10.40744' };
      expect(enriched(raw).geohash).toBe('u4pruyd');
    });

    it.each([
      ['not a number', 'north', '10.5', 'invalid-coordinates'],
      ['out of range', '91', '10.5', 'invalid-coordinates'],
      ['blank', '', '', 'missing-coordinates'],
    ])(
      'does not reject unusable coordinates (%s): nulls them and records why',
      (_label, latitude, longitude, reason) => {
        const raw = aRandomUser('US');
        raw.location.coordinates = { latitude, longitude };
        const user = enriched(raw);
        expect(user).toMatchObject({
          latitude: null,
          longitude: null,
          geohash: null,
          qualityReasons: [reason],
        });
      },
    );

    it.each([
      ['+5:30', 330],
      ['-3:30', -210],
      ['0:00', 0],
      ['not an offset', null],
    ])('reads the timezone offset %s as %p minutes', (offset, minutes) => {
      const raw = aRandomUser('US');
      raw.location.timezone.offset = offset;
      expect(enriched(raw).timezoneOffsetMinutes).toBe(minutes);
    });

    it('converts valid phone numbers to E.164 and marks unconvertible ones', () => {
      expect(enriched(aRandomUser('US'))).toMatchObject({
        phoneE164: '+12727900888',
        cellE164: '+13342119871',
        qualityReasons: [],
      });
      // randomuser's CA numbers contain letters ("K15 A02-9318").
      expect(enriched(aRandomUser('CA'))).toMatchObject({
        phoneE164: null,
        cellE164: null,
        qualityReasons: ['phone-not-e164'],
      });
    });

    it('accepts a null id.value: no national id, marked missing', () => {
      const user = enriched(aRandomUser('IE'));
      expect(user).toMatchObject({ nationalIdName: 'PPS', nationalIdValue: null });
      expect(user.qualityReasons).toContain('missing-national-id');
    });

    it('stores an empty id.name as null', () => {
      const raw = aRandomUser('GB');
      raw.id = { name: '', value: null };
      expect(enriched(raw)).toMatchObject({ nationalIdName: null, nationalIdValue: null });
    });

    it('uses the medium picture, or null with a missing-picture reason', () => {
      expect(enriched(aRandomUser('US')).pictureUrl).toBe(
        'https://randomuser.me/api/portraits/med/women/11.jpg',
      );
      const user = enriched(withValue(aRandomUser('US'), 'picture.medium', ''));
      expect(user).toMatchObject({ pictureUrl: null, qualityReasons: ['missing-picture'] });
    });

    it('scores 1 − 0.1 per distinct quality reason, reasons sorted', () => {
      // IE fixture: id.value is null and the landline 031-219-4123 is not a valid Irish number.
      expect(enriched(aRandomUser('IE'))).toMatchObject({
        qualityReasons: ['missing-national-id', 'phone-not-e164'],
        qualityScore: 0.8,
      });
      const raw = aRandomUser('IE');
      raw.location.postcode = '';
      raw.location.country = 'Hibernia';
      raw.picture.medium = '';
      raw.location.coordinates = { latitude: 'x', longitude: 'y' };
      expect(enriched(raw)).toMatchObject({
        qualityReasons: [
          'invalid-coordinates',
          'missing-national-id',
          'missing-picture',
          'missing-postcode',
          'phone-not-e164',
          'unknown-country',
        ],
        qualityScore: 0.4,
      });
    });
  });

  describe('rejection', () => {
    it('rejects a date of birth in the future', () => {
      const raw = aRandomUser('GB');
      raw.dob.date = '2026-05-01T00:00:00.001Z';
      raw.registered.date = '2026-05-01T00:00:00.002Z';
      expect(codesAndPaths(rejected(raw))).toEqual([
        [SemanticInvalid, 'dob.date'],
        [SemanticInvalid, 'registered.date'],
      ]);
      expect(rejected(raw).map((r) => r.message)).toEqual([
        'Date of birth is in the future (after 2026-05-01T00:00:00.000Z)',
        'Registration date is in the future (after 2026-05-01T00:00:00.000Z)',
      ]);
    });

    it('also reports registration before birth when only the date of birth is in the future', () => {
      const raw = aRandomUser('GB');
      raw.dob.date = '2030-01-01T00:00:00.000Z';
      expect(codesAndPaths(rejected(raw))).toEqual([
        [SemanticInvalid, 'dob.date'],
        [SemanticInvalid, 'registered.date'],
      ]);
    });

    it('rejects a date of birth more than 130 years ago', () => {
      const raw = aRandomUser('GB');
      raw.dob.date = '1896-04-30T23:59:59.999Z';
      expect(codesAndPaths(rejected(raw))).toEqual([[SemanticInvalid, 'dob.date']]);
    });

    it('rejects a registration date in the future', () => {
      const raw = aRandomUser('GB');
      raw.registered.date = '2027-01-01T00:00:00.000Z';
      expect(codesAndPaths(rejected(raw))).toEqual([[SemanticInvalid, 'registered.date']]);
    });

    it.each(['0000-01-01T00:00:00+01:00', '0000-01-01T00:00:00Z', '0999-12-31T23:59:59Z'])(
      'rejects a registration date (%s) more than 130 years ago when there is no date of birth to compare',
      (date) => {
        const raw = withValue(without(aRandomUser('GB'), 'dob'), 'registered.date', date);
        const reasons = rejected(raw);
        expect(codesAndPaths(reasons)).toEqual([[SemanticInvalid, 'registered.date']]);
        expect(reasons[0].message).toBe(
          'Registration date is more than 130 years ago, before the oldest date of birth accepted',
        );
      },
    );

    it('accepts a registration exactly 130 years ago without a date of birth, not a millisecond earlier', () => {
      const noDob = without(aRandomUser('GB'), 'dob');
      expect(enriched(withValue(noDob, 'registered.date', '1896-05-01T00:00:00.000Z'))).toMatchObject({
        registeredAt: '1896-05-01T00:00:00.000Z',
        registrationCohort: '1896-05',
      });
      expect(
        codesAndPaths(rejected(withValue(noDob, 'registered.date', '1896-04-30T23:59:59.999Z'))),
      ).toEqual([[SemanticInvalid, 'registered.date']]);
    });

    it('names a registration both too old and before the date of birth once', () => {
      const raw = withValue(aRandomUser('GB'), 'registered.date', '1800-01-01T00:00:00.000Z');
      expect(codesAndPaths(rejected(raw))).toEqual([[SemanticInvalid, 'registered.date']]);
    });

    it('rejects registration before birth', () => {
      const raw = aRandomUser('GB');
      raw.registered.date = '1979-03-14T06:24:46.610Z';
      expect(codesAndPaths(rejected(raw))).toEqual([[SemanticInvalid, 'registered.date']]);
    });

    it.each([
      'olivia.harris.example.com',
      'olivia@harris@example.com',
      'olivia@localhost',
      'olivia@example.',
      '@example.com',
      'oli via@example.com',
    ])('rejects the e-mail "%s"', (email) => {
      expect(codesAndPaths(rejected(withValue(aRandomUser('GB'), 'email', email)))).toEqual([
        [SemanticInvalid, 'email'],
      ]);
    });

    it.each(['name.first', 'name.last', 'name.title', 'email'])(
      'rejects a control character in %s',
      (path) => {
        const raw = aRandomUser('GB');
        const value = path === 'email' ? 'olivia\u0007@example.com' : 'Oli\u0000via';
        expect(codesAndPaths(rejected(withValue(raw, path, value)))).toContainEqual([SemanticInvalid, path]);
      },
    );

    it.each([
      'name.first',
      'name.last',
      'location.city',
      'location.street.name',
      'location.timezone.description',
    ])('rejects %s longer than 1,000 characters as schema-invalid, but accepts 1,000', (path) => {
      expect(codesAndPaths(rejected(withValue(aRandomUser('GB'), path, 'a'.repeat(1001))))).toEqual([
        [SchemaInvalid, path],
      ]);
      expect(enrichUser(withValue(aRandomUser('GB'), path, 'a'.repeat(1000)), NOW).ok).toBe(true);
    });

    it('rejects an over-long e-mail as schema-invalid', () => {
      const email = `${'a'.repeat(1000)}@example.com`;
      expect(codesAndPaths(rejected(withValue(aRandomUser('GB'), 'email', email)))).toEqual([
        [SchemaInvalid, 'email'],
      ]);
    });

    it('rejects names and usernames that are only whitespace', () => {
      const raw = withValue(withValue(aRandomUser('GB'), 'name.first', '   '), 'login.username', ' ');
      expect(codesAndPaths(rejected(raw))).toEqual([
        [SchemaInvalid, 'name.first'],
        [SchemaInvalid, 'login.username'],
      ]);
    });

    it.each(['\u0000', 'fe\u0007male', 'male\u007f'])(
      'rejects a gender holding a control character (%j)',
      (gender) => {
        expect(codesAndPaths(rejected(withValue(aRandomUser('GB'), 'gender', gender)))).toEqual([
          [SemanticInvalid, 'gender'],
        ]);
      },
    );

    it('rejects a nationality that is not two letters', () => {
      expect(codesAndPaths(rejected(withValue(aRandomUser('GB'), 'nat', 'G1')))).toEqual([
        [SchemaInvalid, 'nat'],
      ]);
    });

    it.each([null, 'a string', 42, [], {}])('rejects a payload that is not a user object: %p', (payload) => {
      const reasons = rejected(payload);
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.every((r) => r.code === SchemaInvalid)).toBe(true);
    });

    it('reports every fault of a record at once, each with its path', () => {
      const raw = aRandomUser('GB');
      without(raw, 'name.last');
      withValue(raw, 'login.uuid', 'not-a-uuid');
      withValue(raw, 'location.postcode', true);
      withValue(raw, 'nat', 'GBR');
      withValue(raw, 'name.first', 'Oli\nvia');
      withValue(raw, 'email', 'olivia-at-example.com');
      withValue(raw, 'location.city', 'x'.repeat(1001));
      withValue(raw, 'dob.date', '2030-01-01T00:00:00.000Z');
      withValue(raw, 'registered.date', '2031-01-01T00:00:00.000Z');

      const reasons = rejected(raw);
      expect(codesAndPaths(reasons)).toEqual(
        expect.arrayContaining([
          [SchemaInvalid, 'name.last'],
          [SchemaInvalid, 'location.postcode'],
          [SchemaInvalid, 'login.uuid'],
          [SchemaInvalid, 'nat'],
          [SchemaInvalid, 'location.city'],
          [SemanticInvalid, 'name.first'],
          [SemanticInvalid, 'email'],
          [SemanticInvalid, 'dob.date'],
          [SemanticInvalid, 'registered.date'],
        ]),
      );
      expect(reasons).toHaveLength(9);
      expect(reasons.every((r) => r.message.length > 0)).toBe(true);
    });

    it('still applies the date checks when the schema has already failed elsewhere', () => {
      const raw = withValue(aRandomUser('GB'), 'login.uuid', 42);
      raw.registered.date = '2027-01-01T00:00:00.000Z';
      expect(codesAndPaths(rejected(raw))).toEqual([
        [SchemaInvalid, 'login.uuid'],
        [SemanticInvalid, 'registered.date'],
      ]);
    });
  });
});
