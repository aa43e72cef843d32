import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { FileSpanExporter, type SpanRecord } from './file-span-exporter';
import { contextFromHeaders, headersFromContext } from './messaging-spans';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { propagation } from '@opentelemetry/api';

describe('FileSpanExporter', () => {
  it('writes one JSON line per span with its trace, parent and service', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spans-')), 'svc.jsonl');
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new FileSpanExporter(file, 'enrichment') })] });
    const tracer = provider.getTracer('test');
    const parent = tracer.startSpan('process users.raw', { kind: SpanKind.CONSUMER });
    const child = tracer.startSpan('send users.enriched', {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.end();
    parent.end();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpanRecord);
    expect(lines.map((l) => l.name)).toEqual(['send users.enriched', 'process users.raw']);
    expect(lines[0]).toMatchObject({ service: 'enrichment', traceId: lines[1].traceId, parentSpanId: lines[1].spanId });
  });
});

describe('trace headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it('round-trips a sampled traceparent through Kafka-style headers', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(headersFromContext(contextFromHeaders({ traceparent }))).toEqual({ traceparent });
  });
});
