import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../config';

/** What one `stack` command printed and how it exited. */
export interface StackRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `stack` command (deploy/local/src/main.ts through tsx, as `npm run stack` does) with
 * `env` over the test's own environment: a throw-away SPARKFLOW_HOME and ports keep it off the shared stack.
 */
export function runStack(args: string[], env: Record<string, string>): Promise<StackRun> {
  return new Promise((resolve) => {
    const child = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [
        '--tsconfig',
        join(REPO_ROOT, 'tsconfig.base.json'),
        join(REPO_ROOT, 'deploy/local/src/main.ts'),
        ...args,
      ],
      { env: { ...process.env, ...env }, cwd: REPO_ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
