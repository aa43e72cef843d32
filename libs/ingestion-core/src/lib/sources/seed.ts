import { z } from 'zod';

/**
 * A seed names a generated batch (`synthetic-<seed>-p<page>-n<count>`, `randomuser-<seed>-…`), so it
 * must be text every store and URL takes: no control characters (a NUL is refused by PostgreSQL) and no
 * lone surrogates (not UTF-8, so `GET /v1/batches/:id` could not even be asked for it).
 */
export const Seed = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cs}]+$/u, 'printable text only: no control characters (NUL, …) and no lone surrogates');
