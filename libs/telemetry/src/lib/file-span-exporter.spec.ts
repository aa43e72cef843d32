import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import fc from 'fast-check';
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
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new FileSpanExporter(file, 'enrichment') })],
    });
    const tracer = provider.getTracer('test');
    const parent = tracer.startSpan('process users.raw', { kind: SpanKind.CONSUMER });
    const child = tracer.startSpan('send users.enriched', {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.end();
    parent.end();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SpanRecord);
    expect(lines.map((l) => l.name)).toEqual(['send users.enriched', 'process users.raw']);
    expect(lines[0]).toMatchObject({
      service: 'enrichment',
      traceId: lines[1].traceId,
      parentSpanId: lines[1].spanId,
    });
  });
});

describe('FileSpanExporter, left running', () => {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const names = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as SpanRecord).name);

  // Invariant: whatever the spans, the file stays under its cap (but for one span larger than the cap
  // alone), and the file moved aside plus the file hold the newest spans, each once, in order, whole.
  it('keeps its file under the cap and the newest spans in it and the one before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 300 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 200, max: 3_000 }),
        (pads, cap) => {
          const file = join(mkdtempSync(join(tmpdir(), 'spans-')), 'svc.jsonl');
          const exporter = new FileSpanExporter(file, 'audit', cap);
          const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
          const tracer = provider.getTracer('test');
          const written: string[] = [];
          for (const pad of pads) {
            const name = `span-${written.length}-${'x'.repeat(pad)}`;
            written.push(name);
            tracer.startSpan(name).end();
            // Over the cap only by a span that alone is larger than the cap.
            if (statSync(file).size > cap) expect(names(read(file))).toHaveLength(1);
          }
          const kept = [...names(read(`${file}.1`)), ...names(read(file))];
          expect(kept).toEqual(written.slice(written.length - kept.length));
          expect(names(read(file)).length).toBeGreaterThan(0);
          // And never moved aside before it had to be: with the line that followed it, the file moved
          // aside would have passed the cap.
          if (existsSync(`${file}.1`)) {
            const firstLine = Buffer.byteLength(read(file).split('\n')[0]) + 1;
            expect(statSync(`${file}.1`).size + firstLine).toBeGreaterThan(cap);
          }
        },
      ),
      { numRuns: 60, seed: 20261205 },
    );
  });

  it('moves the file aside only once over the cap, and starts from what a previous process left', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spans-')), 'svc.jsonl');
    const export1 = (exporter: FileSpanExporter, name: string) => {
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      provider.getTracer('t').startSpan(name).end();
    };
    export1(new FileSpanExporter(file, 'audit', 10_000), 'first');
    const line = statSync(file).size;
    // A restarted service appends to the file its last run left, counting what is there.
    const restarted = new FileSpanExporter(file, 'audit', 2 * line + 1);
    export1(restarted, 'secon');
    expect(existsSync(`${file}.1`)).toBe(false);
    export1(restarted, 'third');
    expect(names(read(`${file}.1`))).toEqual(['first', 'secon']);
    expect(names(read(file))).toEqual(['third']);
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
