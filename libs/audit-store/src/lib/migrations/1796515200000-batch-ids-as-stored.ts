import { storableId } from '@sparkflow/contracts';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The longest batch id the audit names a batch by (`BATCH_ID_MAX_LENGTH` of libs/contracts). */
const MAX = 200;

/**
 * Every batch id the audit stores is now the one a record's dead letter names (`storableId`: escaped, at
 * most 200 characters, a longer one cut with a hash). Rows an older audit stored under a longer id —
 * records whose batch header or envelope held one — are renamed to that id, so the batch's rows are one
 * batch again, `GET /v1/batches/:id` accepts its id and the listing's cursor can page past it. A batch
 * already registered under the new id keeps its row, taking the declared size the old one had if it had
 * none. Text PostgreSQL stored holds no NUL, so length is the only thing to mend.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class BatchIdsAsStored1796515200000 implements MigrationInterface {
  name = 'BatchIdsAsStored1796515200000';

  async up(q: QueryRunner): Promise<void> {
    const rows: { batch_id: string }[] = await q.query(
      `SELECT batch_id FROM batches WHERE length(batch_id) > $1
       UNION SELECT DISTINCT batch_id FROM audit_events WHERE length(batch_id) > $1`,
      [MAX],
    );
    for (const { batch_id: old } of rows) {
      const renamed = storableId(old) as string;
      await q.query(`UPDATE audit_events SET batch_id = $2 WHERE batch_id = $1`, [old, renamed]);
      await q.query(
        `UPDATE batches SET expected_count = coalesce(batches.expected_count, old.expected_count)
         FROM batches old WHERE old.batch_id = $1 AND batches.batch_id = $2`,
        [old, renamed],
      );
      await q.query(
        `UPDATE batches SET batch_id = $2 WHERE batch_id = $1
         AND NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = $2)`,
        [old, renamed],
      );
      await q.query(`DELETE FROM batches WHERE batch_id = $1`, [old]);
    }
  }

  async down(): Promise<void> {
    // The longer ids are not kept: a renamed batch stays under the id its dead letters name.
  }
}
