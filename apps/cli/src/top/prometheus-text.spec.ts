import { maxOf, parsePrometheusText, sumOf } from './prometheus-text';

const TEXT = `# HELP sparkflow_records_processed_total Records whose offsets were committed
# TYPE sparkflow_records_processed_total counter
sparkflow_records_processed_total{stage="audit",topic="users.raw",otel_scope_name="sparkflow-kafka"} 152
sparkflow_records_processed_total{stage="audit",topic="users.dlq",otel_scope_name="sparkflow-kafka"} 2
sparkflow_consumer_stalled{stage="audit",topic="users.raw",partition="1"} 0
sparkflow_consumer_stalled{stage="audit",topic="users.raw",partition="2"} 1
sparkflow_batch_duration_ms_bucket{stage="audit",le="+Inf"} +Inf
target_info{note="a \\"quoted\\" value"} 1
`;

describe('Prometheus text exposition', () => {
  const samples = parsePrometheusText(TEXT);

  it('reads names, labels (escapes included) and values, skipping comments', () => {
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      name: 'sparkflow_records_processed_total',
      labels: { stage: 'audit', topic: 'users.raw', otel_scope_name: 'sparkflow-kafka' },
      value: 152,
    });
    expect(samples[4].value).toBe(Infinity);
    expect(samples[5].labels['note']).toBe('a "quoted" value');
  });

  it('sums and maxes a metric over matching labels, null when absent', () => {
    expect(sumOf(samples, 'sparkflow_records_processed_total')).toBe(154);
    expect(sumOf(samples, 'sparkflow_records_processed_total', { topic: 'users.dlq' })).toBe(2);
    expect(maxOf(samples, 'sparkflow_consumer_stalled')).toBe(1);
    expect(sumOf(samples, 'no_such_metric')).toBeNull();
  });
});
