import type { AuditTrailEvent, BatchReport, EventLineage, UserHistory } from '@sparkflow/contracts';
import type { AuditEventEntity } from '../entities/audit-event.entity';
import type { AuditEventsRepository } from '../record-events/audit-events.repository';

/** A stored audit row as the API answers it. */
export function auditTrailEventOf(e: AuditEventEntity): AuditTrailEvent {
  return {
    eventId: e.eventId,
    topic: e.topic,
    outcome: e.outcome,
    userId: e.userId,
    batchId: e.batchId,
    source: e.source,
    partition: e.partition,
    offset: e.offset === null ? null : String(e.offset),
    producedAt: e.producedAt ? new Date(e.producedAt).toISOString() : null,
    appendedAt: e.appendedAt ? new Date(e.appendedAt).toISOString() : null,
    recordedAt: new Date(e.recordedAt).toISOString(),
    reasons: e.reasons,
  };
}

/**
 * The audit's read side: an event's lineage, a batch's report and a person's history, each `null` when
 * the audit has never seen it (the API answers 404).
 */
export class AuditQueriesUseCase {
  constructor(
    private readonly repository: Pick<
      AuditEventsRepository,
      'lineage' | 'userHistory' | 'batchCounts' | 'batchTiming' | 'sampleUser'
    >,
  ) {}

  async eventLineage(eventId: string): Promise<EventLineage | null> {
    const stages = await this.repository.lineage(eventId);
    return stages.length ? { eventId, stages: stages.map(auditTrailEventOf) } : null;
  }

  async batchReport(batchId: string): Promise<BatchReport | null> {
    const counts = await this.repository.batchCounts(batchId);
    if (!counts) return null;
    const [timing, sampleUserId] = await Promise.all([
      this.repository.batchTiming(batchId),
      this.repository.sampleUser(batchId),
    ]);
    return { ...counts, timing, sampleUserId };
  }

  /** The person's newest `limit` rows, oldest first, and whether older ones were left out. */
  async userHistory(userId: string, limit: number): Promise<UserHistory | null> {
    const { rows, truncated } = await this.repository.userHistory(userId.toLowerCase(), limit);
    return rows.length ? { userId, events: rows.map(auditTrailEventOf), truncated } : null;
  }
}
