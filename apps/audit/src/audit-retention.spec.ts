import { Logger } from '@nestjs/common';
import type { ForgetSettledBatches, RetentionPass } from '@sparkflow/audit-store';
import { AuditRetention } from './audit-retention';

const DAY_MS = 86_400_000;
const done = (before: Date): RetentionPass => ({
  before: before.toISOString(),
  examined: 3,
  forgottenBatches: 2,
  forgottenRows: 9,
  kept: 1,
  forgottenUnregistered: 0,
});

/** The schedule around the pass; what a pass deletes is tested against PostgreSQL in libs/audit-store. */
describe('AuditRetention', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  const forgetting = (execute: ForgetSettledBatches['execute']) =>
    ({ execute: jest.fn(execute) }) as unknown as ForgetSettledBatches & { execute: jest.Mock };

  it('forgets what was registered before now minus the retention days', async () => {
    const forget = forgetting(async (before) => done(before));
    await new AuditRetention(forget, 30, 3_600_000, () => now).runOnce();
    expect(forget.execute.mock.calls[0][0]).toEqual(new Date(now - 30 * DAY_MS));
  });

  it('never runs a pass with AUDIT_RETENTION_DAYS=0', async () => {
    const forget = forgetting(async (before) => done(before));
    const retention = new AuditRetention(forget, 0, 1, () => now);
    retention.start();
    await retention.stop();
    expect(forget.execute).not.toHaveBeenCalled();
  });

  it('reports a failed pass without throwing, and runs the next one', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const forget = forgetting(async () => {
      throw new Error('connection terminated');
    });
    const retention = new AuditRetention(forget, 30, 3_600_000, () => now);
    await expect(retention.runOnce()).resolves.toBeUndefined();
    await expect(retention.runOnce()).resolves.toBeUndefined();
    expect(forget.execute).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls.map(([m]) => m)).toEqual([
      'retention: the pass failed, and runs again in 3600 s: connection terminated',
      'retention: the pass failed, and runs again in 3600 s: connection terminated',
    ]);
    warn.mockRestore();
  });

  it('runs no pass while another replica holds the lock, and says so only at debug', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    await new AuditRetention(
      forgetting(async () => null),
      30,
      3_600_000,
      () => now,
    ).runOnce();
    expect(log).not.toHaveBeenCalled();
    expect(debug.mock.calls.map(([m]) => m)).toEqual([
      'retention: another replica is running a pass; this one waits its turn',
    ]);
    log.mockRestore();
    debug.mockRestore();
  });

  it('says what a pass forgot and kept, against which cutoff', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await new AuditRetention(
      forgetting(async (before) => done(before)),
      30,
      3_600_000,
      () => now,
    ).runOnce();
    expect(log.mock.calls.map(([m]) => m)).toEqual([
      'retention: 2 batches and 9 rows forgotten, 1 kept (not complete, a row recorded since, or not reached), of 3 ' +
        'registered before 2026-11-05T12:00:00.000Z, in 0 ms',
    ]);
    log.mockRestore();
  });

  it('looks for rows filed under no registration at its first pass, then once a day of passes that ran', async () => {
    let clock = now;
    let lockHeldElsewhere = false;
    const forget = forgetting(async (before) => (lockHeldElsewhere ? null : done(before)));
    const retention = new AuditRetention(forget, 30, 3_600_000, () => clock);
    const hours = async (n: number) => {
      clock += n * 3_600_000;
      await retention.runOnce();
    };
    await hours(0);
    await hours(1);
    lockHeldElsewhere = true;
    await hours(23);
    lockHeldElsewhere = false;
    await hours(1);
    await hours(1);
    expect(forget.execute.mock.calls.map(([, options]) => options?.unregistered)).toEqual([
      true,
      false,
      true, // another replica's pass ran instead: this one looks at its next
      true,
      false,
    ]);
  });

  it('says how many unregistered batch ids it forgot rows of, even when it read no batch before the cutoff', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await new AuditRetention(
      forgetting(async (before) => ({
        ...done(before),
        examined: 0,
        forgottenBatches: 0,
        forgottenRows: 2,
        kept: 0,
        forgottenUnregistered: 1,
      })),
      30,
      3_600_000,
      () => now,
    ).runOnce();
    expect(log.mock.calls.map(([m]) => m)).toEqual([
      'retention: 0 batches and 2 rows forgotten, 0 kept (not complete, a row recorded since, or not reached), of 0 ' +
        "registered before 2026-11-05T12:00:00.000Z; of the rows, quiet events' filed under 1 batch ids " +
        'no registration names, in 0 ms',
    ]);
    log.mockRestore();
  });

  it('runs one pass at a time, and stop ends the pass in hand, waits for it and starts no other', async () => {
    let release: () => void = () => undefined;
    let signal: AbortSignal | undefined;
    const forget = forgetting(async (before, options) => {
      signal = options?.signal;
      await new Promise<void>((resolve) => (release = resolve));
      return done(before);
    });
    const retention = new AuditRetention(forget, 30, 3_600_000, () => now);
    const first = retention.runOnce();
    expect(retention.runOnce()).toBe(first);
    const stopped = retention.stop();
    expect(signal?.aborted).toBe(true);
    release();
    await stopped;
    await retention.runOnce();
    expect(forget.execute).toHaveBeenCalledTimes(1);
  });
});
