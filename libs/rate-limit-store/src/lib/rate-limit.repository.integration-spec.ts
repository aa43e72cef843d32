import { type Socket, connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { type ScratchDatabase, backendWaitingOnLock, scratchPostgresDatabase } from '@sparkflow/testing';
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

/**
 * A TCP relay to PostgreSQL whose every new connection waits `delayMs` before a byte passes: a backend
 * slow to start, as on a saturated machine.
 */
async function slowToConnect(to: { host: string; port: number }, delayMs: number) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    client.pause();
    const upstream = connect(to.port, to.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    setTimeout(() => {
      client.pipe(upstream).pipe(client);
      client.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
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

  it('keeps its connection when PostgreSQL cancels a statement, so the next request needs no new one', async () => {
    const ownPids = async () =>
      (
        (await ds.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sparkflow-rate-limit'`,
          [scratch.database],
        )) as { pid: number }[]
      ).map((r) => r.pid);
    const before = new Set(await ownPids());
    const a = new RateLimitRepository({ ...scratch.admin, database: scratch.database }, 300, noWarnings);
    replicas.push(a);
    expect((await a.hit('locked', 60_000, 5)).allowed).toBe(true);
    const mine = (await ownPids()).filter((pid) => !before.has(pid));
    expect(mine).toHaveLength(1);

    // Another transaction holds the key's row: the next hit waits on its lock until PostgreSQL cancels it.
    const holder = ds.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT * FROM ingestion.rate_limit_hits WHERE key = 'locked' FOR UPDATE`);
      await expect(a.hit('locked', 60_000, 5)).rejects.toThrow();
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }

    expect((await a.hit('locked', 60_000, 5)).allowed).toBe(true);
    expect((await ownPids()).filter((pid) => !before.has(pid))).toEqual(mine);
  });

  it('keeps opening a connection that is slower than a request may wait, and answers through it once open', async () => {
    const relay = await slowToConnect({ host: scratch.admin.host, port: scratch.admin.port }, 1500);
    const a = new RateLimitRepository(
      { ...scratch.admin, database: scratch.database, port: relay.port },
      300,
      noWarnings,
    );
    try {
      // The request does not wait for the connection: it is refused an answer at its 300 ms.
      await expect(a.hit('slow-start', 60_000, 5)).rejects.toThrow('no answer within 300 ms');
      // The connection opens in the background, and a later request answers through it: every connection
      // takes 1.5 s to open, so a request answered within its 300 ms used one opened before it.
      let answered = false;
      for (let i = 0; i < 20 && !answered; i++) {
        await sleep(250);
        answered = await a.hit('slow-start', 60_000, 5).then(
          (h) => h.allowed,
          () => false,
        );
      }
      expect(answered).toBe(true);
    } finally {
      await a.close();
      await relay.close();
    }
  });

  it('survives PostgreSQL ending its connection mid-statement (a restart): that request fails, the next one answers', async () => {
    const a = new RateLimitRepository({ ...scratch.admin, database: scratch.database }, 5000, noWarnings);
    replicas.push(a);
    expect((await a.hit('terminated', 60_000, 5)).allowed).toBe(true);
    const holder = ds.createQueryRunner();
    await holder.startTransaction();
    let waiting: Promise<unknown> | undefined;
    try {
      await holder.query(`SELECT * FROM ingestion.rate_limit_hits WHERE key = 'terminated' FOR UPDATE`);
      waiting = a.hit('terminated', 60_000, 5).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      // The hit waits on the row's lock; its backend is ended as a fast shutdown ends every backend.
      const pid = await backendWaitingOnLock(scratch, 'sparkflow-rate-limit');
      await ds.query(`SELECT pg_terminate_backend($1)`, [pid]);
      expect(await waiting).toMatch(/terminat/);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    // The ended connection is not lent again: the next request answers, on another backend.
    expect((await a.hit('terminated', 60_000, 5)).allowed).toBe(true);
  });

  it('never counts a request that stopped waiting before a connection came', async () => {
    const relay = await slowToConnect({ host: scratch.admin.host, port: scratch.admin.port }, 1000);
    const a = new RateLimitRepository(
      { ...scratch.admin, database: scratch.database, port: relay.port },
      200,
      noWarnings,
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          a.hit('abandoned', 60_000, 100).then(
            () => 'answered',
            (err: Error) => err.message,
          ),
        ),
      );
      expect(new Set(answers)).toEqual(new Set(['no answer within 200 ms']));
      // The connections open meanwhile, and the requests queued for them are past their deadline.
      let answered = false;
      for (let i = 0; i < 20 && !answered; i++) {
        await sleep(250);
        answered = await a.hit('abandoned-after', 60_000, 100).then(
          () => true,
          () => false,
        );
      }
      expect(answered).toBe(true);
      expect(await rowOf('abandoned')).toBeUndefined();
    } finally {
      await a.close();
      await relay.close();
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
