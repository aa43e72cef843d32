import { z } from 'zod';

/**
 * A user exactly as randomuser.me API 1.4 returns it, quirks included:
 * - `location.postcode` is a number for some nationalities (US, DE, FR, …) and a string for others
 *   (GB "EC1A 1BB", CA "K1A 0B1", NL "1234 AB", IE "D02 X285"); both are valid.
 * - `id.value` is null for nationalities without a national id scheme, and `id.name` may be "".
 * - coordinates and the timezone offset are strings ("-45.1234", "+5:30").
 * - dates are ISO-8601 strings.
 * The schema accepts what the API sends and nothing it never sends; cleaning up is enrichment's job.
 *
 * The API's `inc`/`exc` filters drop whole top-level fields (`?exc=registered`), so every top-level field
 * except `login` is optional, and within `login` only `uuid` is required: it is the person's natural key,
 * the one thing a person cannot be stored without. A field that is present is checked whole.
 */
const nonEmpty = z.string().min(1);
const isoDate = z.iso.datetime({ offset: true });

export const RandomUserName = z.object({ title: z.string(), first: nonEmpty, last: nonEmpty });

export const RandomUserLocation = z.object({
  street: z.object({ number: z.number().int(), name: z.string() }),
  city: z.string(),
  state: z.string(),
  country: nonEmpty,
  postcode: z.union([z.number().int(), z.string()]),
  coordinates: z.object({ latitude: z.string(), longitude: z.string() }),
  timezone: z.object({ offset: z.string(), description: z.string() }),
});

export const RandomUserLogin = z.object({
  uuid: z.uuid(),
  username: nonEmpty.optional(),
  // Credentials the API invents for demo users. Optional because pushed records rarely carry them;
  // enrichment drops them so they are never stored.
  password: z.string().optional(),
  salt: z.string().optional(),
  md5: z.string().optional(),
  sha1: z.string().optional(),
  sha256: z.string().optional(),
});

export const RandomUserDated = z.object({ date: isoDate, age: z.number().int() });

export const RandomUser = z.object({
  gender: z.string().optional(),
  name: RandomUserName.optional(),
  location: RandomUserLocation.optional(),
  email: nonEmpty.optional(),
  login: RandomUserLogin,
  dob: RandomUserDated.optional(),
  registered: RandomUserDated.optional(),
  phone: z.string().optional(),
  cell: z.string().optional(),
  id: z.object({ name: z.string(), value: z.string().nullable() }).optional(),
  picture: z.object({ large: z.string(), medium: z.string(), thumbnail: z.string() }).optional(),
  nat: z.string().length(2).optional(),
});
export type RandomUser = z.infer<typeof RandomUser>;

/** The whole response body of `GET /api/?results=N&seed=S&page=P`. */
export const RandomUserResponse = z.object({
  results: z.array(RandomUser),
  info: z.object({
    seed: z.string(),
    results: z.number().int(),
    page: z.number().int(),
    version: z.string(),
  }),
});
export type RandomUserResponse = z.infer<typeof RandomUserResponse>;

/** A user as the API sends it without `inc`/`exc`: every field present (what the synthetic generator makes). */
export type FullRandomUser = Required<RandomUser> & {
  login: RandomUser['login'] & { username: string };
};
