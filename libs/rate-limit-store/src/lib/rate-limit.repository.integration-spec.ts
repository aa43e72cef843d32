import { createServer } from 'node:net';
import type { DataSource } from 'typeorm';
import { type ScratchDatabase, scratchPostgresDatabase } from '@sparkflow/testing';
import { RATE_LIMIT_MIGRATIONS } from './rate-limit-migrations';
import { RateLimitRepository } from './rate-limit.repository';
import { SharedThrottlerStorage } from './shared-throttler-storage';

const noWarnings = (m: string | Error) => {
  throw new Error(`unexpected warning: ${String(m)}`);
};

/** A port nothing listens on: connecting is refused, as when PostgreSQL is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the rate limit on the stack’s PostgreSQL', () => {
  // A database of its own, so the keys and the sweep touch nothing of the stack's ingestion.
  let scratch: ScratchDatabase;
  let ds: DataSource;
  const replicas: RateLimitRepository[] = [];
  const replica = () => {
    const r = new RateLimitRepository({ ...scratch.admin, database: scratch.database }, 2000, noWarnings);
    replicas.push(r);
    return r;
  };
  const rowOf = async (key: string) =>
    (
      (await ds.query(`SELECT hits FROM ingestion.rate_limit_hits WHERE key = $1`, [key])) as {
        hits: string[];
        blocked: boolean;
      }[]
    )[0];

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('rate_limit_it', RATE_LIMIT_MIGRATIONS);
    ds = scratch.ds;
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await scratch?.drop();
  });

  it('lets exactly `limit` of many concurrent requests through from two replicas, and counts only those', async () => {
    const [a, b] = [replica(), replica()];
    const hits = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).hit('concurrent', 60_000, 10)),
    );
    expect(hits.filter((h) => h.allowed)).toHaveLength(10);
    expect((await rowOf('concurrent')).hits).toHaveLength(10);
    // Each refusal says the window is full and when its oldest request leaves it.
    for (const refused of hits.filter((h) => !h.allowed)) {
      expect(refused.total).toBe(11);
      expect(refused.msUntilFirstLeaves).toBeGreaterThan(50_000);
      expect(refused.msUntilFirstLeaves).toBeLessThanOrEqual(60_000);
    }
  });

  it('gives a request back once the oldest one has left the window, and not before', async () => {
    const a = replica();
    for (let i = 0; i < 3; i++) expect((await a.hit('slide', 60_000, 3)).allowed).toBe(true);
    expect((await a.hit('slide', 60_000, 3)).allowed).toBe(false);
    // The oldest request left the window (its time moved back, rather than the test waiting a minute).
    await ds.query(
      `UPDATE ingestion.rate_limit_hits SET hits[1] = (extract(epoch FROM now()) * 1000)::bigint - 1 WHERE key = 'slide'`,
    );
    expect(await a.hit('slide', 60_000, 3)).toMatchObject({ allowed: true, total: 3 });
    expect(await a.hit('slide', 60_000, 3)).toMatchObject({ allowed: false, total: 4 });
  });

  it('keeps one window per key', async () => {
    const a = replica();
    expect((await a.hit('key-a', 60_000, 1)).allowed).toBe(true);
    expect((await a.hit('key-a', 60_000, 1)).allowed).toBe(false);
    expect((await a.hit('key-b', 60_000, 1)).allowed).toBe(true);
  });

  it('sweeps away the rows whose every request left the window, and only those', async () => {
    const a = replica();
    await a.hit('gone', 60_000, 5);
    await a.hit('live', 60_000, 5);
    await ds.query(
      `UPDATE ingestion.rate_limit_hits SET hits = ARRAY[1::bigint], expires_at = 1 WHERE key = 'gone'`,
    );
    expect(await a.sweep()).toBeGreaterThanOrEqual(1);
    expect(await rowOf('gone')).toBeUndefined();
    expect(await rowOf('live')).toBeDefined();
  });

  it('limits in process, with one warn line, while PostgreSQL does not answer', async () => {
    const warnings: string[] = [];
    const down = new RateLimitRepository(
      { ...scratch.admin, database: scratch.database, port: await closedPort() },
      500,
      noWarnings,
    );
    const storage = new SharedThrottlerStorage(down, { warn: (m) => warnings.push(m), log: noWarnings });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await storage.increment('outage', 60_000, 3, 0, 'default'));
      expect(answers.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
      expect(answers[3].timeToBlockExpire).toBe(60);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/PostgreSQL did not answer.*limiting in this process alone/);
    } finally {
      await storage.onApplicationShutdown();
    }
  });

  it('answers through PostgreSQL as Throttler expects: the refusal blocked, with the wait in seconds', async () => {
    const own = new RateLimitRepository({ ...scratch.admin, database: scratch.database }, 2000, noWarnings);
    const storage = new SharedThrottlerStorage(own, { warn: noWarnings, log: noWarnings });
    const answers = [];
    try {
      for (let i = 0; i < 3; i++) answers.push(await storage.increment('throttler', 1500, 2, 0, 'default'));
    } finally {
      await storage.onApplicationShutdown();
    }
    expect(answers.map((r) => [r.isBlocked, r.totalHits])).toEqual([
      [false, 1],
      [false, 2],
      [true, 3],
    ]);
    expect(answers[2].timeToBlockExpire).toBe(2);
  });
});
