import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { poolSize, type PostgresLogin, withConnection } from '@sparkflow/postgres-pool';

export interface StoredBatch {
  day: string;
  batchId: string;
  expected: number;
  produced: number;
}

/** A backfill as every replica reads it. `request` is stored as the JSON ingestion validated. */
export interface StoredBackfill {
  id: string;
  request: unknown;
  /** `running` until it ends: `produced`, `failed`, or `cancelled` (`cancel`); none of those ever changes. */
  status: 'running' | 'produced' | 'failed' | 'cancelled';
  error: string | null;
  /** How many times a replica took it up: 1 for its start, one more for each takeover. */
  attempts: number;
  batches: StoredBatch[];
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /**
   * When it was requested, as the replica that took the request recorded it (whole milliseconds): its
   * people's event times follow from it, so a chunk produced again after a crash carries the same ones.
   */
  requestedAt: Date;
}

/** Where the store connects: the services' PostgreSQL role on the stack's database. */
export type PostgresSettings = PostgresLogin;

/** The backfill pool's name in `pg_stat_activity` and in a process's `POSTGRES_POOL_MAX` split. */
export const BACKFILL_POOL = 'sparkflow-backfills';
/** Its size when the process sets no `POSTGRES_POOL_MAX`. */
export const BACKFILL_POOL_MAX = 4;

/**
 * The backfill store's connections: a pool of its own, no ORM (the schema comes from `provisionPostgres`,
 * and every statement is SQL written here). Connections open on first use, so ingestion starts, and
 * takes pushes, while PostgreSQL is down; only backfills wait for it. A connection attempt or a statement
 * that hangs fails within seconds, so a partition between ingestion and PostgreSQL ends a backfill's work
 * (its lease then lapses) instead of holding it. An idle connection PostgreSQL closed (a restart) is
 * reported to `onIdleError` and replaced on next use. It holds at most its share of the process's
 * `POSTGRES_POOL_MAX` (`s.pools`), `BACKFILL_POOL_MAX` without one.
 */
export function createBackfillPool(s: PostgresSettings, onIdleError: (err: Error) => void): Pool {
  const pool = new Pool({
    host: s.host,
    port: s.port,
    user: s.username,
    password: s.password,
    database: s.database,
    max: poolSize(s.pools, BACKFILL_POOL, BACKFILL_POOL_MAX),
    application_name: BACKFILL_POOL,
    connectionTimeoutMillis: 5000,
    query_timeout: 10_000,
    keepAlive: true,
  });
  pool.on('error', onIdleError);
  return pool;
}

type Row = QueryResultRow;

const SELECT_BACKFILL = `
  SELECT id, request, status, error, attempts, lease_owner, lease_until, requested_at
  FROM ingestion.backfills WHERE id = $1`;
/**
 * The backfills still producing, oldest request first (ties by id), at most $1: the running ones, and the
 * cancelled ones whose holder may still have a chunk in flight (CANCEL leaves them a lease for that). Given a
 * day $2 and/or $3 (null: no bound), only those with a batch on a day in [$2, $3], before the limit: their
 * events fall on their batches' days (ADR 25). The EXISTS probes backfill_batches by its primary key's
 * leading column (backfill_id), so each candidate costs its own batches (at most 366), never a scan of them all.
 */
const SELECT_RUNNING = `
  SELECT b.id FROM ingestion.backfills b
  WHERE (b.status = 'running' OR (b.status = 'cancelled' AND b.lease_until > now()))
    AND (($2::date IS NULL AND $3::date IS NULL) OR EXISTS (
      SELECT 1 FROM ingestion.backfill_batches x
      WHERE x.backfill_id = b.id
        AND ($2::date IS NULL OR x.day >= $2::date) AND ($3::date IS NULL OR x.day <= $3::date)))
  ORDER BY b.requested_at, b.id LIMIT $1`;
const SELECT_BATCHES = `
  SELECT to_char(day, 'YYYY-MM-DD') AS day, batch_id, expected, produced
  FROM ingestion.backfill_batches WHERE backfill_id = $1 ORDER BY position`;

/**
 * Takes the oldest running backfill whose lease ran out (or was released); skips one another replica is
 * taking, and one whose lapsed lease is still this replica's (its own run of it may not have ended yet).
 */
const CLAIM_EXPIRED = `
  UPDATE ingestion.backfills SET lease_owner = $1, lease_until = now() + make_interval(secs => $2),
    attempts = attempts + 1, updated_at = now()
  WHERE id = (
    SELECT id FROM ingestion.backfills
    WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now()) AND lease_owner IS DISTINCT FROM $1
    ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id`;

/**
 * Progress and lease renewal in one statement: nothing changes unless this replica still holds the lease.
 * A backfill cancelled while this replica held it still takes the progress of the chunk that was in flight
 * (Kafka acknowledged it), and its holder lets it go (lease_owner and lease_until cleared: it stops there,
 * so the backfill produces nothing more and leaves the running list); the statement returns whether the
 * backfill still runs.
 */
