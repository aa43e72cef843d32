import { createServer } from 'node:net';
import { Client, DatabaseError } from 'pg';
import { type SparkflowException, disposition, httpStatus } from '@sparkflow/errors';
import { backfillStoreError, storeDidNotAnswer } from './store-errors';

/** An error as node-postgres raises it for an ErrorResponse of the server. */
function answered(sqlstate: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = sqlstate;
  err.severity = sqlstate.startsWith('57P') ? 'FATAL' : 'ERROR';
  return err;
}

const answerTo = (err: unknown) => {
  try {
    backfillStoreError(err);
  } catch (e) {
    const code = (e as SparkflowException).code;
    return { status: httpStatus(code), waited: disposition(code) === 'wait' };
  }
  throw new Error('backfillStoreError returned');
};

describe('backfillStoreError', () => {
  it.each([
    ['22008', 'date/time field value out of range: "0000-01-01T00:00:00.000Z"'],
    ['22P02', 'invalid input syntax for type uuid: "x"'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['23505', 'duplicate key value violates unique constraint "backfills_pkey"'],
    ['23514', 'new row for relation "backfill_batches" violates check constraint'],
    ['42703', 'column "nope" does not exist'],
  ])('answers a statement PostgreSQL refused (%s) 500, never 503 with Retry-After', (sqlstate, message) => {
    expect(storeDidNotAnswer(answered(sqlstate, message))).toBe(false);
    expect(answerTo(answered(sqlstate, message))).toEqual({ status: 500, waited: false });
  });

  it.each([
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
    ['57014', 'canceling statement due to statement timeout'],
    ['40001', 'could not serialize access due to concurrent update'],
  ])('answers PostgreSQL that cannot work now (%s) 503 with Retry-After', (sqlstate, message) => {
    expect(answerTo(answered(sqlstate, message))).toEqual({ status: 503, waited: true });
  });

  it.each([
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
    ['a statement timing out in the driver', new Error('Query read timeout')],
    ['a connection closing under a statement', new Error('Connection terminated unexpectedly')],
    [
      'an error whose cause is a refused connection',
      new Error('could not claim', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
    ],
  ])('answers a store that did not answer (%s) 503 with Retry-After', (_, err) => {
    expect(answerTo(err)).toEqual({ status: 503, waited: true });
  });

  it('answers 503 when nothing listens where PostgreSQL should be', async () => {
    // A port just freed: the connection is refused as it is when PostgreSQL is down.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const err = await new Client({ host: '127.0.0.1', port, connectionTimeoutMillis: 2000 }).connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(storeDidNotAnswer(err)).toBe(true);
    expect(answerTo(err)).toEqual({ status: 503, waited: true });
  });

  it('keeps the store’s message and SQLSTATE in what it answers', () => {
    expect(() => backfillStoreError(answered('22008', 'date/time field value out of range'))).toThrow(
      "PostgreSQL refused the backfill store's statement (22008): date/time field value out of range",
    );
  });
});
