import { metrics } from '@opentelemetry/api';
import type { PartitionLag } from '../lag/partition-progress';
import type { ConsumerObserver } from './batch-consumer';

/**
 * Prometheus-facing metrics of a consumer: records processed, retried and dead-lettered, batch
 * latency, watchdog restarts, retries by failure code, and per partition this member owns: lag in
 * messages (after each batch and every watchdog round), the age of the oldest unread record in seconds,
 * and whether it is stalled.
 */
export function consumerMetrics(stage: string): ConsumerObserver {
  const meter = metrics.getMeter('sparkflow-kafka');
  const processed = meter.createCounter('sparkflow_records_processed', { description: 'Records whose offsets were committed' });
  const retried = meter.createCounter('sparkflow_records_retried', { description: 'Record attempts that failed and were retried' });
  const dead = meter.createCounter('sparkflow_records_dead_lettered', { description: 'Records sent to users.dlq, by failure code' });
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
  // Counters start at zero, so a rate or an increase alert sees the series before the first event.
  for (const c of [processed, retried, dead, restarts, retriesByCode]) c.add(0, { stage });
  const lagByPartition = new Map<string, { topic: string; partition: number; lag: number }>();
  meter
    .createObservableGauge('sparkflow_consumer_lag', { description: 'Messages behind the high watermark, per owned partition (after each batch and every watchdog round)' })
    .addCallback((result) => {
      for (const v of lagByPartition.values()) result.observe(v.lag, { stage, topic: v.topic, partition: v.partition });
    });
  let owned: readonly PartitionLag[] = [];
  meter
    .createObservableGauge('sparkflow_consumer_lag_seconds', {
      description: 'Age of the oldest unread record (now minus its timestamp), per owned partition',
      unit: 's',
    })
    .addCallback((result) => {
      for (const l of owned) {
        if (l.lagSeconds !== null) result.observe(l.lagSeconds, { stage, topic: l.topic, partition: l.partition });
      }
    });
  meter
    .createObservableGauge('sparkflow_consumer_stalled', {
      description: '1 while records wait behind a committed offset that has not moved for the stall time',
    })
    .addCallback((result) => {
      for (const l of owned) result.observe(l.stalled ? 1 : 0, { stage, topic: l.topic, partition: l.partition });
    });
  return {
    partitionLag: (partitions) => {
      owned = partitions;
      // The watchdog's view replaces the per-batch one: partitions this member lost disappear.
      lagByPartition.clear();
      for (const l of partitions) lagByPartition.set(`${l.topic}/${l.partition}`, { topic: l.topic, partition: l.partition, lag: l.lag });
    },
    processed: (topic, count, durationMs) => {
      processed.add(count, { stage, topic });
      latency.record(durationMs, { stage, topic });
    },
    retried: (topic, count) => retried.add(count, { stage, topic }),
    deadLettered: (topic, _count, codes) => {
      const byCode = new Map<string, number>();
      for (const code of codes) byCode.set(code, (byCode.get(code) ?? 0) + 1);
      for (const [code, n] of byCode) dead.add(n, { stage, topic, code });
    },
    lag: (topic, partition, lag) => lagByPartition.set(`${topic}/${partition}`, { topic, partition, lag }),
    restarted: () => restarts.add(1, { stage }),
    retrying: (n) => retriesByCode.add(n.records, { stage, topic: n.topic, code: n.code, disposition: n.disposition }),
  };
}
