import type { EnrichedUser } from '@sparkflow/contracts';

/** A driver value (Uuid, LocalDate, Long, Date, list, …) as plain JSON, so rows compare with toEqual. */
export function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') return String(value);
  return value;
}

/** Every column of a driver row, by name in order, as plain JSON. */
export function plainRow(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, plainValue(v)]),
  );
}

/** The envelope fields persistence stores beside the person. */
export interface StoredEvent {
  source: string;
  batchId: string;
  eventId: string;
  /** The event time; `updated_at` and `event_day` come from it (milliseconds are what a timestamp keeps). */
  producedAt: string;
  /**
   * The earliest event time of any version of the person persistence has written, whose day is
   * `first_event_day`; this event's own when not given (the person's only version).
   */
  firstProducedAt?: string;
}

/**
 * Every column of `sparkflow.users` that persistence writes for `user` from `event`, as `plainRow`
 * reads it back. `quality_reasons` (migration 0001's appendable list) is no longer written.
 */
export function expectedUsersRow(u: EnrichedUser, e: StoredEvent): Record<string, unknown> {
  const at = new Date(Date.parse(e.producedAt));
  return plainRow({
    user_id: u.userId,
    username: u.username,
    title: u.title,
    first_name: u.firstName,
    last_name: u.lastName,
    full_name: u.fullName,
    gender: u.gender,
    email: u.email,
    email_domain: u.emailDomain,
    dob: u.dob === null ? null : new Date(u.dob),
    age: u.age,
    age_band: u.ageBand,
    registered_at: u.registeredAt === null ? null : new Date(u.registeredAt),
    registration_cohort: u.registrationCohort,
    nationality: u.nationality,
    country_code: u.countryCode,
    country: u.country,
    state: u.state,
    city: u.city,
    street: u.street,
    postcode: u.postcode,
    latitude: u.latitude,
    longitude: u.longitude,
    geohash: u.geohash,
    timezone_offset_minutes: u.timezoneOffsetMinutes,
    timezone_description: u.timezoneDescription,
    phone: u.phone,
    phone_e164: u.phoneE164,
    cell: u.cell,
    cell_e164: u.cellE164,
    national_id_name: u.nationalIdName,
    national_id_value: u.nationalIdValue,
    picture_url: u.pictureUrl,
    quality_score: u.qualityScore,
    // Cassandra keeps an empty collection as no value: [] is written (and overwrites) as null.
    quality_reason_codes: u.qualityReasons.length ? u.qualityReasons : null,
    quality_reasons: null,
    source: e.source,
    batch_id: e.batchId,
    event_id: e.eventId,
    event_day: at.toISOString().slice(0, 10),
    first_event_day: (e.firstProducedAt === undefined ? at : new Date(Date.parse(e.firstProducedAt)))
      .toISOString()
      .slice(0, 10),
    updated_at: at,
  });
}
