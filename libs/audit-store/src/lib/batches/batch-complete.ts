import type { BatchCounts } from '@sparkflow/contracts';

/**
 * A batch is complete when every event it declared arrived and each one is persisted or dead-lettered
 * (a batch that declared no size is judged by what arrived). The one rule `GET /v1/batches/:id`, the
 * batch list and the CLI's `batches watch` agree on.
 */
export function isBatchComplete(c: Omit<BatchCounts, 'complete' | 'batchId' | 'source'>): boolean {
  const settled = c.persisted + c.deadLettered;
  const allArrived = c.expected === null || c.ingested >= c.expected;
  return c.ingested > 0 && allArrived && settled >= c.ingested;
}
