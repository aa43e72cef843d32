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
