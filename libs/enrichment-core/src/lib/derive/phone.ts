import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * E.164 form of a number written the national way, reading it in the user's nationality; null when it is
 * not a valid number there. Numbers written with a leading "+" parse whatever the nationality.
 */
export function toE164(phone: string, nationality: string): string | null {
  const country = isSupportedCountry(nationality) ? nationality : undefined;
  const parsed = parsePhoneNumberFromString(phone, country);
  return parsed?.isValid() ? parsed.number : null;
}
