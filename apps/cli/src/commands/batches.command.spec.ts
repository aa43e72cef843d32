import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { decodeBatchListCursor, encodeBatchListCursor, type BatchReport } from '@sparkflow/contracts';
import { CliError } from '../errors';
import { buildProgram } from '../main';
import { Output } from '../output/output';
import { watch, type WatchDeps } from './batches.command';

const incomplete = (batchId: string): BatchReport => ({
  batchId,
  source: 'synthetic',
  expected: 10,
  ingested: 3,
  enriched: 3,
  deadLettered: 0,
  persisted: 2,
  complete: false,
  timing: {
    firstIngestedAt: null,
    lastPersistedAt: null,
    throughputPerSec: null,
    latencyMs: { p50: null, p95: null, p99: null },
  },
  sampleUserId: null,
});

/** A clock that moves only when `watch` sleeps, and an audit that first sees the batch at `seenAt` (ms), if ever. */
function world(seenAt: number | null) {
  let t = 0;
  const deps: WatchDeps = {
    fetchBatch: () => Promise.resolve(seenAt !== null && t >= seenAt ? incomplete('b-1') : null),
    stalledStages: () => Promise.resolve([]),
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
  return { deps, elapsed: () => t };
}

const quiet = () =>
  new Output(
    { json: false, color: false, tty: false },
    () => undefined,
    () => undefined,
  );

describe('batches watch', () => {
  it('gives up on a batch the audit never sees after --unseen-after, and follows a seen one to --timeout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 5000 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 300 }),
        fc.option(fc.nat({ max: 119_000 }), { nil: null }),
        async (interval, unseenAfter, extra, seenAt) => {
          const timeout = unseenAfter + extra;
          const opts = { interval, unseenAfter, timeout, stallAfter: 10 * timeout };
          const { deps, elapsed } = world(seenAt);
          const err = await watch(quiet(), 'b-1', opts, deps).then(
            () => null,
            (e: unknown) => e as CliError,
          );
          expect(err).toBeInstanceOf(CliError);
          // The audit is asked every `interval` from 0; a batch it has seen by the first poll at or after
          // --unseen-after is followed until --timeout, never given up as unknown.
          const poll = (ms: number) => Math.ceil(ms / interval) * interval;
          const seenInTime = seenAt !== null && poll(seenAt) <= poll(unseenAfter * 1000);
          const limit = (seenInTime ? timeout : unseenAfter) * 1000;
          expect(elapsed()).toBeGreaterThanOrEqual(limit);
          expect(elapsed()).toBeLessThan(limit + interval);
          expect(err?.message).toMatch(seenInTime ? /not complete after/ : /has not seen batch b-1 in \d+ s/);
        },
      ),
      { seed: 0xba7c4, numRuns: 200 },
    );
  });
});

describe('batches watch --json', () => {
  const jsonOut = (printed: string[]) =>
    new Output(
      { json: true, color: false, tty: false },
      (text) => printed.push(text),
      () => undefined,
    );
  const complete = { ...incomplete('b-1'), ingested: 10, enriched: 10, persisted: 10, complete: true };
  const opts = { interval: 500, unseenAfter: 5, timeout: 10, stallAfter: 60 };

  it('prints one shape however the watch ends: complete, timed out or never seen', async () => {
    const ends = [
      { fetched: complete, expected: { batchId: 'b-1', complete: true, stalled: [], batch: complete } },
      {
        fetched: incomplete('b-1'),
        expected: { batchId: 'b-1', complete: false, stalled: [], batch: incomplete('b-1') },
      },
      { fetched: null, expected: { batchId: 'b-1', complete: false, stalled: [], batch: null } },
    ];
    for (const { fetched, expected } of ends) {
      const printed: string[] = [];
      const { deps } = world(0);
      await watch(jsonOut(printed), 'b-1', opts, {
        ...deps,
        fetchBatch: () => Promise.resolve(fetched),
      }).catch(() => undefined);
      expect(printed.map((line) => JSON.parse(line) as unknown)).toEqual([expected]);
    }
  });
});

describe('batches list, page after page', () => {
  // An audit holding `total` batches that pages them as GET /v1/batches does: `limit` at a time, `next`
  // naming where the following page starts, `cursor` taking it back.
  let total = 0;
  const asked: URLSearchParams[] = [];
  const srv: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://audit').searchParams;
    asked.push(query);
    const cursor = query.get('cursor');
    const from = cursor === null ? 0 : Number(decodeBatchListCursor(cursor)?.createdAtMicros ?? -1);
    const limit = Number(query.get('limit') ?? '50');
    const ids = Array.from({ length: total }, (_, i) => `b-${i}`).slice(from, from + limit);
    const truncated = from + limit < total;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        since: query.get('since') ?? '2026-12-01T00:00:00.000Z',
        incompleteOnly: query.get('incomplete') === 'true',
        batches: ids.map((batchId) => ({ ...incomplete(batchId), createdAt: '2026-12-02T00:00:00.000Z' })),
        truncated,
        next: truncated
          ? encodeBatchListCursor({ createdAtMicros: BigInt(from + limit), batchId: 'b' })
          : null,
      }),
    );
  });
  let base = '';
  const saved = process.env['AUDIT_URL'];
  beforeAll(
    () =>
      new Promise<void>((r) =>
        srv.listen(0, '127.0.0.1', () => {
          base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
          r();
        }),
      ),
  );
  afterAll(() => {
    process.env['AUDIT_URL'] = saved;
    return new Promise<void>((r) => srv.close(() => r()));
  });

  /** Runs the CLI with `args` and returns what it printed (the table on stdout, notes on stderr). */
  async function run(args: string[]): Promise<string> {
    process.env['AUDIT_URL'] = base;
    let printed = '';
    const capture = (chunk: string | Uint8Array) => {
      printed += chunk.toString();
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      await buildProgram(() => undefined).parseAsync(args, { from: 'user' });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    return printed;
  }

  it('reads every batch of the window exactly once by following the command each cut page prints', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 9 }), async (n, limit) => {
        total = n;
        const seen: string[] = [];
        let args = ['--no-color', 'batches', 'list', '--since', '2026-12-01', '--limit', String(limit)];
        for (let pages = 0; pages <= n; pages++) {
          const printed = await run(args);
          seen.push(...[...printed.matchAll(/^(b-\d+)\s/gm)].map((m) => m[1]));
          const hint = /the next page: sparkflow (batches list .*)$/m.exec(printed);
          if (!hint) break;
          args = ['--no-color', ...hint[1].trim().split(/\s+/)];
        }
        expect(seen).toEqual(Array.from({ length: n }, (_, i) => `b-${i}`));
        // Every page asked for the window the first one resolved, never a moving default.
        expect(new Set(asked.map((q) => q.get('since')))).toEqual(new Set(['2026-12-01T00:00:00.000Z']));
        asked.length = 0;
      }),
      { seed: 20261202, numRuns: 40 },
    );
  });
});
