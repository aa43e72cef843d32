import type { Client } from 'cassandra-driver';
import { types } from 'cassandra-driver';
import { eventTimeMicros, firstEventDayTimestamp, type EnrichedUser } from '@sparkflow/contracts';
import { findUserRow } from '@sparkflow/cassandra';

const UPSERT_USER = `INSERT INTO users (user_id, username, title, first_name, last_name, full_name, gender, email,
  email_domain, dob, age, age_band, registered_at, registration_cohort, nationality, country_code, country, state,
  city, street, postcode, latitude, longitude, geohash, timezone_offset_minutes, timezone_description, phone,
  phone_e164, cell, cell_e164, national_id_name, national_id_value, picture_url, quality_score, quality_reason_codes,
  source, batch_id, event_id, event_day, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  USING TIMESTAMP ?`;
// The person's earliest event day: a timestamp that falls as the event time rises keeps the earliest
// version's cell whatever order versions arrive in (libs/contracts' firstEventDayTimestamp, migration 0005).
// It is a cell of the users row, so the batch merges it into that row's mutation.
const SET_FIRST_EVENT_DAY = 'UPDATE users USING TIMESTAMP ? SET first_event_day = ? WHERE user_id = ?';
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

const BATCH_OPTIONS = { prepare: true, logged: false };

/** Bytes counted for each cell beyond its value (timestamp, flags, column id), rounded up. */
const CELL_OVERHEAD_BYTES = 16;
/** Cells written per user: 41 in users (first_event_day among them), 9 in users_by_country_day. */
const CELLS_PER_USER = 50;

function textBytes(value: string | null): number {
  return value === null ? 0 : Buffer.byteLength(value, 'utf8');
}

/**
 * An upper estimate of what one user adds to a batch as Cassandra measures it against
 * `batch_size_warn_threshold` / `batch_size_fail_threshold` (the data size of the mutations: values
 * plus per-cell overhead). Text values are counted in UTF-8, those the second table repeats twice,
 * every other value as 8 bytes plus overhead.
 */
export function estimatedWriteBytes(w: UserWrite): number {
  const u = w.user;
  const repeated =
    textBytes(u.userId) +
    textBytes(u.countryCode) +
    textBytes(u.fullName) +
    textBytes(u.gender) +
    textBytes(u.ageBand) +
    textBytes(u.emailDomain);
  let text = repeated * 2 + textBytes(w.source) + textBytes(w.batchId) + textBytes(w.eventId);
  for (const v of [
    u.username,
    u.title,
    u.firstName,
    u.lastName,
    u.email,
    u.registrationCohort,
    u.nationality,
    u.country,
    u.state,
    u.city,
    u.street,
    u.postcode,
    u.geohash,
    u.timezoneDescription,
    u.phone,
    u.phoneE164,
    u.cell,
    u.cellE164,
    u.nationalIdName,
    u.nationalIdValue,
    u.pictureUrl,
    ...u.qualityReasons,
  ]) {
    text += textBytes(v);
  }
  return text + CELLS_PER_USER * (8 + CELL_OVERHEAD_BYTES);
}

/**
 * The UTC calendar day of an instant, as a CQL date: the day `event_day`, `users_by_country_day` and
 * `first_event_day` file an event under, the day the daily aggregation counts. The driver's
 * `LocalDate.fromDate` takes the host's local day, which on a host not set to UTC moves the events of some
 * hours to the day before or after.
 */
export function utcDay(instant: Date): types.LocalDate {
  return new types.LocalDate(instant.getUTCFullYear(), instant.getUTCMonth() + 1, instant.getUTCDate());
}

/** Statements persistence writes per user, one UNLOGGED batch holding them all (`userStatements`). */
export const STATEMENTS_PER_USER = 3;

export interface UserWriteStatement {
  query: string;
  params: unknown[];
}

/** One user's statements, by what each writes (`bench/src/schema-options.ts` composes other schemas from them). */
export interface UserStatements {
  users: UserWriteStatement;
  byCountryDay: UserWriteStatement;
  firstEventDay: UserWriteStatement;
}

/**
 * The statements of one user: the two upserts, each with the event time as its write timestamp, and the
 * earliest event day, with a timestamp that falls as the event time rises.
 */
export function userWriteStatements(w: UserWrite): UserStatements {
  const u = w.user;
  const eventMicros = eventTimeMicros(w.producedAt);
  const micros = types.Long.fromString(String(eventMicros));
  const eventTime = new Date(Number(eventMicros / 1000n));
  const day = utcDay(eventTime);
  // Look-up by e-mail is the users table's own index, so there is no third table to keep in step.
  return {
    users: {
      query: UPSERT_USER,
      params: [
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
    },
    byCountryDay: {
      query: UPSERT_BY_COUNTRY_DAY,
      params: [
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
    },
    firstEventDay: {
      query: SET_FIRST_EVENT_DAY,
      params: [types.Long.fromString(String(firstEventDayTimestamp(eventMicros))), day, u.userId],
    },
  };
}

function userStatements(w: UserWrite): UserWriteStatement[] {
  const s = userWriteStatements(w);
  return [s.users, s.byCountryDay, s.firstEventDay];
}

/**
 * Every write is an upsert keyed by the user id (login.uuid) with the event's own time as the cell
 * timestamp and nothing taken from the clock: redelivery, replay and reordering all converge to the
 * newest event's values, whole. Collections are frozen (one cell), so a rewrite replaces, never appends.
 */
export class UsersRepository {
  constructor(private readonly client: Client) {}

  /**
   * One user's statements (users, users_by_country_day, the earliest event day) in one UNLOGGED batch, so
   * Cassandra validates all before it applies any: a version it refuses (an e-mail over the index's term limit refuses
   * only the users statement) leaves no cell in either table, and the person's previous version stays
   * whole. Two statements sent in parallel left the users_by_country_day row of a dead-lettered version,
   * which the daily aggregates counted. Not logged: the batchlog doubled the write cost, and a write that
   * times out half-applied is retried whole (each statement carries the event's own time, so a retry
   * rewrites the same cells).
   */
  async upsert(w: UserWrite): Promise<void> {
    await this.client.batch(userStatements(w), BATCH_OPTIONS);
  }

  /**
   * Several users' upserts in one UNLOGGED batch: one request, each statement stamped with its own event
   * time. Not atomic once applied (no batchlog), but validated whole: a refusal fails every record of the
   * batch, and the caller writes them one by one to learn which. The caller keeps a batch under
   * Cassandra's `batch_size_fail_threshold` (see `estimatedWriteBytes`).
   */
  async upsertMany(writes: readonly UserWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.client.batch(
      writes.flatMap((w) => userStatements(w)),
      BATCH_OPTIONS,
    );
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
