import { ROOT_CONTEXT, TraceFlags, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { sampledInHeaders, traceHeadersOf } from './messaging-spans';
import { installOpenTelemetry, type InstalledOpenTelemetry } from './open-telemetry';

/** What the services' own propagator and parent-based sampler make of a record's traceparent. */
function sdkSampled(traceparent: string): boolean | undefined {
  const span = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
  if (!span || !isSpanContextValid(span)) return undefined;
  return (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Well-formed traceparents, ones with one part bent out of shape, and arbitrary text. */
const traceparents = fc.oneof(
  fc.tuple(hex(2), hex(32), hex(16), hex(2)).map((parts) => parts.join('-')),
  fc
    .tuple(
      fc.oneof(hex(2), fc.constantFrom('ff', '00', '01', 'FF', '0', '000')),
      fc.oneof(hex(32), fc.constant('0'.repeat(32)), hex(31), hex(33)),
      fc.oneof(hex(16), fc.constant('0'.repeat(16)), hex(15)),
      fc.oneof(hex(2), fc.constantFrom('01', '00', '03', 'zz', '1', '001')),
      fc.constantFrom('', '-', '-extra', ' ', '\t', '\n'),
      fc.constantFrom('', ' ', '  '),
    )
    .map(([v, t, p, f, tail, lead]) => `${lead}${v}-${t}-${p}-${f}${tail}`),
  fc.string({ maxLength: 80 }),
);

describe('sampledInHeaders', () => {
  let otel: InstalledOpenTelemetry;
  beforeAll(() => {
    otel = installOpenTelemetry({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
    });
  });
  afterAll(() => otel.shutdown());

  it('decides every traceparent as the services’ W3C propagator does (a span is skipped only where the SDK would not sample)', () => {
    fc.assert(
      fc.property(traceparents, (traceparent) => {
        expect(sampledInHeaders({ traceparent })).toBe(sdkSampled(traceparent));
      }),
      { seed: 20261201, numRuns: 5000 },
    );
  });

  it('leaves a record with no traceparent to the root sampler', () => {
    expect(sampledInHeaders({})).toBeUndefined();
    expect(sampledInHeaders({ tracestate: 'a=b' })).toBeUndefined();
  });
});

describe('traceHeadersOf', () => {
  it('keeps the W3C trace headers as they came and nothing else', () => {
    expect(
      traceHeadersOf({
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`,
        tracestate: 'vendor=1',
        'sparkflow-event-id': 'e-1',
      }),
    ).toEqual({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`, tracestate: 'vendor=1' });
    expect(traceHeadersOf({ 'sparkflow-event-id': 'e-1' })).toEqual({});
  });
});
