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
 * `producedAt`, kept by every stage) to now, under the event's `source`. Persistence records it once the row
 * is written. A backfill of a past day stamps its people on that day (ADR 25), so its events read days or
 * years here: the dashboards leave `source="backfill"` out of the pipeline's latency.
 */
export function ingestToPersistedRecorder(): (ingestedAt: string, source: string, nowMs?: number) => void {
  const histogram = metrics
    .getMeter('sparkflow-service')
    .createHistogram('sparkflow_ingest_to_persisted_ms', {
      description:
        'Time from ingestion (the raw event produced) to the Cassandra write acknowledged, per event',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] },
    });
  return (ingestedAt, source, nowMs = Date.now()) => {
    const t = Date.parse(ingestedAt);
    if (Number.isFinite(t)) histogram.record(Math.max(0, nowMs - t), { source });
  };
}

/**
 * Counts the people ingestion refuses and dead-letters itself (it has no consumer whose metrics would),
 * in the consumers' `sparkflow_records_dead_lettered` series: stage `ingestion`, the topic they were
 * bound for, one count per dead letter under its failure code. Starts at zero, like the consumers' counters.
 */
export function deadLetteredAtIngestion(topic: string): (codes: readonly string[]) => void {
  const counter = metrics.getMeter('sparkflow-service').createCounter('sparkflow_records_dead_lettered', {
    description: 'Records sent to users.dlq, by failure code',
  });
  counter.add(0, { stage: 'ingestion', topic });
  return (codes) => {
    for (const code of codes) counter.add(1, { stage: 'ingestion', topic, code });
  };
}
