/**
 * What a consumed record's `process` span costs when its trace is not sampled, in µs per record:
 * BatchConsumer's per-record tracing before and after it skipped the span for such records (the
 * services' own SDK set-up: parent-based sampling, new traces at 1 %; nothing exported).
 *
 *   node_modules/.bin/tsx --tsconfig tsconfig.base.json bench/src/micro/process-spans.ts
 */
import { randomBytes } from 'node:crypto';
import { NoopSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import {
  endSpan,
  headersFromContext,
  sampledInHeaders,
  startProcessSpan,
  traceHeadersOf,
  installOpenTelemetry,
} from '@sparkflow/telemetry';

const RECORDS = 200_000;
const ROUNDS = 7;

/** Records as ingestion's 1 % sampling leaves them: one in a hundred sampled. */
const records = Array.from({ length: RECORDS }, (_, i) => ({
  topic: 'users.raw',
  partition: i % 6,
  offset: String(i),
  headers: {
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${i % 100 === 0 ? '01' : '00'}`,
    'sparkflow-event-id': randomBytes(16).toString('hex'),
  } as Record<string, string>,
}));

type Record_ = (typeof records)[number];

function spanFor(m: Record_) {
  return startProcessSpan(m.topic, m.headers, {
    'messaging.kafka.partition': m.partition,
    'messaging.kafka.offset': m.offset,
    'sparkflow.event_id': m.headers['sparkflow-event-id'] ?? '',
    'sparkflow.stage': 'enrichment',
  });
}

const paths = {
  /** Every record gets a span, sampled or not. */
  before(ms: readonly Record_[]): number {
    let n = 0;
    for (const m of ms) {
      const span = spanFor(m);
      n += Object.keys(headersFromContext(span.ctx)).length;
      endSpan(span.span);
    }
    return n;
  },
  /** A record whose trace is not sampled passes its trace headers on instead. */
  after(ms: readonly Record_[]): number {
    let n = 0;
    for (const m of ms) {
      const span = sampledInHeaders(m.headers) === false ? null : spanFor(m);
      n += Object.keys(span ? headersFromContext(span.ctx) : traceHeadersOf(m.headers)).length;
      if (span) endSpan(span.span);
    }
    return n;
  },
};

function main(): void {
  // A processor that exports nothing: without one no tracer is registered and no span is ever sampled.
  const otel = installOpenTelemetry({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
    spanProcessors: [new NoopSpanProcessor()],
  });
  const results: Record<string, number[]> = { before: [], after: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which path goes first, so neither always runs on a warmer heap.
    const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const path of order) {
      const cpu = process.cpuUsage();
      paths[path](records);
      const { user, system } = process.cpuUsage(cpu);
      if (round > 0) results[path].push((user + system) / RECORDS); // round 0 warms up
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [path, us] of Object.entries(results)) {
    console.log(
      `${path}: ${median(us).toFixed(2)} µs CPU per record (median of ${us.length}; range ${Math.min(...us).toFixed(2)}–${Math.max(...us).toFixed(2)})`,
    );
  }
  void otel.shutdown();
}

main();
