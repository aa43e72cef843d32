import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(__dirname, '..', '..', '..');

/** Runs the native stack's own command (`stack up kafka`, `stack down postgres`, …); throws with its output. */
export function stack(...args: string[]): void {
  stackWith(process.env, ...args);
}

/** The same, for the stack the given environment describes (its own SPARKFLOW_HOME and ports). */
export function stackWith(env: NodeJS.ProcessEnv, ...args: string[]): string {
  const run = spawnSync('bash', [join(REPO, 'deploy/local/bin/stack'), ...args], { encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(`stack ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

/**
 * The same, without holding up the test's own work while it runs (starting a Cassandra node takes minutes):
 * resolves with its output once the command is done.
 */
export function stackWithAsync(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [join(REPO, 'deploy/local/bin/stack'), ...args],
      { encoding: 'utf8', env, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`stack ${args.join(' ')} failed:\n${stdout}${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}

function statusOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** SIGKILLs a component of the stack whose home is `home`; resolves with its pid once the process is gone. */
export async function kill9(home: string, component: string): Promise<number> {
  const pid = Number(readFileSync(join(home, 'run', `${component}.pid`), 'utf8'));
  process.kill(pid, 'SIGKILL');
  // Gone once /proc no longer lists it as running (a killed process is a zombie until it is reaped).
  while (/^State:\s+[^Z]/m.test(statusOf(pid))) await sleep(100);
  return pid;
}
