/** Kafka header names. Trace context uses the W3C names so any OpenTelemetry propagator reads them. */
export const HEADERS = {
  eventId: 'sparkflow-event-id',
  schemaVersion: 'sparkflow-schema-version',
  source: 'sparkflow-source',
  batchId: 'sparkflow-batch-id',
  /** Number of events the producer put into the batch, so the audit can tell when it is complete. */
  batchSize: 'sparkflow-batch-size',
  /** Set when `sparkflow dlq replay` re-publishes a dead letter: the id of the DLQ record replayed. */
  replayOf: 'sparkflow-replay-of',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
