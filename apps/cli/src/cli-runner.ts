import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { buildProgram } from './main';

/**
 * Runs the real `sparkflow` command (bin/sparkflow) as a child process with real argv, pipes and exit
 * codes, for the integration specs. Not part of the command itself.
 */
export const CLI_BIN = join(__dirname, '..', 'bin', 'sparkflow');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI_BIN, [...args], {
      // The child gets the stack's variables, as a person's shell would.
      env: { ...process.env, ...env, FORCE_COLOR: '', NO_COLOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `sparkflow` once per argument list, `at` at a time (each run starts a Node process). */
export async function runEach(
  argLists: readonly (readonly string[])[],
  at = 2,
  env: Record<string, string> = {},
): Promise<CliRun[]> {
  const runs: CliRun[] = new Array(argLists.length);
  let next = 0;
  const worker = async () => {
    while (next < argLists.length) {
      const i = next++;
      runs[i] = await runCli(argLists[i], env);
    }
  };
  await Promise.all(Array.from({ length: at }, worker));
  return runs;
}

export async function runCliJson<T>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
  const r = await runCli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`sparkflow ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | null | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

/** A port nothing listens on: one the system just handed out and took back. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `sparkflow <args>` as `main` runs it, in this process, stdout and stderr captured (piped, not a terminal):
 * what it printed, and what it threw. For unit specs that replace a module with `jest.mock`, which a child
 * process would not see.
 */
export async function runInProcess(
  args: readonly string[],
): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string | Uint8Array) => (
    (stdout += String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (
    (stderr += String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    await buildProgram(() => undefined).parseAsync([...args], { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

/**
 * Whether a person runs `cmd` itself: a command without subcommands, or one that acts besides having them
 * (`backfill` starts a backfill; `backfill cancel` is its subcommand). Commander keeps the action unexposed.
 */
export const runsItself = (cmd: Command): boolean =>
  !cmd.commands.length || (cmd as unknown as { _actionHandler: unknown })._actionHandler != null;
