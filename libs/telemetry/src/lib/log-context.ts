import { AsyncLocalStorage } from 'node:async_hooks';
import { TraceFlags, context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';

/** The ids of the record (or batch) being worked on that every log line of its work carries. */
export interface LogIds {
  event_id?: string;
  batch_id?: string;
  /** A batch's trace when all its records share one; a record's own comes from its active span. */
  trace_id?: string;
}

const ids = new AsyncLocalStorage<LogIds>();

/** Runs `fn` with `fields` added to the log ids of the work in progress (inner values win). */
export function withLogIds<T>(fields: LogIds, fn: () => T): T {
  return ids.run({ ...ids.getStore(), ...fields }, fn);
}

/**
 * Runs `fn` as the work of one record: its trace context active (the record's `process` span), so
 * spans started inside are its children and log lines carry its trace and span ids, and its event and
 * batch ids attached to every log line.
 */
export function inRecordContext<T>(traceContext: Context, fields: LogIds, fn: () => T): T {
  return context.with(traceContext, () => withLogIds(fields, fn));
}

/**
 * What pino adds to every line (its `mixin`): the ids of the record or batch in hand and the active
 * span's `trace_id`/`span_id`, the very ids the span exporter sends, so a line leads to its trace.
 */
export function logCorrelation(): Record<string, string> {
  const out: Record<string, string> = { ...ids.getStore() };
  const span = trace.getSpanContext(context.active());
  if (span && isSpanContextValid(span)) {
    out['trace_id'] = span.traceId;
    out['span_id'] = span.spanId;
  }
  return out;
}

/** Whether the active trace is sampled (exported): its records are worth a line each at info. */
export function traceSampled(): boolean {
  const span = trace.getSpanContext(context.active());
  return !!span && isSpanContextValid(span) && (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}
