import { z } from 'zod';

export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+'] as const;
export const AgeBand = z.enum(AGE_BANDS);
export type AgeBand = z.infer<typeof AgeBand>;

/**
 * Why a record scored below 1.0; each reason costs a fixed share of the score. `missing-<field>` says a
 * top-level field was absent (randomuser's `inc`/`exc` filters drop them), so what derives from it is null.
 */
export const QUALITY_REASONS = [
  'missing-gender',
  'missing-name',
  'missing-location',
  'missing-email',
  'missing-username',
  'missing-dob',
  'missing-registered',
  'missing-phone',
  'missing-cell',
  'missing-nationality',
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
 * the natural key every store upserts on, so the same person ingested twice is one row. Every field
 * derived from a source field the record did not carry is null, and `qualityReasons` says which was missing.
 */
export const EnrichedUser = z.object({
  userId: z.uuid(),
  username: z.string().min(1).nullable(),
  title: z.string().nullable(),
  firstName: z.string().min(1).nullable(),
  lastName: z.string().min(1).nullable(),
  fullName: z.string().min(1).nullable(),
  gender: z.string().nullable(),
  email: z.string().min(3).nullable(),
  emailDomain: z.string().min(1).nullable(),
  dob: z.iso.datetime({ offset: true }).nullable(),
  age: z.number().int().min(0).nullable(),
  ageBand: AgeBand.nullable(),
  registeredAt: z.iso.datetime({ offset: true }).nullable(),
  /** Month of registration, `YYYY-MM`. */
  registrationCohort: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .nullable(),
  nationality: z.string().length(2).nullable(),
  /** ISO 3166-1 alpha-2, derived from the country name; null when the name is not recognised. */
  countryCode: z.string().length(2).nullable(),
  country: z.string().min(1).nullable(),
  state: z.string().nullable(),
  city: z.string().nullable(),
  street: z.string().nullable(),
  /** Always a string: numeric postcodes are rendered as given, alphanumeric ones keep their letters. */
  postcode: z.string().nullable(),
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  geohash: z.string().nullable(),
  timezoneOffsetMinutes: z.number().int().min(-720).max(840).nullable(),
  timezoneDescription: z.string().nullable(),
  phone: z.string().nullable(),
  phoneE164: z.string().nullable(),
  cell: z.string().nullable(),
  cellE164: z.string().nullable(),
  nationalIdName: z.string().nullable(),
  nationalIdValue: z.string().nullable(),
  pictureUrl: z.string().nullable(),
  qualityScore: z.number().min(0).max(1),
  qualityReasons: z.array(QualityReason),
});
export type EnrichedUser = z.infer<typeof EnrichedUser>;
