import { loadTelemetryConfig } from './telemetry.config';

describe('telemetry settings', () => {
  it('reads an empty SPARKFLOW_TRACE_RATIO as its default, not as 0 (which would record nothing)', () => {
    expect(loadTelemetryConfig({}).SPARKFLOW_TRACE_RATIO).toBe(0.01);
    expect(loadTelemetryConfig({ SPARKFLOW_TRACE_RATIO: '' }).SPARKFLOW_TRACE_RATIO).toBe(0.01);
    expect(loadTelemetryConfig({ SPARKFLOW_TRACE_RATIO: '0' }).SPARKFLOW_TRACE_RATIO).toBe(0);
    expect(() => loadTelemetryConfig({ SPARKFLOW_TRACE_RATIO: '1.5' })).toThrow(/SPARKFLOW_TRACE_RATIO/);
  });

  it('refuses an OTLP endpoint without http:// or https://, where spans would be lost', () => {
    expect(() => loadTelemetryConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'localhost:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: an http:\/\/ or https:\/\/ URL/,
    );
    expect(
      loadTelemetryConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' })
        .OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    ).toBe('http://jaeger:4318/v1/traces');
  });
});
