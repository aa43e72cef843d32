import { BoundedPool, poolSize, type PostgresLogin } from '@sparkflow/postgres-pool';

/** Where the keys are kept: the services' PostgreSQL role on the stack's database. */
export type IdempotencyPostgresSettings = PostgresLogin;

/** The key store's pool: its name in `pg_stat_activity` and in a process's `POSTGRES_POOL_MAX` split. */
export const IDEMPOTENCY_POOL = 'sparkflow-idempotency';
/** Its size when the process sets no `POSTGRES_POOL_MAX`. */
export const IDEMPOTENCY_POOL_MAX = 8;

/**
 * What a key holds; the same shape as ingestion-core's `KeyedPush`. A backfill's key (scoped apart from
 * pushes' in the key's digest) holds the backfill's id as `batchId` and its request time as `firstEventMicros`;
 * a synthetic batch's entry (scoped by its batch id alone) holds the batch id and its first event time.
 */
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
 * Ingestion's Idempotency-Keys (and synthetic batches' event times) in PostgreSQL (`ingestion.idempotency_keys`), shared by every replica.
 * A request never waits on it longer than `timeoutMs`, getting a connection included; then it is
 * refused (503), never produced without its key checked. A claim that PostgreSQL completes after the
 * request gave up only stores the proposal: nothing was produced, and the retry produces it. Commits
 * wait for the WAL (`synchronous_commit` left on): a key lost in a crash of PostgreSQL would let a retry
 * make a second batch. Connections are named `sparkflow-idempotency` in `pg_stat_activity`; there are at
 * most the pool's share of the process's `POSTGRES_POOL_MAX` (`s.pools`), `IDEMPOTENCY_POOL_MAX` without one.
 */
export class IdempotencyKeysRepository {
  private readonly pool: BoundedPool;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(s: IdempotencyPostgresSettings, timeoutMs: number, onIdleError: (err: Error) => void) {
    this.pool = new BoundedPool(s, {
      applicationName: IDEMPOTENCY_POOL,
      max: poolSize(s.pools, IDEMPOTENCY_POOL, IDEMPOTENCY_POOL_MAX),
      timeoutMs,
      onIdleError,
    });
  }

  /** The entry of `key`: `proposed`, stored for `ttlSeconds`, unless a live one was there. */
  async claim(key: string, proposed: IdempotencyEntry, ttlSeconds: number): Promise<IdempotencyEntry> {
    const { rows } = await this.pool.query<{ batch_id: string; first_event_us: string; body_sha256: string }>(
      {
        name: 'idempotency-claim', // named: parsed and planned once per connection
        text: CLAIM,
        values: [key, proposed.batchId, String(proposed.firstEventMicros), proposed.bodySha256, ttlSeconds],
      },
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
    return (await this.pool.run({ text: SWEEP })).rowCount ?? 0;
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

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.pool.close();
  }
}
