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
  /**
   * The event time it was sent with, in µs, when the sender chose it (a backfill's person, stamped on their
   * day): the stored row must carry exactly it. Without it, any time within the run.
   */
  eventTimeMicros?: bigint;
}

export interface CellDifference {
  userId: string;
  column: string;
  stored: unknown;
  expected: unknown;
}

/** When the run was, in ms since the epoch: a stored row's event time must fall within it. */
export interface RunWindow {
  from: number;
  to: number;
}

/** Keys per read: each one is a quorum read on two of three nodes, which a busy two-core machine can time out. */
const PAGE = 50;
const READS_IN_FLIGHT = 4;

/**
 * A read tried again when the coordinator timed out waiting for its replicas (`readTimeout`, or the
 * driver's own): a check that gives up on a slow read would prove nothing.
 */
async function retryingTimeouts<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      const code = (err as { code?: number }).code;
      const timedOut =
        code === types.responseErrorCodes.readTimeout || err instanceof errors.OperationTimedOutError;
      if (!timedOut || attempt >= 5) throw err;
    }
  }
}

/** One page of rows by key. */
const readPage = (client: Client, ids: string[]) =>
  retryingTimeouts(() => client.execute('SELECT * FROM users WHERE user_id IN ?', [ids], { prepare: true }));

/**
 * Compares stored rows with what a run without faults stores: enrichment's own function computes each
 * expected row, at the event time the row carries, which must fall within the run. A person met twice is an
 * error of the read; so is a row of someone the run did not send, unless `others` passes them over (a read
 * of the whole table meets other runs' people).
 */
function storedUsersCheck(people: readonly SentPerson[], run: RunWindow, others: 'error' | 'pass over') {
  const byId = new Map(people.map((p) => [p.user.login.uuid.toLowerCase(), p]));
  const met = new Set<string>();
  const differences: CellDifference[] = [];
  return {
    ids: [...byId.keys()],
    check(rows: readonly object[]): void {
      for (const r of rows) {
        const row = plainRow(r);
        const userId = String(row['user_id']);
        const sent = byId.get(userId);
        if (!sent) {
          if (others === 'pass over') continue;
          throw new Error(`Cassandra answered for ${userId}, which was not asked for`);
        }
        if (met.has(userId)) throw new Error(`Cassandra answered twice for ${userId}`);
        met.add(userId);
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
        const sentAt = sent.eventTimeMicros === undefined ? null : Number(sent.eventTimeMicros / 1000n);
        const inRun =
          sentAt === null
            ? Date.parse(eventTime) >= run.from && Date.parse(eventTime) <= run.to
            : Date.parse(eventTime) === sentAt;
        // A person sent again under a new event time keeps the day of their earliest version: a day of the
        // run, not after the stored version's; a person sent at a chosen time, that time's day.
        const firstDay = String(row['first_event_day']);
        const firstInRun =
          sentAt === null
            ? firstDay >= new Date(run.from).toISOString().slice(0, 10) && firstDay <= eventTime.slice(0, 10)
            : firstDay === new Date(sentAt).toISOString().slice(0, 10);
        for (const column of new Set([...Object.keys(row), ...Object.keys(want), 'updated_at'])) {
          const same =
            column === 'updated_at'
              ? inRun
              : column === 'first_event_day' && enriched.ok
                ? firstInRun
                : JSON.stringify(row[column]) === JSON.stringify(want[column]);
          if (!same) differences.push({ userId, column, stored: row[column], expected: want[column] });
        }
      }
    },
    result: (): { present: number; differences: CellDifference[] } => ({ present: met.size, differences }),
  };
}

/**
 * Reads every sent person's row from Cassandra by key (at the clients' LOCAL_QUORUM) and compares every
 * column with what a run without faults stores (`storedUsersCheck`). For a table other runs share.
 */
export async function compareStoredUsers(client: Client, people: readonly SentPerson[], run: RunWindow) {
  const stored = storedUsersCheck(people, run, 'error');
  const { ids } = stored;
  const pages = Array.from({ length: Math.ceil(ids.length / PAGE) }, (_, p) =>
    ids.slice(p * PAGE, (p + 1) * PAGE),
  );
  // A few pages at a time: the nodes answer in parallel, the check does not take minutes.
  for (let p = 0; p < pages.length; p += READS_IN_FLIGHT) {
    const pageRows = await Promise.all(
      pages.slice(p, p + READS_IN_FLIGHT).map((page) => readPage(client, page)),
    );
    for (const rs of pageRows) stored.check(rs.rows);
  }
  return stored.result();
}

/** The Murmur3 partitioner's ring: tokens run from just above -2^63 to 2^63 - 1. */
const RING_MIN = -(2n ** 63n);
const RING_MAX = 2n ** 63n - 1n;

/**
 * The ring cut into `parts` ranges `(start, end]` that follow one another without gap or overlap, from
 * the ring's minimum (no key's token) to its maximum.
 */
export function tokenRanges(parts: number): { start: bigint; end: bigint }[] {
  const span = RING_MAX - RING_MIN;
  const bound = (i: number) => (i === parts ? RING_MAX : RING_MIN + (span * BigInt(i)) / BigInt(parts));
  return Array.from({ length: parts }, (_, i) => ({ start: bound(i), end: bound(i + 1) }));
}

/** Token ranges read at once, rows per page of each: pages a busy two-core cluster answers in seconds. */
const RANGES = 12;
const RANGES_IN_FLIGHT = 3;
const RANGE_PAGE = 2000;
const RANGE_READ = 'SELECT * FROM users WHERE token(user_id) > ? AND token(user_id) <= ?';

/**
 * The same comparison as `compareStoredUsers`, reading the whole `users` table instead of asking for each
 * person: token range by token range, page by page (each page tried again on a timeout, from where it
 * stood), at the clients' LOCAL_QUORUM. A range read is one sequential read on each of two replicas where
 * a read by key is one per person, so 60,000 people take seconds, not minutes. For a keyspace that only
 * the test's own runs write (the cluster's own home): every row is read, another run's passed over.
 */
export async function compareWholeTable(client: Client, people: readonly SentPerson[], run: RunWindow) {
  const stored = storedUsersCheck(people, run, 'pass over');
  const queue = tokenRanges(RANGES);
  const reader = async () => {
    for (let range = queue.shift(); range; range = queue.shift()) {
      const bounds = [types.Long.fromString(String(range.start)), types.Long.fromString(String(range.end))];
      let pageState: string | undefined;
      do {
        const rs = await retryingTimeouts(() =>
          client.execute(RANGE_READ, bounds, { prepare: true, fetchSize: RANGE_PAGE, pageState }),
        );
        stored.check(rs.rows);
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
  };
  await Promise.all(Array.from({ length: RANGES_IN_FLIGHT }, reader));
  return stored.result();
}
