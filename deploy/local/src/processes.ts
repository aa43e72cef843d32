import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a long-running server detached from this process (its own process group), output to its log. */
export function launch(spec: LaunchSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid in a pid file, if that process still runs and its command line mentions `marker`
 * (the component's data folder), so a recycled pid is never mistaken for our server.
 */
export function runningPid(pidFile: string, marker: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  // No /proc entry: the process is gone.
  return procView(pid)?.cmdline.includes(marker) ? pid : null;
}

/** What /proc says of a process: its state letter (`R`, `S`, `Z`, …) and its command line, NULs as spaces. */
export interface ProcView {
  state: string;
  cmdline: string;
}

/** `/proc/<pid>`'s view of a process, or null when it has no entry (it is gone). */
export function procView(pid: number): ProcView | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) S …`: comm may itself hold spaces and parentheses, so the state follows the last `)`.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { state, cmdline };
  } catch {
    return null;
  }
}

/**
 * Whether a process this stack has just started is still starting rather than gone. Its command line must
 * mention `marker`, except while it reads empty: a launcher that `exec`s the server (Spark's `spark-class`
 * execs java) has no command line for an instant during the exec, and that instant is not an exit.
 */
export function stillStarting(view: ProcView | null, marker: string): boolean {
  if (!view || view.state === 'Z' || view.state === 'X' || view.state === 'x') return false;
  return view.cmdline.trim() === '' || view.cmdline.includes(marker);
}

/**
 * SIGTERM (or the given signal) to the process group — or to the process alone with `group: false` —,
 * then SIGKILL to the group after the grace period.
 */
export async function stopProcess(
  pid: number,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
  { group = true }: { group?: boolean } = {},
): Promise<void> {
  const signalGroup = (sig: NodeJS.Signals, toGroup = true) => {
    try {
      if (!toGroup) throw new Error('the process alone');
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup(signal, group);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(200);
  }
  signalGroup('SIGKILL');
  while (isAlive(pid)) await sleep(100);
}

/** True when something already listens on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(true));
    server.once('listening', () => server.close(() => resolvePromise(false)));
    server.listen(port, host);
  });
}

/** Who listens on a port, as `ss` tells it (best effort, for error messages). */
export function portOwner(port: number): string {
  const out = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const users = /users:\(\((.*?)\)\)/.exec(out.stdout ?? '');
  return users ? users[1] : 'another process';
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log yet)';
  const content = readFileSync(file, 'utf8').trimEnd().split('\n');
  return content.slice(-lines).join('\n');
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${output}`);
  }
  return result.stdout;
}
