import {
  MAX_AGE_YEARS,
  RandomUserDated,
  SparkflowErrorCode,
  oldestPersonDate,
  type DeadLetterReason,
} from '@sparkflow/contracts';
import { hasControlCharacter, hasUnpairedSurrogate, normaliseEmail } from '../normalise/text';
import { stringsReader } from './payload-path';

export const MAX_TEXT_LENGTH = 1000;
// MAX_AGE_YEARS (libs/contracts) bounds a date of birth, and a registration date with or without a date of
// birth beside it, since nobody registers before being born. It keeps every date enrichment writes
// (registeredAt, registrationCohort) in four-digit years, as EnrichedUser needs, and backfills make no
// person it would refuse.

// Free text a sender controls; capped so one record cannot bloat every store and index downstream.
const LENGTH_CAPPED_PATHS = [
  'name.title',
  'name.first',
  'name.last',
  'email',
  'location.street.name',
  'location.city',
  'location.state',
  'location.country',
  'location.postcode',
  'location.coordinates.latitude',
  'location.coordinates.longitude',
  'location.timezone.offset',
  'location.timezone.description',
] as const;

// The contract only says min(1); "   " passes it but is empty once trimmed, and EnrichedUser needs these non-empty.
const NON_BLANK_PATHS = ['name.first', 'name.last', 'email', 'login.username', 'location.country'] as const;

// Gender is free text that the daily aggregation writes to PostgreSQL as a value, and PostgreSQL's text holds no NUL.
const CONTROL_CHECKED_PATHS = ['name.title', 'name.first', 'name.last', 'email', 'gender'] as const;

// Every string the checks read, each read once per record (several checks look at the same field).
const readStrings = stringsReader([
  ...LENGTH_CAPPED_PATHS,
  ...NON_BLANK_PATHS,
  ...CONTROL_CHECKED_PATHS,
  'nat',
  'dob.date',
  'registered.date',
]);

// Exactly one "@", a non-empty local part, and a domain of at least two non-empty dot-separated labels.
const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;

const schemaInvalid = (path: string, message: string): DeadLetterReason => ({
  code: SparkflowErrorCode.SchemaInvalid,
  message,
  path,
});
const semanticInvalid = (path: string, message: string): DeadLetterReason => ({
  code: SparkflowErrorCode.SemanticInvalid,
  message,
  path,
});

/** A date the contract accepts, or undefined (the schema reasons already report a malformed one). */
function dateOf(value: string | undefined): Date | undefined {
  return value !== undefined && RandomUserDated.shape.date.safeParse(value).success
    ? new Date(value)
    : undefined;
}

/** Reasons for ill-formed text reported at most, so a payload of many such strings stays one bounded letter. */
const MAX_ILL_FORMED_PATHS = 10;
/** How deep the walk looks: the contract's deepest string (location.street.name) is at 3; nothing deeper is stored. */
const MAX_TEXT_DEPTH = 6;

/**
 * The paths of the payload's strings that are not well-formed UTF-16 (a `\ud800` escape in the JSON): UTF-8
 * cannot encode them, so Cassandra and PostgreSQL would store U+FFFD in their place.
 */
function illFormedTextPaths(payload: unknown): string[] {
  const found: string[] = [];
  // A hostile record may nest far deeper than any stack: the walk stops at the contract's depth.
  const walk = (value: unknown, path: string, depth: number): void => {
    if (found.length >= MAX_ILL_FORMED_PATHS) return;
    if (typeof value === 'string') {
      if (hasUnpairedSurrogate(value)) found.push(path);
    } else if (value !== null && typeof value === 'object' && depth < MAX_TEXT_DEPTH) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  walk(payload, '', 0);
  return found;
}

/**
 * Checks the schema cannot express: lengths, blanks, control characters, unpaired surrogates, e-mail shape, and dates against
 * each other and `now` (neither in the future nor more than MAX_AGE_YEARS before it). Runs on the raw payload so a record with schema faults still gets these reported.
 */
export function recordReasons(payload: unknown, now: Date): DeadLetterReason[] {
  const reasons: DeadLetterReason[] = [];
  const stringAt = readStrings(payload);

  for (const path of LENGTH_CAPPED_PATHS) {
    const value = stringAt(path);
    if (value !== undefined && value.length > MAX_TEXT_LENGTH) {
      reasons.push(schemaInvalid(path, `Longer than ${MAX_TEXT_LENGTH} characters (${value.length})`));
    }
  }

  for (const path of NON_BLANK_PATHS) {
    const value = stringAt(path);
    // An empty string is already a schema issue (min 1); only whitespace-only values are new here.
    if (value !== undefined && value.length > 0 && value.trim() === '') {
      reasons.push(schemaInvalid(path, 'Blank: only whitespace'));
    }
  }

  const nat = stringAt('nat');
  if (nat !== undefined && nat.length === 2 && !/^[A-Za-z]{2}$/.test(nat)) {
    reasons.push(schemaInvalid('nat', 'Nationality must be two letters'));
  }

  for (const path of CONTROL_CHECKED_PATHS) {
    const value = stringAt(path);
    if (value !== undefined && hasControlCharacter(value)) {
      reasons.push(semanticInvalid(path, 'Contains a control character (U+0000–U+001F or U+007F)'));
    }
  }

  for (const path of illFormedTextPaths(payload)) {
    reasons.push(
      semanticInvalid(
        path,
        'Holds an unpaired UTF-16 surrogate (U+D800–U+DFFF alone), which no store keeps as sent',
      ),
    );
  }

  const email = stringAt('email');
  if (email !== undefined && email.trim() !== '' && !EMAIL.test(normaliseEmail(email))) {
    reasons.push(
      semanticInvalid('email', 'Not an e-mail address: needs exactly one "@" and a dotted domain'),
    );
  }

  const dob = dateOf(stringAt('dob.date'));
  const registered = dateOf(stringAt('registered.date'));
  const oldest = oldestPersonDate(now).getTime();
  if (dob !== undefined && dob.getTime() > now.getTime()) {
    reasons.push(semanticInvalid('dob.date', `Date of birth is in the future (after ${now.toISOString()})`));
  }
  if (dob !== undefined && dob.getTime() < oldest) {
    reasons.push(semanticInvalid('dob.date', `Date of birth is more than ${MAX_AGE_YEARS} years ago`));
  }
  if (registered !== undefined && registered.getTime() > now.getTime()) {
    reasons.push(
      semanticInvalid('registered.date', `Registration date is in the future (after ${now.toISOString()})`),
    );
  }
  // Checked whether or not a date of birth is given: without one, nothing else bounds it from below.
  if (registered !== undefined && registered.getTime() < oldest) {
    reasons.push(
      semanticInvalid(
        'registered.date',
        `Registration date is more than ${MAX_AGE_YEARS} years ago, before the oldest date of birth accepted`,
      ),
    );
  } else if (dob !== undefined && registered !== undefined && registered.getTime() < dob.getTime()) {
    reasons.push(semanticInvalid('registered.date', 'Registered before the date of birth'));
  }

  return reasons;
}
