/**
 * How far back a person's dates may go: enrichment refuses a date of birth, and a registration date, more
 * than this many calendar years before the event's time (and either one after it). Whoever makes people
 * (ingestion's backfills) reads the same bound, so what it makes is what enrichment accepts.
 */
export const MAX_AGE_YEARS = 130;

/** The oldest date of birth or registration accepted at `now`: the same instant MAX_AGE_YEARS calendar years (UTC) earlier. */
export function oldestPersonDate(now: Date): Date {
  const earlier = new Date(now.getTime());
  earlier.setUTCFullYear(now.getUTCFullYear() - MAX_AGE_YEARS);
  return earlier;
}
