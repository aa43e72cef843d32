import type { Response } from 'express';
import type { RequestOutcome } from '@sparkflow/ingestion-core';

/**
 * Answers a use case's outcome with the status it chose (202, or the 4xx that names what is wrong) and
 * the headers it asks for (Retry-After of a 503).
 */
export function reply<T>(
  res: Response,
  outcome: RequestOutcome<T> | { status: number; body: unknown; headers?: Record<string, string> },
) {
  res.status(outcome.status);
  if ('headers' in outcome && outcome.headers) res.set(outcome.headers);
  return outcome.body;
}
