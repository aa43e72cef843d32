import { setTimeout as sleep } from 'node:timers/promises';
import type { ScratchDatabase } from './scratch-database';

/**
 * The pid of the backend that a connection named `applicationName` (its `application_name`) has open in
 * the scratch database while its statement waits on a lock, found in `pg_stat_activity` (polled 50 times,
 * 20 ms apart). For a spec that holds a row in a transaction of its own and then ends, with
 * `pg_terminate_backend`, the statement the store sent after it. Throws when none waits by then.
 */
export async function backendWaitingOnLock(
  db: Pick<ScratchDatabase, 'ds' | 'database'>,
  applicationName: string,
): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const [row] = (await db.ds.query(
      `SELECT pid FROM pg_stat_activity
       WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'`,
      [db.database, applicationName],
    )) as { pid: number }[];
    if (row) return row.pid;
    await sleep(20);
  }
  throw new Error(`no backend of ${applicationName} in ${db.database} waited on a lock`);
}
