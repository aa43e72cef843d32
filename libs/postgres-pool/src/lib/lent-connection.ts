import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { PoolSizes } from './pool-budget';

/** Where a store connects: a role on a database. */
export interface PostgresLogin {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  /** Each of the process's pools' share of its `POSTGRES_POOL_MAX`; without it, each pool's default size. */
  pools?: PoolSizes;
}

/** A connection came after the request that asked for it had stopped waiting. */
export class ConnectionTooLateError extends Error {}

/**
 * Lends `work` one connection of `pool`, and takes it back:
 * - into the pool after `work` succeeded, or failed with an error PostgreSQL answered and survived
 *   (severity ERROR: a cancelled statement, a lock timeout, a constraint);
 * - closed after any other error: the connection broke, the client gave up on it mid-answer, or its
 *   backend is ending (severity FATAL: a restart, `pg_terminate_backend`);
 * - unused, with `ConnectionTooLateError`, when it comes after `lendBy` (ms since the epoch): whoever
 *   asked has moved on, and its statement must not run behind its back.
 *
 * pg-pool stops listening to a connection while it is lent, and pg reports a broken socket as an `error`
 * event before it fails the statement: unheard, that event would end the process. It is heard here.
 */
export async function withConnection<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  lendBy = Number.POSITIVE_INFINITY,
): Promise<T> {
  const client = await pool.connect();
  if (Date.now() > lendBy) {
    client.release();
    throw new ConnectionTooLateError('the connection came after its request had stopped waiting');
  }
  let broken: Error | undefined;
  const onError = (err: Error) => (broken ??= err);
  client.on('error', onError);
  try {
    return await work(client);
  } catch (err) {
    if (!(err instanceof DatabaseError && err.severity === 'ERROR')) broken ??= err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
