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

  const firstName = normaliseName(raw.name.first);
  const lastName = normaliseName(raw.name.last);
  const email = normaliseEmail(raw.email);
  const dob = new Date(raw.dob.date);
  const registeredAt = new Date(raw.registered.date);
  const age = ageInYears(dob, now);
  const nationality = raw.nat.toUpperCase();

  const country = normaliseName(raw.location.country);
  const countryCode = countryCodeOf(country);
  if (countryCode === null) quality.push('unknown-country');

  const postcode = normalisePostcode(raw.location.postcode);
  if (postcode === null) quality.push('missing-postcode');

  const coordinates = parseCoordinates(raw.location.coordinates.latitude, raw.location.coordinates.longitude);
  if (coordinates.reason !== null) quality.push(coordinates.reason);
  const geohash =
    coordinates.reason === null
      ? encodeGeohash(coordinates.latitude, coordinates.longitude, GEOHASH_PRECISION)
      : null;

  const phoneE164 = toE164(raw.phone, nationality);
  const cellE164 = toE164(raw.cell, nationality);
  if (phoneE164 === null || cellE164 === null) quality.push('phone-not-e164');

  const nationalIdName = normaliseText(raw.id.name) || null;
  const nationalIdValue = raw.id.value === null ? null : normaliseText(raw.id.value) || null;
  if (nationalIdValue === null) quality.push('missing-national-id');

  const pictureUrl = raw.picture.medium.trim() || null;
  if (pictureUrl === null) quality.push('missing-picture');

  // login.password/salt/md5/sha1/sha256 are deliberately not read: credentials are never stored.
  return {
    userId: raw.login.uuid.toLowerCase(),
    username: normaliseText(raw.login.username),
    title: normaliseName(raw.name.title),
    firstName,
    lastName,
    fullName: `${firstName} ${lastName}`,
    gender: normaliseText(raw.gender),
    email,
    emailDomain: email.slice(email.indexOf('@') + 1),
    dob: dob.toISOString(),
    age,
    ageBand: ageBand(age),
    registeredAt: registeredAt.toISOString(),
    registrationCohort: monthCohort(registeredAt),
    nationality,
    countryCode,
    country,
    state: normaliseText(raw.location.state),
    city: normaliseText(raw.location.city),
    street: `${raw.location.street.number} ${normaliseText(raw.location.street.name)}`.trim(),
    postcode,
    latitude: coordinates.latitude,
    longitude: coordinates.longitude,
    geohash,
    timezoneOffsetMinutes: parseTimezoneOffset(raw.location.timezone.offset),
    timezoneDescription: normaliseText(raw.location.timezone.description),
    phone: normaliseText(raw.phone),
    phoneE164,
    cell: normaliseText(raw.cell),
    cellE164,
    nationalIdName,
    nationalIdValue,
    pictureUrl,
    qualityScore: qualityScore(quality),
    qualityReasons: sortedQualityReasons(quality),
  };
}
