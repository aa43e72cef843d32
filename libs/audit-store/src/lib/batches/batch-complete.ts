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

/**
 * The sources whose batch ids never gain an event once every declared one arrived: a push's batch id is
 * new per push, and a keyed push re-produced whole reuses its event ids; a synthetic batch's event ids
 * follow from its batch id and index. A pull's (`randomuser-<seed>-n<count>[-nat-<codes>]`) and a
 * backfill's (`backfill-<seed>-<day>`) batch ids are reused by another such request, under new event
 * ids, so those are never marked (ADR 18). A source not named here is never marked.
 */
const SOURCES_WITH_CLOSED_BATCHES: ReadonlySet<string> = new Set(['http-push', 'synthetic']);

/**
 * Whether a batch may be recorded complete, for good: it is complete, it declared its size (one without
 * a declared size is judged by what arrived, and can gain events later), and its source never adds an
 * event to a batch id it produced whole.
 */
export function isBatchMarkable(
  b: Omit<BatchCounts, 'complete' | 'batchId' | 'source'> & { source: string | null },
): boolean {
  return (
    b.expected !== null &&
    b.source !== null &&
    SOURCES_WITH_CLOSED_BATCHES.has(b.source) &&
    isBatchComplete(b)
  );
}
