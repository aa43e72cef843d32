import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { RestartPolicy } from './restart-policy';

/** What `stack up` tells a supervisor to run (`<home>/<service>/supervisor.json`; no settings, no secrets). */
export interface SupervisorSpec {
  service: string;
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  /** The size past which the log's content is moved to `<logFile>.1` (`SERVICE_LOG_MAX_MB`). */
  logMaxBytes: number;
  /** The service's pid, rewritten at every start (what tests and the bench read). */
  childPidFile: string;
  stateFile: string;
  policy: RestartPolicy;
}

/** What a supervisor records about its service, read by `stack status` (`<home>/run/<service>.state.json`). */
export interface SupervisorState {
  service: string;
  supervisorPid: number;
  /** The running service's pid; null while it waits to be restarted. */
  childPid: number | null;
  /** `refused-settings`: the service exited refusing its settings, and the supervisor stopped with it. */
  state: 'running' | 'backoff' | 'stopping' | 'stopped' | 'refused-settings';
  /** When the current run started (ms since the epoch). */
  startedAt: number | null;
  /** Restarts since the supervisor started (an exit that `stack down` asked for is not one). */
  restarts: number;
  /** When the most recent restarts happened, newest last (the last 20). */
  restartTimes: number[];
  lastExit: { code: number | null; signal: string | null; at: number; uptimeMs: number } | null;
  /** While in backoff: when the service starts again. */
  nextStartAt: number | null;
}

/** Written to a temporary file and renamed, so a reader never sees half a state. */
export function writeState(file: string, state: SupervisorState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, file);
}

export function readState(file: string): SupervisorState | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SupervisorState;
  } catch {
    return null;
  }
}
