import type { BatchListCursor } from '@sparkflow/contracts';
import { isBatchComplete } from '../batches/batch-complete';
import type { AuditEventsRepository, RegisteredBatch } from '../record-events/audit-events.repository';

/** Batches read, judged and deleted per transaction: each page holds its batches' row locks that long. */
export const RETENTION_PAGE = 200;

/** What one pass of retention did, so far or in all. */
export interface RetentionPass {
  /** The cutoff: batches registered before it, none of whose rows was recorded since, were candidates. */
  before: string;
  /** Batches registered before the cutoff that the pass read. */
  examined: number;
  forgottenBatches: number;
  /** Rows of `audit_events` deleted with them. */
  forgottenRows: number;
  /** Batches registered before the cutoff and kept: not complete, or a row of theirs recorded since. */
  kept: number;
}

/**
 * Whether retention may forget a batch: it is complete (`isBatchComplete`, the rule of the batch report),
 * and the audit recorded none of its rows at or after the cutoff. A batch that is not complete is kept
 * whatever its age, so a stuck event stays explained for as long as it is stuck.
 */
export function isForgettable(b: RegisteredBatch, before: Date): boolean {
  return isBatchComplete(b) && b.lastRecordedAt !== null && b.lastRecordedAt.getTime() < before.getTime();
}

/**
 * The audit's retention (ADR 27): forgets the batches registered before a cutoff that are complete and
 * quiet since it, a batch at a time and whole — its registration and every row filed under it — so that a
 * batch the audit still answers for is answered in full. Batches are read oldest first in pages, each page
 * judged and deleted in one statement that checks again, under the batches' row locks, that none gained a
 * row since the cutoff; a second replica's pass skips the batches this one holds. `signal` stops the pass
 * after the page in hand.
 */
export class ForgetSettledBatches {
  constructor(
    private readonly repository: Pick<AuditEventsRepository, 'batchesRegisteredBefore' | 'forgetBatches'>,
    private readonly pageSize = RETENTION_PAGE,
  ) {}

  async execute(
    before: Date,
    options: { signal?: AbortSignal; progress?: (pass: Readonly<RetentionPass>) => void } = {},
  ): Promise<RetentionPass> {
    const pass: RetentionPass = {
      before: before.toISOString(),
      examined: 0,
      forgottenBatches: 0,
      forgottenRows: 0,
      kept: 0,
    };
    let after: BatchListCursor | null = null;
    while (!options.signal?.aborted) {
      const page = await this.repository.batchesRegisteredBefore(before, after, this.pageSize);
      if (!page.length) break;
      const doomed = page.filter((b) => isForgettable(b, before)).map((b) => b.cursor.batchId);
      const forgotten = await this.repository.forgetBatches(doomed, before);
      pass.examined += page.length;
      pass.forgottenBatches += forgotten.batches;
      pass.forgottenRows += forgotten.rows;
      pass.kept += page.length - forgotten.batches;
      options.progress?.(pass);
      if (page.length < this.pageSize) break;
      after = page[page.length - 1].cursor;
    }
    return pass;
  }
}
