import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import pino from 'pino';
import { headersFromContext, contextFromHeaders } from './messaging-spans';
import { inRecordContext, logCorrelation, traceSampled, withLogIds } from './log-context';
import { installOpenTelemetry, type InstalledOpenTelemetry } from './open-telemetry';

/** A pino logger with the correlation mixin, writing its lines into `lines`. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ mixin: logCorrelation }, sink) };
}

describe('log correlation', () => {
  // The same context manager and propagator the services run with; spans kept in memory.
  let otel: InstalledOpenTelemetry;
  beforeAll(() => {
    otel = installOpenTelemetry({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
    });
  });
  afterAll(() => otel.shutdown());

  const tracer = () => trace.getTracer('log-context.spec');

  it("puts the record's trace_id, span_id, event_id and batch_id on a line logged in its context, after awaits too", async () => {
    const { lines, log } = capture();
    const span = tracer().startSpan('process users.raw', { kind: SpanKind.CONSUMER });
    const ctx = trace.setSpan(context.active(), span);
    await inRecordContext(ctx, { event_id: 'ev-1', batch_id: 'batch-1' }, async () => {
      await tick();
      log.info('enriched');
    });
    span.end();
    expect(lines[0]).toMatchObject({
      msg: 'enriched',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
      event_id: 'ev-1',
      batch_id: 'batch-1',
    });
  });

  it('takes the ids of the span carried by a record’s headers, the ones its exporter sends', () => {
    const { lines, log } = capture();
    const span = tracer().startSpan('process users.enriched');
    const headers = headersFromContext(trace.setSpan(context.active(), span));
    inRecordContext(contextFromHeaders(headers), { event_id: 'ev-2' }, () => log.warn('dead-lettered'));
    expect(lines[0]).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(propagation.fields()).toContain('traceparent');
  });

  it('keeps concurrent records apart and adds nothing outside them', async () => {
    const { lines, log } = capture();
    await Promise.all(
      ['a', 'b'].map((id) =>
        inRecordContext(context.active(), { event_id: id }, async () => {
          await tick();
          log.info(id);
        }),
      ),
    );
    log.info('outside');
    expect(lines.map((l) => [l['msg'], l['event_id']])).toEqual([
      ['a', 'a'],
      ['b', 'b'],
      ['outside', undefined],
    ]);
    expect(lines[2]).not.toHaveProperty('trace_id');
  });

  it("lets a record's ids win over its batch's, and a span's trace over the batch's", () => {
    const { lines, log } = capture();
    const span = tracer().startSpan('process users.raw');
    withLogIds({ batch_id: 'batch-1', trace_id: 'f'.repeat(32) }, () => {
      log.info('batch');
      inRecordContext(trace.setSpan(context.active(), span), { event_id: 'ev-3' }, () => log.info('record'));
    });
    expect(lines[0]).toMatchObject({ batch_id: 'batch-1', trace_id: 'f'.repeat(32) });
    expect(lines[0]).not.toHaveProperty('event_id');
    expect(lines[1]).toMatchObject({
      batch_id: 'batch-1',
      event_id: 'ev-3',
      trace_id: span.spanContext().traceId,
    });
  });

  it('tells a sampled trace from one that is not', () => {
    const sampled = contextFromHeaders({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });
    const unsampled = contextFromHeaders({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00` });
    expect(context.with(sampled, traceSampled)).toBe(true);
    expect(context.with(unsampled, traceSampled)).toBe(false);
    expect(traceSampled()).toBe(false);
  });
});
