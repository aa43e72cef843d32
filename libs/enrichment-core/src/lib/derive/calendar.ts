import type { AgeBand } from '@sparkflow/contracts';

/** Whole years from `dob` to `now`, in UTC. A 29 February birthday is reached on 1 March in common years. */
export function ageInYears(dob: Date, now: Date): number {
  const birthdayThisYear = new Date(dob.getTime());
  birthdayThisYear.setUTCFullYear(now.getUTCFullYear());
  const years = now.getUTCFullYear() - dob.getUTCFullYear();
  return now.getTime() < birthdayThisYear.getTime() ? years - 1 : years;
}

// A Record over AgeBand, so a band added to the contract does not compile until it has a lower bound here.
const LOWER_BOUND: Record<AgeBand, number> = {
  'under-18': 0,
  '18-24': 18,
  '25-34': 25,
  '35-44': 35,
  '45-54': 45,
  '55-64': 55,
  '65-74': 65,
  '75+': 75,
};
const BANDS_OLDEST_FIRST = (Object.keys(LOWER_BOUND) as AgeBand[]).sort(
  (a, b) => LOWER_BOUND[b] - LOWER_BOUND[a],
);

export function ageBand(age: number): AgeBand {
  return BANDS_OLDEST_FIRST.find((band) => age >= LOWER_BOUND[band]) ?? 'under-18';
}

/** `YYYY-MM` of the instant, in UTC, the year zero-padded (for years 0–9999; enrichment's dates are well inside). */
export function monthCohort(date: Date): string {
  return `${String(date.getUTCFullYear()).padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}
