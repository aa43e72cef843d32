import {
  RandomUser,
  type DeadLetterReason,
  type EnrichedUser,
  type QualityReason,
} from '@sparkflow/contracts';
import { ageBand, ageInYears, monthCohort } from '../derive/calendar';
import { parseCoordinates } from '../derive/coordinates';
import { countryCodeOf } from '../derive/country-code';
import { encodeGeohash } from '../derive/geohash';
import { toE164 } from '../derive/phone';
import { qualityScore, sortedQualityReasons } from '../derive/quality-score';
import { parseTimezoneOffset } from '../derive/timezone-offset';
import { normalisePostcode } from '../normalise/postcode';
import { normaliseEmail, normaliseName, normaliseText } from '../normalise/text';
import { recordReasons } from '../validate/record-checks';
import { schemaReasons } from '../validate/schema-reasons';

export type EnrichResult = { ok: true; user: EnrichedUser } | { ok: false; reasons: DeadLetterReason[] };

// ~150 m × 150 m cells: fine enough to group neighbours, coarse enough not to pinpoint a home.
const GEOHASH_PRECISION = 7;

/**
 * Pure: validates `payload` (unknown, straight from JSON.parse) against RandomUser, normalises, derives.
 * `now` is injected for age/tests. A rejected record carries every reason found, schema and semantic
 * together, so one dead letter explains it fully.
 */
export function enrichUser(payload: unknown, now: Date): EnrichResult {
  const parsed = RandomUser.safeParse(payload);
  const reasons = [...(parsed.success ? [] : schemaReasons(parsed.error)), ...recordReasons(payload, now)];
  if (!parsed.success || reasons.length > 0) return { ok: false, reasons };
  return { ok: true, user: toEnrichedUser(parsed.data, now) };
}

/** Only called on a record that passed every check, so the output satisfies EnrichedUser. */
function toEnrichedUser(raw: RandomUser, now: Date): EnrichedUser {
  const quality: QualityReason[] = [];
  // A top-level field the sender filtered out (randomuser's inc/exc) leaves what derives from it null,
  // and says so once in the quality reasons rather than once per derived field.
  const present = <T>(value: T | undefined, reason: QualityReason): value is T => {
    if (value === undefined) quality.push(reason);
    return value !== undefined;
  };

  const name = present(raw.name, 'missing-name') ? raw.name : null;
  const firstName = name && normaliseName(name.first);
  const lastName = name && normaliseName(name.last);
  const email = present(raw.email, 'missing-email') ? normaliseEmail(raw.email) : null;
  const username = present(raw.login.username, 'missing-username') ? normaliseText(raw.login.username) : null;
  // Gender is free text the schema lets be empty: a blank one says nothing, so it is missing, as if
  // filtered out, never a value of its own ('') that aggregations would count beside `unknown`.
  const givenGender = raw.gender === undefined ? undefined : normaliseText(raw.gender) || undefined;
  const gender = present(givenGender, 'missing-gender') ? givenGender : null;
  const dob = present(raw.dob, 'missing-dob') ? new Date(raw.dob.date) : null;
  const registeredAt = present(raw.registered, 'missing-registered') ? new Date(raw.registered.date) : null;
  const age = dob && ageInYears(dob, now);
  const nationality = present(raw.nat, 'missing-nationality') ? raw.nat.toUpperCase() : null;

  const location = present(raw.location, 'missing-location') ? raw.location : null;
  const country = location && normaliseName(location.country);
  const countryCode = country === null ? null : countryCodeOf(country);
  if (country !== null && countryCode === null) quality.push('unknown-country');

  const postcode = location && normalisePostcode(location.postcode);
  if (location && postcode === null) quality.push('missing-postcode');

  const coordinates = location
    ? parseCoordinates(location.coordinates.latitude, location.coordinates.longitude)
    : { latitude: null, longitude: null, reason: null };
  if (coordinates.reason !== null) quality.push(coordinates.reason);
  const geohash =
    coordinates.latitude !== null && coordinates.longitude !== null
      ? encodeGeohash(coordinates.latitude, coordinates.longitude, GEOHASH_PRECISION)
      : null;

  // Without a nationality there is no default country code to read a national number with.
  const phone = present(raw.phone, 'missing-phone') ? raw.phone : null;
  const cell = present(raw.cell, 'missing-cell') ? raw.cell : null;
  const phoneE164 = phone === null || nationality === null ? null : toE164(phone, nationality);
  const cellE164 = cell === null || nationality === null ? null : toE164(cell, nationality);
  if (
    nationality !== null &&
    ((phone !== null && phoneE164 === null) || (cell !== null && cellE164 === null))
  ) {
    quality.push('phone-not-e164');
  }

  const nationalIdName = (raw.id && normaliseText(raw.id.name)) || null;
  const nationalIdValue = raw.id?.value ? normaliseText(raw.id.value) || null : null;
  if (nationalIdValue === null) quality.push('missing-national-id');

  const pictureUrl = raw.picture?.medium.trim() || null;
  if (pictureUrl === null) quality.push('missing-picture');

  // login.password/salt/md5/sha1/sha256 are deliberately not read: credentials are never stored.
  return {
    userId: raw.login.uuid.toLowerCase(),
    username,
    title: name && normaliseName(name.title),
    firstName,
    lastName,
    fullName: name && `${firstName} ${lastName}`,
    gender,
    email,
    emailDomain: email && email.slice(email.indexOf('@') + 1),
    dob: dob && dob.toISOString(),
    age,
    ageBand: age === null ? null : ageBand(age),
    registeredAt: registeredAt && registeredAt.toISOString(),
    registrationCohort: registeredAt && monthCohort(registeredAt),
    nationality,
    countryCode,
    country,
    state: location && normaliseText(location.state),
    city: location && normaliseText(location.city),
    street: location && `${location.street.number} ${normaliseText(location.street.name)}`.trim(),
    postcode,
    latitude: coordinates.latitude,
    longitude: coordinates.longitude,
    geohash,
    timezoneOffsetMinutes: location && parseTimezoneOffset(location.timezone.offset),
    timezoneDescription: location && normaliseText(location.timezone.description),
    phone: phone === null ? null : normaliseText(phone),
    phoneE164,
    cell: cell === null ? null : normaliseText(cell),
    cellE164,
    nationalIdName,
    nationalIdValue,
    pictureUrl,
    qualityScore: qualityScore(quality),
    qualityReasons: sortedQualityReasons(quality),
  };
}
