import type { BatchListCursor } from '@sparkflow/contracts';
import { isBatchComplete } from '../batches/batch-complete';
import type { AuditEventsRepository, RegisteredBatch } from '../record-events/audit-events.repository';

/** Batches read and judged per page. */
export const RETENTION_PAGE = 200;
/**
 * Rows per delete, as counted when judged: a page's batches are deleted in groups of at most this many
 * rows, so one transaction's WAL and row locks stay bounded; a batch with more rows goes alone, whatever
 * its size (a batch is forgotten whole).
 */
export const RETENTION_ROWS_PER_DELETE = 50_000;

/** What one pass of retention did, so far or in all. */
export interface RetentionPass {
  /** The cutoff: batches registered before it, none of whose rows was recorded since, were candidates. */
  before: string;
  /** Batches registered before the cutoff that the pass read. */
  examined: number;
  forgottenBatches: number;
  /** Rows of `audit_events` deleted with them. */
  forgottenRows: number;
  /** Batches registered before the cutoff not forgotten: not complete, a row recorded since, or the pass stopped first. */
  kept: number;
  /**
   * Batch ids with no registration (rows of a forgotten batch recorded after it, dead letters that named no
   * batch) whose quiet events the pass forgot, their rows counted in `forgottenRows`.
   */
  forgottenUnregistered: number;
}

export interface PassOptions {
  /** Ends the pass after the group in hand. */
  signal?: AbortSignal;
  /** Told what the pass has done so far, after each group. */
  progress?: (pass: Readonly<RetentionPass>) => void;
  /**
   * Whether the pass also looks for rows filed under no registration (true unless false). That look reads
   * every batch id filed in `audit_events` (7–14 s for 1,000,000 of them, ADR 27), where the rest of a pass
   * reads only the batches registered before the cutoff; such rows are rare, so a caller may look less
   * often.
   */
  unregistered?: boolean;
}

/**
 * Whether retention may forget a batch: it is complete (`isBatchComplete`, the rule of the batch report),
 * and the audit recorded none of its rows at or after the cutoff. A batch that is not complete is kept
 * whatever its age, so a stuck event stays explained for as long as it is stuck.
 */
export function isForgettable(b: RegisteredBatch, before: Date): boolean {
  return isBatchComplete(b) && b.lastRecordedAt !== null && b.lastRecordedAt.getTime() < before.getTime();
}

/** Consecutive groups of batches of at most `budget` rows each, a larger batch in a group of its own. */
export function deleteGroups<B extends { rows: number }>(batches: B[], budget: number): B[][] {
  const groups: B[][] = [];
  let rows = Number.POSITIVE_INFINITY;
  for (const b of batches) {
    if (rows + b.rows > budget) {
      groups.push([]);
      rows = 0;
    }
    groups[groups.length - 1].push(b);
    rows += b.rows;
  }
  return groups;
}

/**
 * The audit's retention (ADR 27): forgets the batches registered before a cutoff that are complete and
 * quiet since it, a batch at a time and whole — its registration and every row filed under it — so that a
 * batch the audit still answers for is answered in full. One pass runs at a time across replicas (a
 * PostgreSQL session lock; another replica's pass answers null). Batches are read oldest first in pages and
 * deleted in groups of a bounded number of rows, each group in a transaction that checks again that none
 * gained a row since the cutoff. Then the rows filed under a batch id that is not registered (a forgotten
 * batch's rows recorded after it, dead letters that named no batch) are forgotten event by event, each
 * event once none of its rows was recorded since the cutoff. `signal` stops the pass after the group in hand.
 */
export class ForgetSettledBatches {
  constructor(
    private readonly repository: Pick<
      AuditEventsRepository,
      | 'batchesRegisteredBefore'
      | 'forgetBatches'
      | 'unregisteredWithRowsBefore'
      | 'forgetUnregistered'
      | 'whileHoldingRetentionLock'
    >,
    private readonly pageSize = RETENTION_PAGE,
    private readonly rowsPerDelete = RETENTION_ROWS_PER_DELETE,
  ) {}

  /** The pass, or null when another process's pass holds the lock. */
  execute(before: Date, options: PassOptions = {}): Promise<RetentionPass | null> {
    return this.repository.whileHoldingRetentionLock((session) => this.pass(session, before, options));
  }

  private async pass(
    repository: Pick<
      AuditEventsRepository,
      'batchesRegisteredBefore' | 'forgetBatches' | 'unregisteredWithRowsBefore' | 'forgetUnregistered'
    >,
    before: Date,
    options: PassOptions,
  ): Promise<RetentionPass> {
    const pass: RetentionPass = {
      before: before.toISOString(),
      examined: 0,
      forgottenBatches: 0,
      forgottenRows: 0,
      kept: 0,
      forgottenUnregistered: 0,
    };
    let after: BatchListCursor | null = null;
    while (!options.signal?.aborted) {
      const page = await repository.batchesRegisteredBefore(before, after, this.pageSize);
      if (!page.length) break;
      pass.examined += page.length;
      pass.kept += page.length;
      for (const group of deleteGroups(
        page.filter((b) => isForgettable(b, before)),
        this.rowsPerDelete,
      )) {
        if (options.signal?.aborted) break;
        const forgotten = await repository.forgetBatches(
          group.map((b) => b.cursor.batchId),
          before,
        );
        pass.forgottenBatches += forgotten.batches;
        pass.forgottenRows += forgotten.rows;
        pass.kept -= forgotten.batches;
        options.progress?.(pass);
      }
      options.progress?.(pass);
      if (page.length < this.pageSize) break;
      after = page[page.length - 1].cursor;
    }
    if (options.signal?.aborted || options.unregistered === false) return pass;
    const unregistered = await repository.unregisteredWithRowsBefore(before);
    for (const group of deleteGroups(unregistered, this.rowsPerDelete)) {
      if (options.signal?.aborted) break;
      const forgotten = await repository.forgetUnregistered(
        group.map((b) => b.batchId),
        before,
      );
      pass.forgottenUnregistered += forgotten.batches;
      pass.forgottenRows += forgotten.rows;
      options.progress?.(pass);
    }
    return pass;
  }
}