const RECORD_PROGRESS = `
  WITH lease AS (
    UPDATE ingestion.backfills SET updated_at = now(),
      lease_owner = CASE WHEN status = 'running' THEN lease_owner END,
      lease_until = CASE WHEN status = 'running' THEN now() + make_interval(secs => $5) END
    WHERE id = $1 AND lease_owner = $2 AND status IN ('running', 'cancelled') RETURNING id, status)
  UPDATE ingestion.backfill_batches SET produced = greatest(produced, $4)
  WHERE backfill_id = (SELECT id FROM lease) AND position = $3
  RETURNING (SELECT status FROM lease) = 'running' AS running`;

/**
 * Ends a running backfill, whoever holds it: no replica takes a cancelled backfill over (CLAIM_EXPIRED
 * takes running ones only). Its holder keeps its name in lease_owner, so the chunk it has in flight is
 * still counted (RECORD_PROGRESS), and it stops there. Until it has recorded that chunk (or released the
 * backfill), the backfill may still produce events, so it stays in the running list (SELECT_RUNNING):
 * lease_until is set a lease ($2 seconds) ahead, which bounds the wait for a holder that died. One nobody
 * holds (released: its holder stopped) has nothing in flight, and leaves the list at once.
 */
const CANCEL = `
  UPDATE ingestion.backfills SET status = 'cancelled', updated_at = now(),
    lease_until = CASE WHEN lease_owner IS NULL THEN NULL ELSE now() + make_interval(secs => $2) END
  WHERE id = $1 AND status = 'running' RETURNING id`;

// A backfill cancelled while this replica held it is renewed too, as long as the replica has not let it go:
// a chunk in flight may outlast a lease when Kafka is slow, and the backfill stays listed as producing until
// it is recorded. The answer is still "not running", so the holder starts no other chunk.
const RENEW = `
  UPDATE ingestion.backfills SET lease_until = now() + make_interval(secs => $3), updated_at = now()
  WHERE id = $1 AND lease_owner = $2 AND status IN ('running', 'cancelled') RETURNING status = 'running' AS running`;

const FINISH = `
  UPDATE ingestion.backfills SET status = $3, error = $4, lease_owner = NULL, lease_until = NULL, updated_at = now()
  WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING id`;

// The owner goes too: a renewal of the old holder still in flight then finds no lease to extend. A backfill
// cancelled while this replica held it is let go the same way (its holder stopped: it leaves the running list).
const RELEASE = `
  UPDATE ingestion.backfills SET lease_owner = NULL, lease_until = NULL, updated_at = now()
  WHERE id = $1 AND lease_owner = $2 AND status IN ('running', 'cancelled') RETURNING id`;

/**
 * Backfills in PostgreSQL, shared by every ingestion replica: any replica answers for any backfill, and
 * the replica holding a backfill's lease is the only one working it. Times are PostgreSQL's `now()`, so
 * the replicas' clocks never disagree about a lease.
 */
export class BackfillStore {
  /**
   * @param owner this replica's name in leases (unique per process)
   * @param leaseSeconds how long a lease lasts without progress or renewal
   */
  constructor(
    private readonly pool: Pool,
    readonly owner: string,
    readonly leaseSeconds: number,
  ) {}

  private closed = false;

