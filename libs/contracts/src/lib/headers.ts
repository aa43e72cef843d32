/** Kafka header names. Trace context uses the W3C names so any OpenTelemetry propagator reads them. */
export const HEADERS = {
  eventId: 'sparkflow-event-id',
  schemaVersion: 'sparkflow-schema-version',
  source: 'sparkflow-source',
  batchId: 'sparkflow-batch-id',
  /** Set when `sparkflow dlq replay` re-publishes a dead letter: the id of the DLQ record replayed. */
  replayOf: 'sparkflow-replay-of',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
