import { createServer, type Socket } from 'node:net';
import { type ScratchDatabase, scratchPostgresDatabase } from '@sparkflow/testing';
import { IDEMPOTENCY_MIGRATIONS } from './idempotency-migrations';
import { IdempotencyKeysRepository, type IdempotencyEntry } from './idempotency-keys.repository';

/** The keys' statements against the stack's PostgreSQL, in a database of the test's own. */
describe('IdempotencyKeysRepository', () => {
  let scratch: ScratchDatabase;
  const repositories: IdempotencyKeysRepository[] = [];

  const repository = (port?: number, timeoutMs = 2000) => {
    const r = new IdempotencyKeysRepository(
      { ...scratch.admin, port: port ?? scratch.admin.port, database: scratch.database },
      timeoutMs,
      () => undefined,
    );
    repositories.push(r);
    return r;
  };
  const proposal = (n: number): IdempotencyEntry => ({
    batchId: `http-push-${n}`,
    firstEventMicros: 1_796_256_000_000_000n + BigInt(n),
    bodySha256: `digest-${n}`,
  });

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('idempotency_it', IDEMPOTENCY_MIGRATIONS);
  });
  afterAll(async () => {
    for (const r of repositories) await r.close();
    await scratch?.drop();
  });

  it('answers every concurrent first request, across pools, with the one proposal that was stored', async () => {
    // Eight replicas' pools race for one key, each proposing its own batch: all get the same one back.
    const pools = Array.from({ length: 8 }, () => repository());
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}`;
      const answers = await Promise.all(pools.map((r, i) => r.claim(key, proposal(i), 3600)));
      expect(new Set(answers.map((a) => JSON.stringify(a, (_, v: unknown) => String(v)))).size).toBe(1);
      expect(answers.map((a) => a.batchId)).toContain(answers[0].batchId);
      const [stored] = (await scratch.ds.query(
        `SELECT batch_id, first_event_us, body_sha256 FROM ingestion.idempotency_keys WHERE key = $1`,
        [key],
      )) as { batch_id: string; first_event_us: string }[];
      expect(stored.batch_id).toBe(answers[0].batchId);
      expect(BigInt(stored.first_event_us)).toBe(answers[0].firstEventMicros);
    }
  });

  it('keeps the first entry for later requests, then replaces it once expired, and the sweep deletes expired ones', async () => {
    const r = repository();
    expect(await r.claim('lives', proposal(1), 3600)).toEqual(proposal(1));
    expect(await r.claim('lives', proposal(2), 3600)).toEqual(proposal(1));
    expect(await r.claim('expires', proposal(3), 0.001)).toEqual(proposal(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await r.claim('expires', proposal(4), 0.001)).toEqual(proposal(4));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await r.sweep()).toBeGreaterThanOrEqual(1);
    const left = (await scratch.ds.query(
      `SELECT key FROM ingestion.idempotency_keys WHERE key IN ('lives', 'expires')`,
    )) as { key: string }[];
    expect(left).toEqual([{ key: 'lives' }]);
  });

  it('rejects within its timeout when PostgreSQL is refused or never answers', async () => {
    // Nothing listens on port 1: refused at once.
    await expect(repository(1, 300).claim('refused', proposal(1), 3600)).rejects.toThrow();
    // A server that accepts connections and never says a word: the request gives up at its timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      await expect(repository(port, 300).claim('silent', proposal(1), 3600)).rejects.toThrow(
        'no answer within 300 ms',
      );
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
