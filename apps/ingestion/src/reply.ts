import type { Response } from 'express';
import type { RequestOutcome } from '@sparkflow/ingestion-core';

/** Answers a use case's outcome with the status it chose (202, or the 4xx that names what is wrong). */
export function reply<T>(res: Response, outcome: RequestOutcome<T> | { status: number; body: unknown }) {
  res.status(outcome.status);
  return outcome.body;
}
