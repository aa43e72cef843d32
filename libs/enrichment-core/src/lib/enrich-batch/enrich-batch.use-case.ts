import {
  EVENT_TIME_MAX_SKEW_MS_DEFAULT,
  Envelope,
  HEADERS,
  SCHEMA_VERSION,
  SparkflowErrorCode,
  TOPICS,
  eventTimeProblem,
  recordTimeMicros,
  type EnrichedUserEvent,
} from '@sparkflow/contracts';
import {
  type EventProducer,
  type InboundMessage,
  type MessageOutcome,
  OK,
  SparkflowException,
  failed,
  inRecord,
  parseEvent,
  reasonsFromZod,
} from '@sparkflow/kafka';
import { z } from 'zod';
import { enrichUser } from '../enrich-user/enrich-user';

/** The envelope with the payload left unparsed: the payload's own faults are enrichUser's to name. */
const RawEnvelope = Envelope.extend({ payload: z.unknown() });

/**
 * users.raw → users.enriched, or users.dlq with every reason. The event keeps its id, so the audit
 * follows it across topics. Valid records of a batch are produced in one request and acknowledged
 * before any offset of the batch is committed. An event time (`producedAt`) further ahead than
 * `maxEventTimeSkewMs` of when the broker took the record (`recordTimeMicros`; `clock` for a record
 * without a timestamp) is refused (SEMANTIC_INVALID at `producedAt`): persistence would write it as the
 * write timestamp of every cell, and it would outrank each true version of the person until that time.
 */
export class EnrichBatchUseCase {
  constructor(
    private readonly producer: EventProducer,
    private readonly clock: () => Date = () => new Date(),
    private readonly maxEventTimeSkewMs: number = EVENT_TIME_MAX_SKEW_MS_DEFAULT,
  ) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    const nowMicros = BigInt(this.clock().getTime()) * 1000n;
    const out: { event: EnrichedUserEvent; trace: Readonly<Record<string, string>> }[] = [];
    // Each record is worked in its own context: whatever is logged meanwhile carries its trace and ids.
    const outcomes = messages.map((m) =>
      inRecord(m, (): MessageOutcome => {
        try {
          const raw = parseEvent(RawEnvelope, m);
          // Judged and derived at the event's own time, never at the clock: a record read at once and
          // its replay a day later get the same verdict, age and band, so the replay rewrites identical
          // cells. An event time far ahead is refused below; one within the skew is the person's time.
          const result = enrichUser(raw.payload, new Date(raw.producedAt));
          const ahead = eventTimeProblem(
            raw.producedAt,
            recordTimeMicros(m.timestamp, nowMicros),
            this.maxEventTimeSkewMs,
          );
          if (ahead || !result.ok) {
            const reasons = [
              ...(ahead ? [ahead] : []),
              ...(result.ok
                ? []
                : result.reasons.map((r) => ({ ...r, path: r.path ? `payload.${r.path}` : r.path }))),
            ];
            return failed(
              new SparkflowException(
                reasons[0]?.code ?? SparkflowErrorCode.SchemaInvalid,
                `${reasons.length} problem(s) with the record`,
                { reasons },
              ),
            );
          }
          out.push({
            trace: m.traceHeaders,
            event: {
              eventId: raw.eventId,
              schemaVersion: SCHEMA_VERSION,
              source: raw.source,
              batchId: raw.batchId,
              // The raw event's time, unchanged (microseconds included): persistence writes it as the
              // write timestamp, so every version of a person keeps the order ingestion gave it.
              producedAt: raw.producedAt,
              payload: result.user,
            },
          });
          return OK;
        } catch (error) {
          if (error instanceof z.ZodError) {
            return failed(
              new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'invalid', {
                reasons: reasonsFromZod(error),
              }),
            );
          }
          return failed(error);
        }
      }),
    );
    await this.producer.send(
      TOPICS.usersEnriched,
      out.map(({ event, trace }) => ({
        key: event.payload.userId,
        event,
        headers: { ...trace, [HEADERS.eventId]: event.eventId },
      })),
    );
    return outcomes;
  }
}
