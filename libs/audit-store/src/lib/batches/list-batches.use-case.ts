import { BatchListQuery, SparkflowErrorCode, type BatchList } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import type { AuditEventsRepository } from '../record-events/audit-events.repository';
import { isBatchComplete } from './batch-complete';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;
/** Batches counted per request at most: the window is what bounds the work, this guards a huge one. */
export const BATCH_SCAN_LIMIT = 10_000;

/**
 * The batches registered since a time, newest first, each with its counts and whether it is complete;
 * `incomplete=true` keeps the ones still in flight (or stuck). Query values are checked against the
 * contract: a bad one is a 400 naming the parameter.
 */
export class ListBatchesUseCase {
  constructor(
    private readonly repository: Pick<AuditEventsRepository, 'batchesSince'>,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(raw: Record<string, unknown>): Promise<BatchList> {
    const parsed = BatchListQuery.safeParse(raw);
    if (!parsed.success) {
      const reasons = parsed.error.issues.map((i) => ({
        code: SparkflowErrorCode.SchemaInvalid,
        message: i.message,
        path: i.path.join('.'),
      }));
      throw new SparkflowException(
        SparkflowErrorCode.SchemaInvalid,
        `bad query: ${reasons.map((r) => `${r.path}: ${r.message}`).join('; ')}`,
        { reasons },
      );
    }
    const q = parsed.data;
    const since = q.since ? new Date(q.since) : new Date(this.now() - DEFAULT_WINDOW_MS);
    const incompleteOnly = q.incomplete === 'true';
    // Every batch is counted to tell the incomplete ones; otherwise the newest `limit` (and one more, to
    // know whether there are more) are all that is counted.
    const scan = incompleteOnly ? BATCH_SCAN_LIMIT : q.limit + 1;
    const rows = await this.repository.batchesSince(since, scan);
    const matching = rows
      .map((r) => ({ ...r, complete: isBatchComplete(r) }))
      .filter((b) => !incompleteOnly || !b.complete);
    return {
      since: since.toISOString(),
      incompleteOnly,
      batches: matching.slice(0, q.limit),
      truncated: matching.length > q.limit || (incompleteOnly && rows.length >= BATCH_SCAN_LIMIT),
    };
  }
}
