import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import { TracerProvider, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface OpenTelemetryOptions {
  /** `service.name`; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it, as in every OpenTelemetry SDK. */
  serviceName?: string;
  /** The SDK's default (parent-based, every new trace sampled) when not given. */
  sampler?: Sampler;
  /** Without any, no tracer is registered and every span is a no-op. */
  spanProcessors: SpanProcessor[];
  metricReaders?: MetricReader[];
  instrumentations?: Instrumentation[];
}

export interface InstalledOpenTelemetry {
  /** Flushes what the processors and readers hold, then unregisters everything `install` registered. */
  shutdown(): Promise<void>;
}

/**
 * Registers what SparkFlow's services trace and measure with: the AsyncLocalStorage context manager, the
 * W3C trace-context and baggage propagator, a tracer provider with the given sampler and processors, and a
 * meter provider when there are metric readers. The specs install the same, with spans kept in memory.
 *
 * This is what `@opentelemetry/sdk-node`'s NodeSDK registered for SparkFlow, without the rest of that
 * package: it loads every exporter it can build from the environment (OTLP over gRPC, protobuf and JSON
 * for traces, metrics and logs, Zipkin, B3), 7.3 MB of heap in each service that SparkFlow never used,
 * and with no OTEL_LOGS_EXPORTER it started a log exporter to an OTLP endpoint nobody runs.
 */
export function installOpenTelemetry(o: OpenTelemetryOptions): InstalledOpenTelemetry {
  registerInstrumentations({ instrumentations: o.instrumentations ?? [] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const resource = resourceFromAttributes(o.serviceName ? { 'service.name': o.serviceName } : {}).merge(
    detectResources({
      // The environment last, so OTEL_RESOURCE_ATTRIBUTES (service.instance.id) wins.
      detectors: [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector],
    }),
  );
  const meterProvider = o.metricReaders?.length
    ? new MeterProvider({ resource, readers: o.metricReaders })
    : undefined;
  if (meterProvider) {
    metrics.setGlobalMeterProvider(meterProvider);
    for (const instrumentation of o.instrumentations ?? []) instrumentation.setMeterProvider(meterProvider);
  }
  const tracerProvider = o.spanProcessors.length
    ? new TracerProvider({
        resource,
        spanProcessors: o.spanProcessors,
        ...(o.sampler && { sampler: o.sampler }),
      })
    : undefined;
  if (tracerProvider) trace.setGlobalTracerProvider(tracerProvider);
  return {
    async shutdown() {
      await Promise.all([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
      for (const instrumentation of o.instrumentations ?? []) instrumentation.disable();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
