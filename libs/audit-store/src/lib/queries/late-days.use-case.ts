import { LateDaysQuery, type LateDaysReport } from '@sparkflow/contracts';
import type { AuditEventsRepository } from '../record-events/audit-events.repository';
import { parseQuery } from './query-parameters';

export const LATE_DAYS_ROUTE = 'GET /v1/events/late-days';

/**
 * users.persisted and users.dlq records appended before an instant (ms since the epoch) that the audit's
 * consumer has not committed, summed over both topics.
 */
export type TerminalBehind = (beforeMs: number) => Promise<number>;

/**
 * Which event days received terminal rows (persisted or dead-lettered) the broker appended in [from, to), so
 * a day aggregated before they arrived (a replayed dead letter, a backfill of a past day, a retried request)
 * can be aggregated again. `complete` once the interval has ended and the audit has read every terminal
 * record appended before `to`. The consumer is asked first: a record it reads after the rows are counted
 * would be missed by both, while one read before is counted.
 */
export class LateDaysUseCase {
  constructor(
    private readonly repository: Pick<AuditEventsRepository, 'terminalDaysAppendedIn'>,
    private readonly terminalBehind: TerminalBehind,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(raw: Record<string, unknown>): Promise<LateDaysReport> {
    const query = parseQuery(raw, LATE_DAYS_ROUTE, LateDaysQuery);
    const from = new Date(query.from);
    const to = new Date(query.to);
    const checkedAt = this.now();
    const behind = await this.terminalBehind(to.getTime());
    const days = await this.repository.terminalDaysAppendedIn(from, to);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      complete: to.getTime() <= checkedAt.getTime() && behind === 0,
      behind,
      days,
      checkedAt: checkedAt.toISOString(),
    };
  }
}
