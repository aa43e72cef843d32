import type { Client } from 'cassandra-driver';
import { types } from 'cassandra-driver';
import { eventTimeMicros, type EnrichedUser } from '@sparkflow/contracts';
import { findUserRow } from '@sparkflow/cassandra';

const UPSERT_USER = `INSERT INTO users (user_id, username, title, first_name, last_name, full_name, gender, email,
  email_domain, dob, age, age_band, registered_at, registration_cohort, nationality, country_code, country, state,
  city, street, postcode, latitude, longitude, geohash, timezone_offset_minutes, timezone_description, phone,
  phone_e164, cell, cell_e164, national_id_name, national_id_value, picture_url, quality_score, quality_reason_codes,
  source, batch_id, event_id, event_day, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  USING TIMESTAMP ?`;
const UPSERT_BY_COUNTRY_DAY = `INSERT INTO users_by_country_day (country_code, event_day, user_id, full_name, gender,
  age_band, email_domain, quality_score, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
const COUNT_BY_IDS = 'SELECT user_id FROM users WHERE user_id IN ?';
// Answered by the Storage-Attached Index users_email_sai (migration 0003), which follows each row's
// current e-mail: an address a person no longer has finds nobody.
const SELECT_BY_EMAIL = 'SELECT user_id, full_name, email, updated_at FROM users WHERE email = ?';

export interface UserWrite {
  user: EnrichedUser;
  source: string;
  batchId: string;
  eventId: string;
  /**
   * The envelope's `producedAt`, the event time, in microseconds (ingestion stamps every event of a
   * person distinctly). It is the write timestamp of every cell and `updated_at`, so an older event
   * never overwrites a newer one and a redelivery or replay rewrites identical cells.
   */
  producedAt: string;
}

/** Country partition for users whose country was not recognised. */
export const UNKNOWN_COUNTRY = 'ZZ';

/**
 * Every write is an upsert keyed by the user id (login.uuid) with the event's own time as the cell
 * timestamp and nothing taken from the clock: redelivery, replay and reordering all converge to the
 * newest event's values, whole. Collections are frozen (one cell), so a rewrite replaces, never appends.
 */
export class UsersRepository {
  constructor(private readonly client: Client) {}

  async upsert(w: UserWrite): Promise<void> {
    const u = w.user;
    const eventMicros = eventTimeMicros(w.producedAt);
    const micros = types.Long.fromString(String(eventMicros));
    const eventTime = new Date(Number(eventMicros / 1000n));
    const day = types.LocalDate.fromDate(eventTime);
    // Two idempotent upserts in parallel rather than a logged batch: the batchlog doubled the write
    // cost, and a partial failure is harmless because the record is retried (or dead-lettered) whole.
    // Look-up by e-mail is the users table's own index, so there is no third table to keep in step.
    const options = { prepare: true };
    await Promise.all([
      this.client.execute(
        UPSERT_USER,
        [
          u.userId,
          u.username,
          u.title,
          u.firstName,
          u.lastName,
          u.fullName,
          u.gender,
          u.email,
          u.emailDomain,
          u.dob === null ? null : new Date(u.dob),
          u.age,
          u.ageBand,
          u.registeredAt === null ? null : new Date(u.registeredAt),
          u.registrationCohort,
          u.nationality,
          u.countryCode,
          u.country,
          u.state,
          u.city,
          u.street,
          u.postcode,
          u.latitude,
          u.longitude,
          u.geohash,
          u.timezoneOffsetMinutes,
          u.timezoneDescription,
          u.phone,
          u.phoneE164,
          u.cell,
          u.cellE164,
          u.nationalIdName,
          u.nationalIdValue,
          u.pictureUrl,
          u.qualityScore,
          u.qualityReasons,
          w.source,
          w.batchId,
          w.eventId,
          day,
          eventTime,
          micros,
        ],
        options,
      ),
      this.client.execute(
        UPSERT_BY_COUNTRY_DAY,
        [
          u.countryCode ?? UNKNOWN_COUNTRY,
          day,
          u.userId,
          u.fullName,
          u.gender,
          u.ageBand,
          u.emailDomain,
          u.qualityScore,
          eventTime,
          micros,
        ],
        options,
      ),
    ]);
  }

  findById(userId: string): Promise<Record<string, unknown> | null> {
    return findUserRow(this.client, userId);
  }

  /** The people whose current e-mail is `email` (two people may share an address). */
  async findByEmail(email: string): Promise<Record<string, unknown>[]> {
    const rs = await this.client.execute(SELECT_BY_EMAIL, [email], { prepare: true });
    return rs.rows.map((r) => ({ ...r }) as Record<string, unknown>);
  }

  /** Which of these ids have a row (at most a few hundred ids per call). */
  async existing(userIds: string[]): Promise<Set<string>> {
    const rs = await this.client.execute(COUNT_BY_IDS, [userIds], { prepare: true });
    return new Set(rs.rows.map((r) => String(r['user_id'])));
  }
}
