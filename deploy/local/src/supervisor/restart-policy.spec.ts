import { EXIT_INVALID_CONFIGURATION } from '@sparkflow/contracts';
import {
  EXIT_REFUSED_SETTINGS,
  describeExit,
  exitsInARow,
  isCrashLooping,
  recentRestarts,
  restartDelayMs,
} from './restart-policy';

const policy = { initialBackoffMs: 1000, maxBackoffMs: 30_000, stableAfterMs: 60_000 };

describe('restart policy', () => {
  it('doubles the delay with every exit in a row, up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelayMs(n, policy))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it('never overflows, however many exits', () => {
    expect(restartDelayMs(10_000, policy)).toBe(30_000);
  });

  it('counts exits in a row until a run lasts long enough to be called stable', () => {
    expect(exitsInARow(0, 500, policy)).toBe(1);
    expect(exitsInARow(4, 500, policy)).toBe(5);
    expect(exitsInARow(4, 60_000, policy)).toBe(1);
  });

  it('calls three restarts within five minutes a crash loop, and forgets older ones', () => {
    const now = 1_000_000;
    expect(isCrashLooping([now - 10_000, now - 5000], now)).toBe(false);
    expect(isCrashLooping([now - 10_000, now - 5000, now - 1000], now)).toBe(true);
    expect(recentRestarts([now - 6 * 60_000, now - 5000, now - 1000], now)).toBe(2);
    expect(isCrashLooping([now - 6 * 60_000, now - 5000, now - 1000], now)).toBe(false);
  });

  it('describes an exit by its signal, or else its code', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
    expect(describeExit({ code: 1, signal: null })).toBe('exit code 1');
  });

  it('does not restart the exit the services give for settings they refuse (the code in contracts, copied into this Node-only module)', () => {
    expect(EXIT_REFUSED_SETTINGS).toBe(EXIT_INVALID_CONFIGURATION);
  });
});
