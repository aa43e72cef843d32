import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';

const tracer = () => trace.getTracer('sparkflow');

/** The trace context carried by a record's headers (W3C `traceparent`), or the root context. */
export function contextFromHeaders(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** W3C trace headers for a context, to put on the records produced on its behalf. */
export function headersFromContext(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** version-traceId-parentId-flags: version not ff, neither id all zeros (W3C Trace Context, `traceparent`). */
const TRACEPARENT =
  /^\s?((?!ff)[0-9a-f]{2})-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-([0-9a-f]{2})(-.*)?\s?$/;

/**
 * Whether a record's trace is sampled, read from its W3C `traceparent` flags without building a context;
 * undefined when it has no (well-formed) traceparent, so the root sampler decides. A record whose trace
 * is not sampled gets nothing from the services' parent-based sampler: its spans record and export nothing.
 */
export function sampledInHeaders(headers: Readonly<Record<string, string>>): boolean | undefined {
  const header = headers['traceparent'];
  const m = header === undefined ? null : TRACEPARENT.exec(header);
  // Version 00 has exactly four fields; a later version may add more (W3C Trace Context, "Versioning").
  if (!m || (m[1] === '00' && m[5] !== undefined)) return undefined;
  return (Number.parseInt(m[4], 16) & 1) === 1;
}

/** The W3C trace headers among a record's headers, as they are, to pass on to the records made from it. */
export function traceHeadersOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers['traceparent']) out['traceparent'] = headers['traceparent'];
  if (headers['tracestate']) out['tracestate'] = headers['tracestate'];
  return out;
}

/** A `process <topic>` span continuing the trace found in the record's headers. */
export function startProcessSpan(
  topic: string,
  headers: Readonly<Record<string, string>>,
  attributes: Record<string, string | number>,
): { span: Span; ctx: Context } {
  const parent = contextFromHeaders(headers);
  const span = tracer().startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, ...attributes },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}

/** Runs `fn` inside a span named `name` (e.g. `send users.enriched`, `upsert users`), as a child of `parent`. */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  parent: Context,
  fn: () => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    endSpan(span, error);
    throw error;
  } finally {
    if (span.isRecording()) span.end();
  }
}

export { SpanKind };
