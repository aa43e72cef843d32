import { metrics } from '@opentelemetry/api';
import type { ConsumerObserver } from './batch-consumer';

/**
 * Prometheus-facing metrics of a consumer: records processed, retried and dead-lettered, batch
 * latency, lag (messages behind the partition's high watermark after each batch), watchdog restarts
 * and retries by failure code.
 */
export function consumerMetrics(stage: string): ConsumerObserver {
  const meter = metrics.getMeter('sparkflow-kafka');
  const processed = meter.createCounter('sparkflow_records_processed', { description: 'Records whose offsets were committed' });
  const retried = meter.createCounter('sparkflow_records_retried', { description: 'Record attempts that failed and were retried' });
  const dead = meter.createCounter('sparkflow_records_dead_lettered', { description: 'Records sent to users.dlq' });
  const latency = meter.createHistogram('sparkflow_batch_duration_ms', {
    description: 'Time to settle one partition batch',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] },
  });
  const retriesByCode = meter.createCounter('sparkflow_consumer_retries', {
    description: 'Retry rounds of records or dead letters, by failure code (every one is also logged at warn)',
  });
  const restarts = meter.createCounter('sparkflow_consumer_restarts', {
    description: 'Times the watchdog replaced a stalled or crashed Kafka consumer',
  });
  const lagByPartition = new Map<string, { topic: string; partition: number; lag: number }>();
  meter
    .createObservableGauge('sparkflow_consumer_lag', { description: 'Messages behind the high watermark after the last batch' })
    .addCallback((result) => {
      for (const v of lagByPartition.values()) result.observe(v.lag, { stage, topic: v.topic, partition: v.partition });
    });
  return {
    processed: (topic, count, durationMs) => {
      processed.add(count, { stage, topic });
      latency.record(durationMs, { stage, topic });
    },
    retried: (topic, count) => retried.add(count, { stage, topic }),
    deadLettered: (topic, count) => dead.add(count, { stage, topic }),
    lag: (topic, partition, lag) => lagByPartition.set(`${topic}/${partition}`, { topic, partition, lag }),
    restarted: () => restarts.add(1, { stage }),
    retrying: (n) => retriesByCode.add(n.records, { stage, topic: n.topic, code: n.code, disposition: n.disposition }),
  };
}
