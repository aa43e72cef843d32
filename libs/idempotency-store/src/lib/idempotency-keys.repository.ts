import { DatabaseError, Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';

/** Where the keys are kept: the services' PostgreSQL role on the stack's database. */
export interface IdempotencyPostgresSettings {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/** What a key holds; the same shape as ingestion-core's `KeyedPush`. */
export interface IdempotencyEntry {
  batchId: string;
  /** Microseconds since the epoch. */
  firstEventMicros: bigint;
  bodySha256: string;
}

const COLUMNS = ['batch_id', 'first_event_us', 'body_sha256', 'created_at', 'expires_at'];

/**
 * Stores the proposal $2–$4 under key $1 for $5 seconds unless a live entry is there, and answers the
 * entry that stands: ONE statement. `ON CONFLICT DO NOTHING` and a read of the row in the same statement
 * would miss the row of a concurrent first request (the read sees the snapshot taken before that request
 * committed, and answers nothing); `DO UPDATE` waits for that request's row and returns it. A live
 * entry is written back unchanged (a retry costs one row version); an expired one the sweep has not
 * deleted yet is replaced, so a key expires at `expires_at` exactly, whenever the sweep runs.
 * Times are PostgreSQL's, so the replicas' clocks never disagree.
 */
const CLAIM = `
  INSERT INTO ingestion.idempotency_keys AS k (key, ${COLUMNS.join(', ')})
  VALUES ($1, $2, $3, $4, statement_timestamp(), statement_timestamp() + make_interval(secs => $5))
  ON CONFLICT (key) DO UPDATE SET ${COLUMNS.map(
    (c) => `${c} = CASE WHEN k.expires_at <= statement_timestamp() THEN EXCLUDED.${c} ELSE k.${c} END`,
  ).join(', ')}
  RETURNING batch_id, first_event_us, body_sha256`;

/** Entries past their 24 h; run on a timer, never per request. */
const SWEEP = `DELETE FROM ingestion.idempotency_keys WHERE expires_at <= statement_timestamp()`;

/**
 * How long opening a connection may take: longer than a request waits, since under load opening one
 * can take longer than a statement. A request that gave up leaves the attempt running, and the next
 * request finds the connection in the pool (as `RateLimitRepository` does).
 */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * How much later than PostgreSQL the client gives up on a statement: one PostgreSQL cancels
 * (`statement_timeout`) leaves its connection ready for the next; one the client abandons must be closed.
 */
const CLIENT_GRACE_MS = 1000;

/**
 * Ingestion's Idempotency-Keys in PostgreSQL (`ingestion.idempotency_keys`), shared by every replica.
 * A request never waits on it longer than `timeoutMs`, getting a connection included; then it is
 * refused (503), never produced without its key checked. A claim that PostgreSQL completes after the
 * request gave up only stores the proposal: nothing was produced, and the retry produces it. Commits
 * wait for the WAL (`synchronous_commit` left on): a key lost in a crash of PostgreSQL would let a retry
 * make a second batch. Connections are named `sparkflow-idempotency` in `pg_stat_activity`.
 */
export class IdempotencyKeysRepository {
  private readonly pool: Pool;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    s: IdempotencyPostgresSettings,
    private readonly timeoutMs: number,
    onIdleError: (err: Error) => void,
  ) {
    this.pool = new Pool({
      host: s.host,
      port: s.port,
      user: s.username,
      password: s.password,
      database: s.database,
      max: 8,
      application_name: 'sparkflow-idempotency',
      connectionTimeoutMillis: Math.max(timeoutMs, CONNECT_TIMEOUT_MS),
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs + CLIENT_GRACE_MS,
      keepAlive: true,
    });
    // An idle connection PostgreSQL closed (a restart) is reported here; unheard, it would end the process.
    this.pool.on('error', onIdleError);
  }

  /** The entry of `key`: `proposed`, stored for `ttlSeconds`, unless a live one was there. */
  async claim(key: string, proposed: IdempotencyEntry, ttlSeconds: number): Promise<IdempotencyEntry> {
    const { rows } = await this.withinTimeout(
      this.run<{ batch_id: string; first_event_us: string; body_sha256: string }>({
        name: 'idempotency-claim', // named: parsed and planned once per connection
        text: CLAIM,
        values: [key, proposed.batchId, String(proposed.firstEventMicros), proposed.bodySha256, ttlSeconds],
      }),
    );
    const row = rows[0];
    if (!row) throw new Error('the claim returned no row');
    return {
      batchId: row.batch_id,
      firstEventMicros: BigInt(row.first_event_us),
      bodySha256: row.body_sha256,
    };
  }

  /** Deletes the expired entries; resolves with how many. */
  async sweep(): Promise<number> {
    return (await this.run({ text: SWEEP })).rowCount ?? 0;
  }

  /** Sweeps every `everyMs` until closed; one replica's sweep serves all, so a failure is only reported. */
  sweepEvery(everyMs: number, warn: (message: string) => void): void {
    clearInterval(this.sweeper);
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: Error) =>
        warn(`idempotency keys: deleting expired keys failed: ${err.message}`),
      );
    }, everyMs);
    this.sweeper.unref();
  }

  /**
   * One statement on a pooled connection. A connection goes back to the pool after an error PostgreSQL
   * answered (a cancelled statement), and is closed after any other (it broke, or the client gave up).
   */
  private async run<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await client.query<R>(query);
    } catch (err) {
      if (!(err instanceof DatabaseError)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** `work`, or a rejection once `timeoutMs` have passed; the work itself goes on and keeps its connection. */
  private withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    work.catch(() => undefined); // failing after the request moved on concerns nobody
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.pool.end();
  }
}
