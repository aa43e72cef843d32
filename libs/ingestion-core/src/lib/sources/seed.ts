import { z } from 'zod';

/**
 * A seed names a generated batch (`synthetic-<seed>-p<page>-n<count>`, `randomuser-<seed>-…`), so it
 * must be text every store and URL takes: no control characters (a NUL is refused by PostgreSQL) and no
 * lone surrogates (not UTF-8, so `GET /v1/batches/:id` could not even be asked for it). Its 100 characters
 * are code points (zod's count); the batch id it names is counted in UTF-16 code units (`batchIdProblem`),
 * where an emoji counts 2, and each request that names a batch checks that id too (`batchIdFieldProblem`).
 */
export const Seed = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cs}]+$/u, 'printable text only: no control characters (NUL, …) and no lone surrogates');

/** Whether `seed` is a seed `Seed` takes (a request's other checks speak only of a seed that is). */
export const validSeed = (seed: unknown): seed is string => Seed.safeParse(seed).success;
