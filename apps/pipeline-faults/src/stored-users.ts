import { type Client, errors, types } from 'cassandra-driver';
import { enrichUser } from '@sparkflow/enrichment-core';
import type { RandomUser } from '@sparkflow/contracts';
import { expectedUsersRow, plainRow } from '@sparkflow/testing';

/** A person a run sent, and what the pipeline's envelope around them must say. */
export interface SentPerson {
  user: RandomUser;
  source: 'synthetic' | 'backfill';
  batchId: string;
  /** Null when ingestion made it at random: then any stored id is accepted, and the others are checked. */
  eventId: string | null;
}

export interface CellDifference {
  userId: string;
  column: string;
  stored: unknown;
  expected: unknown;
}

/** Keys per read: each one is a quorum read on two of three nodes, which a busy two-core machine can time out. */
const PAGE = 50;
const READS_IN_FLIGHT = 4;

/**
 * One page of rows, the read tried again when the coordinator timed out waiting for its replicas
 * (`readTimeout`, or the driver's own): a check that gives up on a slow read would prove nothing.
 */
async function readPage(client: Client, ids: string[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.execute('SELECT * FROM users WHERE user_id IN ?', [ids], { prepare: true });
    } catch (err) {
      const code = (err as { code?: number }).code;
      const timedOut =
        code === types.responseErrorCodes.readTimeout || err instanceof errors.OperationTimedOutError;
      if (!timedOut || attempt >= 5) throw err;
    }
  }
}

/**
 * Reads every sent person's row from Cassandra (at the clients' LOCAL_QUORUM) and compares every column
 * with what a run without faults stores: enrichment's own function computes each expected row, at the
 * event time the row carries, which must fall within the run.
 */
export async function compareStoredUsers(
  client: Client,
  people: readonly SentPerson[],
  run: { from: number; to: number },
): Promise<{ present: number; differences: CellDifference[] }> {
  const byId = new Map(people.map((p) => [p.user.login.uuid.toLowerCase(), p]));
  const ids = [...byId.keys()];
  let present = 0;
  const differences: CellDifference[] = [];
  const pages = Array.from({ length: Math.ceil(ids.length / PAGE) }, (_, p) =>
    ids.slice(p * PAGE, (p + 1) * PAGE),
  );
  // A few pages at a time: the nodes answer in parallel, the check does not take minutes.
  for (let p = 0; p < pages.length; p += READS_IN_FLIGHT) {
    const pageRows = await Promise.all(
      pages.slice(p, p + READS_IN_FLIGHT).map((page) => readPage(client, page)),
    );
    for (const rs of pageRows) {
      present += rs.rowLength;
      for (const r of rs.rows) {
        const row = plainRow(r);
        const sent = byId.get(String(row['user_id']));
        if (!sent)
          throw new Error(`Cassandra answered for ${String(row['user_id'])}, which was not asked for`);
        const eventTime = String(row['updated_at']);
        const enriched = enrichUser(sent.user, new Date(eventTime));
        const want = enriched.ok
          ? expectedUsersRow(enriched.user, {
              source: sent.source,
              batchId: sent.batchId,
              eventId: sent.eventId ?? String(row['event_id']),
              producedAt: eventTime,
            })
          : { enrichment: enriched.reasons };
        const inRun = Date.parse(eventTime) >= run.from && Date.parse(eventTime) <= run.to;
        for (const column of new Set([...Object.keys(row), ...Object.keys(want), 'updated_at'])) {
          const same =
            column === 'updated_at' ? inRun : JSON.stringify(row[column]) === JSON.stringify(want[column]);
          if (!same)
            differences.push({
              userId: String(row['user_id']),
              column,
              stored: row[column],
              expected: want[column],
            });
        }
      }
    }
  }
  return { present, differences };
}
