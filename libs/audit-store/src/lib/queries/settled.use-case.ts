import { SettledQuery, type SettledReport } from '@sparkflow/contracts';
import type { AuditEventsRepository } from '../record-events/audit-events.repository';
import { parseQuery } from './query-parameters';

export const SETTLED_ROUTE = 'GET /v1/events/settled';

/** users.raw records appended before an instant (ms since the epoch) that the audit's consumer has not committed. */
export type RawBehind = (beforeMs: number) => Promise<number>;

/**
 * Whether the events with an event time in [from, to) have all reached a terminal state (ADR 23): the window
 * has ended, the audit has read every users.raw record appended before `to`, and each of the window's events
 * it read is persisted (written to Cassandra) or dead-lettered. The consumer is asked first: an event it reads
 * after the rows are counted would be left out of them, while one read before is counted pending.
 */
export class SettledUseCase {
  constructor(
    private readonly repository: Pick<AuditEventsRepository, 'pendingIn'>,
    private readonly rawBehind: RawBehind,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(raw: Record<string, unknown>): Promise<SettledReport> {
    const query = parseQuery(raw, SETTLED_ROUTE, SettledQuery);
    const from = new Date(query.from);
    const to = new Date(query.to);
    const checkedAt = this.now();
    const rawBehind = await this.rawBehind(to.getTime());
    const { pending, oldest } = await this.repository.pendingIn(from, to);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      settled: to.getTime() <= checkedAt.getTime() && rawBehind === 0 && pending === 0,
      pending,
      oldestPending: oldest,
      rawBehind,
      checkedAt: checkedAt.toISOString(),
    };
  }
}
