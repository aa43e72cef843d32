import { Pool } from 'pg';

/** Where the limit is kept: the services' PostgreSQL role on the stack's database. */
export interface RateLimitPostgresSettings {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/** One request counted against a key's window, as PostgreSQL answered it. */
export interface RateLimitHit {
  /** False when the key already had `limit` requests in the window: this one is refused and not counted. */
  allowed: boolean;
  /** Requests in the window, this one included (counted or not). */
  total: number;
  /** Milliseconds until the oldest request in the window leaves it, and a refused key may send again. */
  msUntilFirstLeaves: number;
}

/** PostgreSQL's clock in milliseconds since the epoch, one value for the whole statement. */
const NOW_MS = `(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;

/**
 * One request against key $1's window of $2 ms, at most $3 requests in it: ONE statement, atomic per key.
 * The row keeps when each counted request leaves the window (a sliding log, as @nestjs/throttler's own
 * storage keeps in memory), so the limit is exactly "at most $3 requests in any $2 ms", across replicas:
 * - a fixed-window counter (one row per key and window) would let 2 × $3 through across a window edge;
 * - a token bucket gives one request back every $2 / $3 ms, so up to 2 × $3 in one window of $2 ms;
 * both would change what clients see today. The cost is an array of at most $3 numbers per key.
 *
 * The first request of a key inserts its row; every later one takes the row's lock (ON CONFLICT DO UPDATE
 * waits for a concurrent writer and then reads its row), drops what left the window and appends itself
 * only while fewer than $3 remain. A refused request is not counted, as with `blockDuration: 0`.
 * Times are PostgreSQL's, so the replicas' clocks never disagree about a window.
 */
const HIT = `
  INSERT INTO ingestion.rate_limit_hits AS r (key, hits, blocked, expires_at)
  SELECT $1, ARRAY[t.now_ms + $2::bigint], false, t.now_ms + $2::bigint FROM (SELECT ${NOW_MS} AS now_ms) t
  ON CONFLICT (key) DO UPDATE SET (hits, blocked, expires_at) = (
    SELECT CASE WHEN cardinality(w.live) < $3 THEN w.live || EXCLUDED.expires_at ELSE w.live END,
           cardinality(w.live) >= $3,
           CASE WHEN cardinality(w.live) < $3 THEN EXCLUDED.expires_at ELSE r.expires_at END
    FROM (SELECT ARRAY(SELECT h FROM unnest(r.hits) AS h WHERE h > EXCLUDED.expires_at - $2::bigint) AS live) w)
  RETURNING NOT blocked AS allowed, cardinality(hits) AS counted,
    (SELECT min(h) FROM unnest(hits) AS h) - ${NOW_MS} AS ms_until_first_leaves`;

/** Rows whose every request left the window; run on a timer, never per request. */
const SWEEP = `DELETE FROM ingestion.rate_limit_hits WHERE expires_at <= ${NOW_MS}`;

/**
 * The rate limit's rows in PostgreSQL (`ingestion.rate_limit_hits`), shared by every ingestion replica.
 * Each statement is bounded by `timeoutMs` both in PostgreSQL (`statement_timeout`, e.g. waiting on a
 * row lock) and in the client (`query_timeout`, a server that stopped answering), and so is getting a
 * connection: a request never waits on the limiter longer than that.
 */
export class RateLimitRepository {
  private readonly pool: Pool;

  constructor(s: RateLimitPostgresSettings, timeoutMs: number, onIdleError: (err: Error) => void) {
    this.pool = new Pool({
      host: s.host,
      port: s.port,
      user: s.username,
      password: s.password,
      database: s.database,
      max: 8,
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
    });
    // An idle connection PostgreSQL closed (a restart) is reported here; unheard, it would end the process.
    this.pool.on('error', onIdleError);
  }

  async hit(key: string, windowMs: number, limit: number): Promise<RateLimitHit> {
    const { rows } = await this.pool.query<{
      allowed: boolean;
      counted: number;
      ms_until_first_leaves: string;
    }>(HIT, [key, windowMs, limit]);
    const row = rows[0];
    return {
      allowed: row.allowed,
      total: row.counted + (row.allowed ? 0 : 1),
      msUntilFirstLeaves: Math.max(0, Number(row.ms_until_first_leaves)),
    };
  }

  /** Deletes the rows that limit nothing any more; resolves with how many. */
  async sweep(): Promise<number> {
    return (await this.pool.query(SWEEP)).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
