/**
 * The batch id of one backfill day: the same request always names (and generates) the same batch. Ingestion
 * names its batches with it; the CLI and the Airflow DAG (`sparkflow_airflow.backfill.batch_id`) read a
 * day's counts from the audit under it before they ask for the day again.
 */
export const backfillBatchId = (seed: string, day: string): string => `backfill-${seed}-${day}`;
