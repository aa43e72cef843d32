import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { FileSpanExporter } from './file-span-exporter';
import { installOpenTelemetry, type InstalledOpenTelemetry } from './open-telemetry';
import { registerProcessStart } from './service-metrics';
import { EXIT_INVALID_CONFIGURATION } from '@sparkflow/contracts';
import { loadTelemetryConfig, type TelemetryConfig } from './telemetry.config';

let sdk: InstalledOpenTelemetry | undefined;
let prometheus: PrometheusExporter | undefined;

/** The exporter behind a service's `/metrics` endpoint (undefined when telemetry is off). */
export function prometheusExporter(): PrometheusExporter | undefined {
  return prometheus;
}

/**
 * Starts the OpenTelemetry SDK for a service. Sampling is parent-based: a sampled `traceparent`
 * arriving over HTTP or in Kafka headers is always followed, so one sampled request is traced through
 * all four services; new traces are sampled at SPARKFLOW_TRACE_RATIO.
 */
export function startTelemetry(service: string): void {
  if (sdk) return;
  let cfg: TelemetryConfig;
  try {
    cfg = loadTelemetryConfig();
  } catch (err) {
    // Loaded before the service's module: a bad setting here stops it as the service's own would.
    console.error((err as Error).message);
    process.exit(EXIT_INVALID_CONFIGURATION);
  }
  if (cfg.SPARKFLOW_TELEMETRY === 'off') return;
  const name = cfg.OTEL_SERVICE_NAME ?? service;
  const processors: SpanProcessor[] = [];
  if (cfg.SPARKFLOW_TRACE_FILE)
    processors.push(
      new BatchSpanProcessor({
        exporter: new FileSpanExporter(
          cfg.SPARKFLOW_TRACE_FILE,
          name,
          cfg.SPARKFLOW_TRACE_FILE_MAX_MB * 2 ** 20,
        ),
      }),
    );
  if (cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    // Loaded only when configured: 1.7 MB of heap that a service exporting to a file does not need.
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    processors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT }),
      }),
    );
  }
  // Served by the service's own HTTP server on /metrics rather than a second port.
  prometheus = new PrometheusExporter({ preventServerStart: true });
  sdk = installOpenTelemetry({
    serviceName: name,
    metricReaders: [prometheus],
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.SPARKFLOW_TRACE_RATIO) }),
    spanProcessors: processors,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url?.startsWith('/health') ?? false,
      }),
    ],
  });
  registerProcessStart();
}

/** Flushes spans still buffered; called on shutdown. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
  prometheus = undefined;
}
