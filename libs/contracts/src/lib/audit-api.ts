import { z } from 'zod';

/**
 * The audit's answer to `GET /v1/batches/:batchId`: what became of a batch's events. The audit produces
 * it; the CLI, `npm start`, Airflow's sensor and the tests read it.
 */
export interface BatchCounts {
  batchId: string;
  source: string | null;
  /** The size the batch declared when it was ingested, if it declared one. */
  expected: number | null;
  ingested: number;
  enriched: number;
  deadLettered: number;
  persisted: number;
  /** Every declared event arrived, and each is persisted or dead-lettered. */
  complete: boolean;
}

export interface BatchTiming {
  firstIngestedAt: string | null;
  lastPersistedAt: string | null;
  /** Persisted events per second, from the first ingest to the last persisted acknowledgement. */
  throughputPerSec: number | null;
  /** Ingest (raw event produced) → persisted (acknowledgement produced), per event. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export interface BatchReport extends BatchCounts {
  timing: BatchTiming;
  /** One user of the batch that reached Cassandra, to show where to look. */
  sampleUserId: string | null;
}

/** `GET /v1/batches?since=&incomplete=&limit=`: the batches the audit registered since a time, newest first. */
export const BatchListQuery = z.object({
  /** ISO date-time; default 24 hours before the request. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** `true`: only batches that are not complete yet. */
  incomplete: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type BatchListQuery = z.infer<typeof BatchListQuery>;

export interface BatchSummary extends BatchCounts {
  /** When the audit registered the batch (its first raw record). */
  createdAt: string;
}

export interface BatchList {
  since: string;
  incompleteOnly: boolean;
  batches: BatchSummary[];
  /** More batches matched than `limit`; ask again with a later `since`. */
  truncated: boolean;
}
