import { z } from 'zod';

/**
 * Telemetry settings. Of OpenTelemetry's standard variables, the parts SparkFlow installs read
 * OTEL_RESOURCE_ATTRIBUTES (the resource) and the OTLP exporter's own (OTEL_EXPORTER_OTLP_TRACES_HEADERS,
 * …_TIMEOUT, …); which sampler and exporters run is set here alone, so OTEL_TRACES_SAMPLER,
 * OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED are not read (SPARKFLOW_TELEMETRY=off turns it all off).
 */
const Env = z.object({
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Append finished spans as JSON lines to this file (the native stack sets one per service). */
  SPARKFLOW_TRACE_FILE: z.string().min(1).optional(),
  /** The size, in MiB, at which the trace file is moved to `<file>.1` and started afresh. */
  SPARKFLOW_TRACE_FILE_MAX_MB: z.coerce.number().int().min(1).max(1_048_576).default(100),
  /** Send spans over OTLP/HTTP (Jaeger in Compose), e.g. http://jaeger:4318/v1/traces. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .optional(),
  /** Share of traces started here (HTTP requests without a sampled parent) that are recorded. */
  SPARKFLOW_TRACE_RATIO: z.preprocess(
    // Set and empty (`SPARKFLOW_TRACE_RATIO=` in an env file) is the default, not 0, which would sample nothing.
    (v) => (v === '' ? undefined : v),
    z.coerce.number().min(0).max(1).default(0.01),
  ),
  SPARKFLOW_TELEMETRY: z.enum(['on', 'off']).default('on'),
});
export type TelemetryConfig = Readonly<z.infer<typeof Env>>;

export function loadTelemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`telemetry: invalid configuration\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
