/**
 * When a supervised service is restarted and when it counts as crash-looping: pure arithmetic, shared by
 * the supervisor process and `stack status`. Like Kubernetes' CrashLoopBackOff, the delay doubles with
 * every exit in a row, up to a ceiling, and starts again from the bottom once a run lasted long enough.
 */
export interface RestartPolicy {
  /** Delay before the first restart after a stable run. */
  initialBackoffMs: number;
  /** Ceiling of the doubling delay. */
  maxBackoffMs: number;
  /** A run at least this long resets the backoff: the next exit is restarted after `initialBackoffMs`. */
  stableAfterMs: number;
}

/**
 * The exit of a service that refused its settings (contracts' EXIT_INVALID_CONFIGURATION, which this
 * Node-only module cannot import): not restarted, since the same settings would be refused again.
 */
export const EXIT_REFUSED_SETTINGS = 78;

/** Restarts within the window that make a service crash-looping. */
export const CRASH_LOOP = { restarts: 3, windowMs: 5 * 60_000 } as const;

/**
 * The exits in a row so far, after one more exit of a run that lasted `uptimeMs`: a stable run starts
 * the count again.
 */
export function exitsInARow(previous: number, uptimeMs: number, policy: RestartPolicy): number {
  return uptimeMs >= policy.stableAfterMs ? 1 : previous + 1;
}

/** Delay before restarting after the n-th exit in a row (n ≥ 1): initial, 2×, 4×, … capped. */
export function restartDelayMs(exitsInRow: number, policy: RestartPolicy): number {
  const n = Math.max(1, exitsInRow);
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(n - 1, 30));
}

/** Restarts within the crash-loop window before `now`. */
export function recentRestarts(restartTimes: readonly number[], now: number): number {
  return restartTimes.filter((t) => now - t < CRASH_LOOP.windowMs && t <= now).length;
}

export function isCrashLooping(restartTimes: readonly number[], now: number): boolean {
  return recentRestarts(restartTimes, now) >= CRASH_LOOP.restarts;
}

/** How a process ended, as people read it: `exit code 1`, `signal SIGKILL`. */
export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}
