import {
  BatchListQuery,
  decodeBatchListCursor,
  encodeBatchListCursor,
  type BatchList,
} from '@sparkflow/contracts';
import type { AuditEventsRepository } from '../record-events/audit-events.repository';
import { parseQuery } from '../queries/query-parameters';
import { isBatchComplete, isBatchMarkable } from './batch-complete';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;
/**
 * Batches counted per request at most: the window bounds the work of a full listing, and the batches not
 * recorded complete that of `incomplete=true`; this guards a huge one.
 */
export const BATCH_SCAN_LIMIT = 10_000;

/**
 * The batches registered since a time, newest first, each with its counts and whether it is complete;
 * `incomplete=true` keeps the ones still in flight (or stuck). That listing counts only the batches not
 * recorded complete, and records complete those it finds complete for good (`isBatchMarkable`), so each
 * is counted until then and never again (ADR 18). Query values are checked against the
 * contract, and first for their shape (`queryShapeProblems`): a bad one is a 400 naming the parameter,
 * never a default. A list cut to `limit` says where it goes on (`next`), and `cursor=<next>` answers the
 * batches after the last one listed, in the same order: paging visits each batch of the window once.
 */
export class ListBatchesUseCase {
  constructor(
    private readonly repository: Pick<AuditEventsRepository, 'batchesSince' | 'markComplete'>,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(raw: Record<string, unknown>): Promise<BatchList> {
    const q = parseQuery(raw, 'GET /v1/batches', BatchListQuery);
    const since = q.since ? new Date(q.since) : new Date(this.now() - DEFAULT_WINDOW_MS);
    const incompleteOnly = q.incomplete === 'true';
    const after = q.cursor === undefined ? null : decodeBatchListCursor(q.cursor);
    // The incomplete listing counts every batch not recorded complete; otherwise the newest `limit` (and one
    // more, to know whether there are more) are all that is counted, live, and none is marked.
    const scan = incompleteOnly ? BATCH_SCAN_LIMIT : q.limit + 1;
    const rows = await this.repository.batchesSince(since, scan, incompleteOnly, after);
    const counted = rows.map(({ cursor, ...r }) => ({
      cursor,
      batch: { ...r, complete: isBatchComplete(r) },
    }));
    const matching = counted.filter(({ batch }) => !incompleteOnly || !batch.complete);
    if (incompleteOnly)
      await this.repository.markComplete(
        counted.filter(({ batch }) => isBatchMarkable(batch)).map(({ batch }) => batch.batchId),
      );
    const listed = matching.slice(0, q.limit);
    // Cut to the limit, the list goes on after its last batch; cut by the scan (every batch scanned that
    // matched is listed), after the last batch scanned.
    const goesOnAfter =
      matching.length > q.limit
        ? listed[listed.length - 1]
        : incompleteOnly && rows.length >= BATCH_SCAN_LIMIT
          ? counted[counted.length - 1]
          : undefined;
    return {
      since: since.toISOString(),
      incompleteOnly,
      batches: listed.map(({ batch }) => batch),
      truncated: goesOnAfter !== undefined,
      next: goesOnAfter ? encodeBatchListCursor(goesOnAfter.cursor) : null,
    };
  }
}
