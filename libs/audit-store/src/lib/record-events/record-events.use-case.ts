import { z } from 'zod';
import {
  DeadLetterEvent,
  EnrichedUser,
  Envelope,
  HEADERS,
  PersistedEvent,
  TOPICS,
  eventOf,
  type DeadLetterReason,
} from '@sparkflow/contracts';
import { type InboundMessage, type MessageOutcome, OK, failed } from '@sparkflow/kafka';
import type { AuditOutcome } from '../entities/audit-event.entity';
import type { AuditEventsRepository, AuditRow } from './audit-events.repository';

const OUTCOME_BY_TOPIC: Record<string, AuditOutcome> = {
  [TOPICS.usersRaw]: 'ingested',
  [TOPICS.usersEnriched]: 'enriched',
  [TOPICS.usersDlq]: 'dead-lettered',
  [TOPICS.usersPersisted]: 'persisted',
};

/**
 * Only what the audit keeps of raw and enriched records: their envelope and whose they are. Validating
 * the whole person is enrichment's job (a raw record it rejects reaches the audit again as a dead
 * letter), and doing it a second time here was most of the audit's parsing cost.
 */
const RawUserKey = eventOf(z.object({ login: z.object({ uuid: z.string() }) }));
const EnrichedUserKey = eventOf(EnrichedUser.pick({ userId: true }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function json(m: InboundMessage): unknown {
  try {
    return JSON.parse(m.value?.toString('utf8') ?? 'null');
  } catch {
    return null;
  }
}

/**
 * The audit's view of one record. The event id is the same on every topic a person's event crosses
 * (raw → enriched → persisted, or → dlq), so (event_id, topic) rows form its lineage. A raw record
 * too broken to parse is still audited from its headers; its dead letter explains it.
 */
export function auditRowOf(m: InboundMessage): AuditRow | null {
  const outcome = OUTCOME_BY_TOPIC[m.topic];
  if (!outcome) return null;
  const value = json(m);
  const envelope = Envelope.safeParse(value);
  const base = {
    topic: m.topic,
    outcome,
    partition: m.partition,
    offset: m.offset,
    batchId: envelope.success ? envelope.data.batchId : (m.headers[HEADERS.batchId] ?? null),
    source: envelope.success ? envelope.data.source : (m.headers[HEADERS.source] ?? null),
    producedAt: envelope.success ? new Date(envelope.data.producedAt) : null,
    userId: null as string | null,
    reasons: null as DeadLetterReason[] | null,
  };
  const headerId = m.headers[HEADERS.eventId];
  switch (m.topic) {
    case TOPICS.usersRaw: {
      const raw = RawUserKey.safeParse(value);
      const eventId = raw.success ? raw.data.eventId : headerId;
      if (!eventId || !UUID.test(eventId)) return null;
      const uuid = raw.success ? raw.data.payload.login.uuid : '';
      return { ...base, eventId, userId: UUID.test(uuid) ? uuid.toLowerCase() : null };
    }
    case TOPICS.usersEnriched: {
      const e = EnrichedUserKey.safeParse(value);
      return e.success ? { ...base, eventId: e.data.eventId, userId: e.data.payload.userId } : null;
    }
    case TOPICS.usersPersisted: {
      const p = PersistedEvent.safeParse(value);
      return p.success
        ? { ...base, eventId: p.data.payload.enrichedEventId, userId: p.data.payload.userId }
        : null;
    }
    case TOPICS.usersDlq: {
      const d = DeadLetterEvent.safeParse(value);
      if (!d.success) return null;
      const original = d.data.payload.originalEventId;
      return {
        ...base,
        eventId: original && UUID.test(original) ? original : d.data.eventId,
        batchId: d.data.payload.originalBatchId ?? d.data.batchId,
        reasons: d.data.payload.reasons,
        userId: d.data.payload.key && UUID.test(d.data.payload.key) ? d.data.payload.key.toLowerCase() : null,
      };
    }
    default:
      return null;
  }
}

function refusedAtIngestion(m: InboundMessage): boolean {
  if (m.topic !== TOPICS.usersDlq) return false;
  const d = DeadLetterEvent.safeParse(json(m));
  return d.success && d.data.payload.stage === 'ingestion';
}

export class RecordEventsUseCase {
  constructor(private readonly repository: AuditEventsRepository) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    const rows = messages.flatMap((m) => {
      const row = auditRowOf(m);
      if (!row) return [];
      // A person ingestion refused never reached users.raw, yet it was received and its batch counts it:
      // recorded as ingested and dead-lettered, so the batch's account still adds up.
      return refusedAtIngestion(m)
        ? [{ ...row, topic: TOPICS.usersRaw, outcome: 'ingested' as const, reasons: null }, row]
        : [row];
    });
    const batches = new Map<string, { batchId: string; source: string; expectedCount: number | null }>();
    for (const m of messages) {
      const batchId = m.headers[HEADERS.batchId];
      if (m.topic !== TOPICS.usersRaw || !batchId || batches.has(batchId)) continue;
      const size = Number(m.headers[HEADERS.batchSize]);
      batches.set(batchId, {
        batchId,
        source: m.headers[HEADERS.source] ?? 'unknown',
        expectedCount: Number.isInteger(size) && size >= 0 ? size : null,
      });
    }
    try {
      await this.repository.record(rows, [...batches.values()]);
      return messages.map(() => OK);
    } catch (error) {
      return messages.map(() => failed(error));
    }
  }
}
