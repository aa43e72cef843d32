import { metrics } from '@opentelemetry/api';

/**
 * When this process started, in seconds since the epoch. A service that keeps restarting (a crash loop
 * under Compose's `restart:` or Kubernetes) shows as this gauge changing: `changes(…[15m])`.
 */
export function registerProcessStart(startedAtMs = Date.now() - process.uptime() * 1000): void {
  metrics
    .getMeter('sparkflow-service')
    .createObservableGauge('sparkflow_process_start_time_seconds', {
      description: 'Start time of the service process since the Unix epoch',
      unit: 's',
    })
    .addCallback((result) => result.observe(Math.floor(startedAtMs / 1000)));
}

/**
 * Records the end-to-end latency of each event the service settles: from its ingestion (the envelope's
 * `producedAt`, kept by every stage) to now. Persistence records it once the row is written.
 */
export function ingestToPersistedRecorder(): (ingestedAt: string, nowMs?: number) => void {
  const histogram = metrics.getMeter('sparkflow-service').createHistogram('sparkflow_ingest_to_persisted_ms', {
    description: 'Time from ingestion (the raw event produced) to the Cassandra write acknowledged, per event',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] },
  });
  return (ingestedAt, nowMs = Date.now()) => {
    const t = Date.parse(ingestedAt);
    if (Number.isFinite(t)) histogram.record(Math.max(0, nowMs - t));
  };
}
