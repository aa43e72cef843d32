import fc from 'fast-check';
import type { BatchReport } from '@sparkflow/contracts';
import { CliError } from '../errors';
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
