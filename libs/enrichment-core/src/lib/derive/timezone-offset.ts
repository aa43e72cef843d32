const OFFSET = /^([+-])?(\d{1,2}):(\d{2})$/;
// Real UTC offsets run from −12:00 to +14:00.
const MIN_MINUTES = -12 * 60;
const MAX_MINUTES = 14 * 60;

/** randomuser writes offsets as "+5:30", "-3:30", "0:00"; anything else, or out of range, is null. */
export function parseTimezoneOffset(offset: string): number | null {
  const match = OFFSET.exec(offset.trim());
  if (!match) return null;
  const [, sign, hours, minutes] = match;
  if (Number(minutes) >= 60) return null;
  const magnitude = Number(hours) * 60 + Number(minutes);
  // `|| 0` turns "-0:00" into 0 rather than -0.
  const total = (sign === '-' ? -magnitude : magnitude) || 0;
  return total < MIN_MINUTES || total > MAX_MINUTES ? null : total;
}
