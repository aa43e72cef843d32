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
