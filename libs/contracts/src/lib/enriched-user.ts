import { z } from 'zod';

export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+'] as const;
export const AgeBand = z.enum(AGE_BANDS);
export type AgeBand = z.infer<typeof AgeBand>;

/** Why a record scored below 1.0; each reason costs a fixed share of the score. */
export const QUALITY_REASONS = [
  'missing-postcode',
  'missing-coordinates',
  'invalid-coordinates',
  'phone-not-e164',
  'unknown-country',
  'missing-national-id',
  'missing-picture',
] as const;
export const QualityReason = z.enum(QUALITY_REASONS);
export type QualityReason = z.infer<typeof QualityReason>;

/**
 * A validated, normalised user with derived fields. `userId` is the source record's `login.uuid`:
 * the natural key every store upserts on, so the same person ingested twice is one row.
 */
export const EnrichedUser = z.object({
  userId: z.uuid(),
  username: z.string().min(1),
  title: z.string(),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  fullName: z.string().min(1),
  gender: z.string(),
  email: z.string().min(3),
  emailDomain: z.string().min(1),
  dob: z.iso.datetime({ offset: true }),
  age: z.number().int().min(0),
  ageBand: AgeBand,
  registeredAt: z.iso.datetime({ offset: true }),
  /** Month of registration, `YYYY-MM`. */
  registrationCohort: z.string().regex(/^\d{4}-\d{2}$/),
  nationality: z.string().length(2),
  /** ISO 3166-1 alpha-2, derived from the country name; null when the name is not recognised. */
  countryCode: z.string().length(2).nullable(),
  country: z.string().min(1),
  state: z.string(),
  city: z.string(),
  street: z.string(),
  /** Always a string: numeric postcodes are rendered as given, alphanumeric ones keep their letters. */
  postcode: z.string().nullable(),
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  geohash: z.string().nullable(),
  timezoneOffsetMinutes: z.number().int().min(-720).max(840).nullable(),
  timezoneDescription: z.string(),
  phone: z.string(),
  phoneE164: z.string().nullable(),
  cell: z.string(),
  cellE164: z.string().nullable(),
  nationalIdName: z.string().nullable(),
  nationalIdValue: z.string().nullable(),
  pictureUrl: z.string().nullable(),
  qualityScore: z.number().min(0).max(1),
  qualityReasons: z.array(QualityReason),
});
export type EnrichedUser = z.infer<typeof EnrichedUser>;
