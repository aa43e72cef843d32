import type { EnrichedUser } from '@sparkflow/contracts';

/**
 * A valid `users.enriched` payload for `userId` (a GB person with one quality reason), for specs that
 * write users; `overrides` changes what a spec is about.
 */
export const buildEnrichedUser = (userId: string, overrides: Partial<EnrichedUser> = {}): EnrichedUser => ({
  userId,
  username: 'u',
  title: 'Ms',
  firstName: 'Olivia',
  lastName: 'Harris',
  fullName: 'Olivia Harris',
  gender: 'female',
  email: `${userId}@example.com`,
  emailDomain: 'example.com',
  dob: '1979-03-14T06:24:46.611Z',
  age: 47,
  ageBand: '45-54',
  registeredAt: '2012-08-02T22:01:53.512Z',
  registrationCohort: '2012-08',
  nationality: 'GB',
  countryCode: 'GB',
  country: 'United Kingdom',
  state: 'Merseyside',
  city: 'Sheffield',
  street: '4021 Victoria Road',
  postcode: 'EC1A 1BB',
  latitude: -51.2386,
  longitude: -126.5837,
  geohash: 'p2j3xkz',
  timezoneOffsetMinutes: 330,
  timezoneDescription: 'Bombay',
  phone: '015396 12345',
  phoneE164: null,
  cell: '07700 900461',
  cellE164: '+447700900461',
  nationalIdName: 'NINO',
  nationalIdValue: 'AB 12 34 56 C',
  pictureUrl: null,
  qualityScore: 0.9,
  qualityReasons: ['missing-picture'],
  ...overrides,
});
