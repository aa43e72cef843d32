import { BoundedPool, poolSize, type PostgresLogin } from '@sparkflow/postgres-pool';

/** Where the limit is kept: the services' PostgreSQL role on the stack's database. */
export type RateLimitPostgresSettings = PostgresLogin;

/** The limiter's pool: its name in `pg_stat_activity` and in a process's `POSTGRES_POOL_MAX` split. */
export const RATE_LIMIT_POOL = 'sparkflow-rate-limit';
/** Its size when the process sets no `POSTGRES_POOL_MAX`. */
export const RATE_LIMIT_POOL_MAX = 8;

/** One request counted against a key's window, as PostgreSQL answered it. */
export interface RateLimitHit {
  /** False when the key already had `limit` requests in the window: this one is refused and not counted. */
  allowed: boolean;
  /** Requests in the window, this one included (counted or not). */
  total: number;
  /** Milliseconds until the oldest request in the window leaves it, and a refused key may send again. */
  msUntilFirstLeaves: number;
}

/**
 * One request against key $1's window of $2 ms, at most $3 requests in it: ONE statement, atomic per key.
 * The row keeps when each counted request leaves the window (a sliding log, as @nestjs/throttler's own
 * storage keeps in memory), so the limit is exactly "at most $3 requests in any $2 ms", across replicas:
 * - a fixed-window counter (one row per key and window) would let 2 × $3 through across a window edge;
 * - a token bucket gives one request back every $2 / $3 ms, so up to 2 × $3 in one window of $2 ms;
 * both would change what clients see today. The cost is an array of at most $3 numbers per key.
 *
 * The first request of a key inserts its row. Every later one takes the row's lock (ON CONFLICT DO
 * UPDATE waits for a concurrent writer, then judges the row it wrote): while fewer than $3 requests are
 * still in the window it drops the ones that left and appends itself; otherwise it writes nothing (a
 * refused request is not counted, as with `blockDuration: 0`) and the second branch reads how long until
 * the oldest one leaves, for Retry-After. Times are PostgreSQL's, so the replicas' clocks never disagree.
 */
const HIT = `
  WITH clock AS (SELECT (extract(epoch FROM statement_timestamp()) * 1000)::bigint AS now_ms),
  counted AS (
    INSERT INTO ingestion.rate_limit_hits AS r (key, hits, expires_at)
    SELECT $1, ARRAY[now_ms + $2::bigint], now_ms + $2::bigint FROM clock
    ON CONFLICT (key) DO UPDATE
      SET hits = ARRAY(SELECT h FROM unnest(r.hits) AS h WHERE h > EXCLUDED.expires_at - $2::bigint)
                 || EXCLUDED.expires_at,
          expires_at = EXCLUDED.expires_at
      WHERE (SELECT count(*) FROM unnest(r.hits) AS h WHERE h > EXCLUDED.expires_at - $2::bigint) < $3
    RETURNING hits)
  SELECT true AS allowed, cardinality(c.hits) AS in_window,
    (SELECT min(h) FROM unnest(c.hits) AS h) - now_ms AS ms_until_first_leaves
  FROM counted c, clock
  UNION ALL
  SELECT false, (SELECT count(*) FROM unnest(r.hits) AS h WHERE h > now_ms)::int,
    (SELECT min(h) FROM unnest(r.hits) AS h WHERE h > now_ms) - now_ms
  FROM ingestion.rate_limit_hits r, clock
  WHERE r.key = $1 AND NOT EXISTS (SELECT FROM counted)`;

/** PostgreSQL's clock in milliseconds since the epoch. */
const NOW_MS = `(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;

/** Rows whose every request left the window; run on a timer, never per request. */
const SWEEP = `DELETE FROM ingestion.rate_limit_hits WHERE expires_at <= ${NOW_MS}`;

/**
 * The rate limit's rows in PostgreSQL (`ingestion.rate_limit_hits`), shared by every ingestion replica.
 * A request never waits on the limiter longer than `timeoutMs`, getting a connection included
 * (`BoundedPool`: what a request gives up on keeps its connection, and a connection still opening goes
 * on opening for the next one). Its connections are named `sparkflow-rate-limit` in `pg_stat_activity`;
 * there are at most the pool's share of the process's `POSTGRES_POOL_MAX` (`s.pools`), `RATE_LIMIT_POOL_MAX`
 * without one.
 */
export class RateLimitRepository {
  private readonly pool: BoundedPool;

  constructor(s: RateLimitPostgresSettings, timeoutMs: number, onIdleError: (err: Error) => void) {
    this.pool = new BoundedPool(s, {
      applicationName: RATE_LIMIT_POOL,
      max: poolSize(s.pools, RATE_LIMIT_POOL, RATE_LIMIT_POOL_MAX),
      timeoutMs,
      onIdleError,
      // A hit need not survive a crash of PostgreSQL (a lost one is a request not counted, once), so its
      // commit does not wait for the WAL to reach the disk: the key's row lock is held for the statement
      // only, not for a flush, which is what serialised concurrent requests of one key.
      options: '-c synchronous_commit=off',
    });
  }

  async hit(key: string, windowMs: number, limit: number): Promise<RateLimitHit> {
    const { rows } = await this.pool.query<{
      allowed: boolean;
      in_window: number;
      ms_until_first_leaves: string | null;
    }>({ name: 'rate-limit-hit', text: HIT, values: [key, windowMs, limit] }); // named: parsed and planned once per connection
    const row = rows[0];
    // No row at all: refused while the key's first request was being inserted (a limit of 1), unseen yet.
    if (!row) return { allowed: false, total: limit + 1, msUntilFirstLeaves: windowMs };
    return {
      allowed: row.allowed,
      // A refusal reads the window as the statement began: at least `limit` were in it when it was judged.
      total: row.allowed ? row.in_window : Math.max(row.in_window, limit) + 1,
      msUntilFirstLeaves: Math.max(0, Number(row.ms_until_first_leaves ?? windowMs)),
    };
  }

  /** Deletes the rows that limit nothing any more; resolves with how many. */
  async sweep(): Promise<number> {
    return (await this.pool.run({ text: SWEEP })).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
