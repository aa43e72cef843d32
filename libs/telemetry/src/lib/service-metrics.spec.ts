import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { ingestToPersistedRecorder, registerProcessStart } from './service-metrics';

describe('service metrics', () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  beforeAll(() => metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] })));
  afterAll(() => metrics.disable());

  it('exposes the process start time and the ingest → persisted latency of each event written', async () => {
    registerProcessStart(Date.parse('2026-11-30T10:00:00Z'));
    const record = ingestToPersistedRecorder();
    record('2026-11-30T10:00:00.000Z', 'http-push', Date.parse('2026-11-30T10:00:00.300Z'));
    record('2026-11-01T23:59:59.999Z', 'backfill', Date.parse('2026-11-30T10:00:00.300Z'));
    record('not a time', 'http-push');
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const start = all.find((m) => m.descriptor.name === 'sparkflow_process_start_time_seconds');
    expect(start?.dataPoints[0].value).toBe(Date.parse('2026-11-30T10:00:00Z') / 1000);
    const latency = all.find((m) => m.descriptor.name === 'sparkflow_ingest_to_persisted_ms');
    // Under each event's source, so a backfill of a past day does not read as the pipeline's latency.
    const bySource = Object.fromEntries(
      (latency?.dataPoints ?? []).map((p) => [
        p.attributes['source'],
        p.value as { count: number; sum: number },
      ]),
    );
    expect(bySource['http-push']).toMatchObject({ count: 1, sum: 300 });
    expect(bySource['backfill']).toMatchObject({
      count: 1,
      sum: Date.parse('2026-11-30T10:00:00.300Z') - Date.parse('2026-11-01T23:59:59.999Z'),
    });
  });
});