  /** Answers once PostgreSQL does (a readiness probe of the backfill routes). */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Stores a new backfill, its lease already held by this replica: true. False, storing nothing, when a
   * backfill of this id is already stored — the one a request sent again under the same Idempotency-Key
   * (same id) started, which its own replica works; a concurrent insert of the id is waited for first.
   */
  async create(b: {
    id: string;
    request: unknown;
    requestedAt: Date;
    batches: readonly Omit<StoredBatch, 'produced'>[];
  }): Promise<boolean> {
    return this.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO ingestion.backfills (id, request, status, lease_owner, lease_until, requested_at)
         VALUES ($1, $2, 'running', $3, now() + make_interval(secs => $4), $5)
         ON CONFLICT (id) DO NOTHING`,
        [b.id, JSON.stringify(b.request), this.owner, this.leaseSeconds, b.requestedAt],
      );
      if (inserted.rowCount !== 1) return false;
      await tx.query(
        `INSERT INTO ingestion.backfill_batches (backfill_id, position, day, batch_id, expected)
         SELECT $1, p - 1, d, id, n FROM unnest($2::date[], $3::text[], $4::int[]) WITH ORDINALITY AS t(d, id, n, p)`,
        [
          b.id,
          b.batches.map((x) => x.day),
          b.batches.map((x) => x.batchId),
          b.batches.map((x) => x.expected),
        ],
      );
      return true;
    });
  }

  async get(id: string): Promise<StoredBackfill | null> {
    const [row] = await this.rows(SELECT_BACKFILL, [id]);
    if (!row) return null;
    const batches = await this.rows(SELECT_BATCHES, [id]);
    return {
      id: String(row['id']),
      request: row['request'],
      status: row['status'] as StoredBackfill['status'],
      error: (row['error'] as string | null) ?? null,
      attempts: Number(row['attempts']),
      batches: batches.map((r) => ({
        day: String(r['day']),
        batchId: String(r['batch_id']),
        expected: Number(r['expected']),
        produced: Number(r['produced']),
      })),
      leaseOwner: (row['lease_owner'] as string | null) ?? null,
      leaseUntil: (row['lease_until'] as Date | null) ?? null,
      requestedAt: row['requested_at'] as Date,
    };
  }

  /**
   * The backfills still producing, the oldest request first, at most `limit`: the `running` ones, and the
   * `cancelled` ones whose holder has not yet recorded the chunk it had in flight when they were cancelled
   * (nor released them) — each for at most a lease (`leaseSeconds`) after its cancel, so a holder that died
   * holds none up longer. Each as `get` reads it, its status as stored; one that ends, or whose holder lets
   * it go, between the two reads is left out. With `days.from` and/or `days.to` (ISO days, both included; an
   * absent one is no bound), only those with a batch on a day in that range, the limit and `more` applying to
   * them alone.
   */
  async running(
    limit: number,
    days: { from?: string; to?: string } = {},
  ): Promise<{ backfills: StoredBackfill[]; more: boolean }> {
    // One more than asked: whether more are producing is the list's answer, not what is left of it below.
    const ids = await this.rows(SELECT_RUNNING, [limit + 1, days.from ?? null, days.to ?? null]);
    const found = await Promise.all(ids.slice(0, limit).map((r) => this.get(String(r['id']))));
    const backfills = found.filter(
      (b): b is StoredBackfill =>
        b !== null && (b.status === 'running' || (b.status === 'cancelled' && b.leaseUntil !== null)),
    );
    return { backfills, more: ids.length > limit };
  }

  /** Takes over the oldest running backfill nobody holds a live lease on; null when there is none. */
  async claimExpired(): Promise<StoredBackfill | null> {
    const [claimed] = await this.rows(CLAIM_EXPIRED, [this.owner, this.leaseSeconds]);
    return claimed ? this.get(String(claimed['id'])) : null;
  }

  /**
   * Records that batch `position` has `produced` people acknowledged by Kafka; false when the lease is lost,
   * or when the backfill was cancelled (the progress is recorded then, as long as this replica held it, and
   * this replica no longer holds it: the backfill leaves the running list).
   */
  async recordProgress(id: string, position: number, produced: number): Promise<boolean> {
    const [row] = await this.rows(RECORD_PROGRESS, [id, this.owner, position, produced, this.leaseSeconds]);
    return row?.['running'] === true;
  }

  /**
   * Cancels a running backfill, on whichever replica works it: true when this call cancelled it; false when
   * it is not running (already cancelled, produced or failed, or not stored). Its holder stops after the
   * chunk it has in flight, the first time it records progress or renews its lease. It stays in `running`
   * until its holder records that chunk or releases it, at most `leaseSeconds` from now.
   */
  async cancel(id: string): Promise<boolean> {
    return this.changed(CANCEL, [id, this.leaseSeconds]);
  }

  /**
   * Extends the lease; false when another replica holds it now, or when it was cancelled. A cancelled
   * backfill this replica has not let go is extended all the same (its chunk in flight may outlast a lease),
   * until its holder records that chunk or releases it.
   */
  async renew(id: string): Promise<boolean> {
    const [row] = await this.rows(RENEW, [id, this.owner, this.leaseSeconds]);
    return row?.['running'] === true;
  }

  /** Ends the backfill this replica holds; false when it no longer holds it or it was cancelled. */
  async finish(id: string, status: 'produced' | 'failed', error: string | null = null): Promise<boolean> {
    return this.changed(FINISH, [id, this.owner, status, error]);
  }

  /**
   * Gives the lease up at once (on shutdown, or after an error), so another replica — or this one
   * restarted — resumes it. On a backfill cancelled while this replica held it, says this replica stopped
   * working it: it leaves the running list at once.
   */
  async release(id: string): Promise<boolean> {
    return this.changed(RELEASE, [id, this.owner]);
  }

  /** True when the statement changed a row (it returns the rows it changed). */
  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await this.rows(sql, params)).length > 0;
  }

  private async rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.pool.query<Row>(sql, params)).rows;
  }

  /** `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  private transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return withConnection(this.pool, async (tx) => {
      await tx.query('BEGIN');
      try {
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        // A connection whose rollback failed is closed (`withConnection` closes it after a plain Error).
        await tx.query('ROLLBACK').catch((rollback: Error) => {
          throw new Error(`${(err as Error).message} (and the rollback failed: ${rollback.message})`, {
            cause: err,
          });
        });
        throw err;
      }
    });
  }
}
