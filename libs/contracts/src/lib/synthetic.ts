/**
 * The batch of one synthetic request (`POST /v1/synthetic`): the same seed, page and count always name, and
 * generate, the same batch. Ingestion names its batches with it; `npm start` reads the batch's account from
 * the audit under it before it asks for the batch again.
 */
export const syntheticBatchId = (seed: string, page: number, count: number): string =>
  `synthetic-${seed}-p${page}-n${count}`;
