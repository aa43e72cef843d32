import { Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { type PostgresLogin, withConnection } from './lent-connection';

/**
 * How long opening a connection may take: longer than a request waits, since under load opening one (a
 * backend forked, SCRAM) can take longer than a statement. A request that gave up waiting leaves the
 * attempt running, and a later request finds the connection in the pool; were the attempt cut at the
 * request's deadline, every attempt on a busy machine would be.
 */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * How much later than PostgreSQL the client gives up on a statement. A statement PostgreSQL cancels
 * (`statement_timeout`) leaves its connection ready for the next one; one the client abandons leaves it
 * mid-answer, and it has to be closed.
 */
const CLIENT_GRACE_MS = 1000;

export interface BoundedPoolOptions {
  /** The connections' name in `pg_stat_activity`. */
  applicationName: string;
  max: number;
  /** How long a request waits for its statement, getting a connection included. */
  timeoutMs: number;
  /** An idle connection PostgreSQL closed (a restart); unheard, it would end the process. */
  onIdleError: (err: Error) => void;
  /** Run-time settings of every connection, as libpq's `options` (`-c name=value`). */
  options?: string;
}

/**
 * A pool for a store answered on a request's path (ingestion's rate limit and Idempotency-Keys): a
 * request never waits on it longer than `timeoutMs`, and what it leaves behind stays useful:
 * - PostgreSQL cancels a statement after `timeoutMs` too (`statement_timeout`), and its connection
 *   goes back to the pool;
 * - a connection being opened keeps opening (up to 5 s) for the next request;
 * - a connection that comes after its request stopped waiting is not used for it.
 *
 * Shown in `rate-limit.repository.integration-spec.ts`: a relay that delays every connection, a row
 * lock held past the timeout, a backend ended mid-statement.
 */
export class BoundedPool {
  private readonly pool: Pool;

  constructor(
    login: PostgresLogin,
    private readonly o: BoundedPoolOptions,
  ) {
    this.pool = new Pool({
      host: login.host,
      port: login.port,
      user: login.username,
      password: login.password,
      database: login.database,
      max: o.max,
      application_name: o.applicationName,
      connectionTimeoutMillis: Math.max(o.timeoutMs, CONNECT_TIMEOUT_MS),
      statement_timeout: o.timeoutMs,
      query_timeout: o.timeoutMs + CLIENT_GRACE_MS,
      keepAlive: true,
      options: o.options,
    });
    this.pool.on('error', o.onIdleError);
  }

  /** One statement for a request: its answer, or a rejection once `timeoutMs` have passed. */
  query<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    const ms = this.o.timeoutMs;
    const work = withConnection(this.pool, (c) => c.query<R>(query), Date.now() + ms);
    work.catch(() => undefined); // failing after the request moved on concerns nobody
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** One statement off any request's path (a sweep on a timer): bounded by PostgreSQL's timeout only. */
  run<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    return withConnection(this.pool, (c) => c.query<R>(query));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
