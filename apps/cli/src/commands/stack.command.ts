import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { stackHome } from '../cli.config';
import { CliError } from '../errors';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
export const STACK_SCRIPT = join(REPO_ROOT, 'deploy', 'local', 'bin', 'stack');
export const BENCH_SCRIPT = join(REPO_ROOT, 'bench', 'run.sh');

/**
 * The environment a script runs with: this one, with a relative SPARKFLOW_HOME made absolute from the
 * working directory the command was run in, as the CLI reads it (`stackHome`), since the script runs from
 * the repository.
 */
export function scriptEnv(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): NodeJS.ProcessEnv {
  return env['SPARKFLOW_HOME'] === undefined ? env : { ...env, SPARKFLOW_HOME: stackHome(env, cwd) };
}

/** Runs one of the repository's scripts (ops code: spawned, never imported) and passes its exit code on. */
export function runScript(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      stdio: 'inherit',
      cwd: REPO_ROOT,
      env: scriptEnv(process.env),
    });
    child.on('error', (err) => reject(new CliError(`cannot run ${script}: ${err.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const runStack = (args: string[]) => runScript(STACK_SCRIPT, args);

/** `sparkflow bench [options]`: the benchmark harness (bench/run.sh) with its own options, e.g. --quick. */
export function benchCommand(setExitCode: (code: number) => void): Command {
  return new Command('bench')
    .description('measure the running stack against its limits and the tutorial design (npm run bench)')
    .argument(
      '[options...]',
      "the harness's options: --quick, --records N, … (sparkflow bench --help lists them)",
    )
    .helpOption(false)
    .allowUnknownOption()
    .action(async (options: string[]) => setExitCode(await runScript(BENCH_SCRIPT, options)));
}

export function stackCommand(setExitCode: (code: number) => void): Command {
  const stack = new Command('stack')
    .description(
      'start, stop and inspect the native stack (deploy/local: Kafka, Cassandra, PostgreSQL, the four services)',
    )
    .addHelpText(
      'after',
      `
Components: kafka, cassandra, postgres, spark-master (engines); ingestion, enrichment, persistence, audit
(services); spark-worker, airflow. Default: all of them.
Ports and data folder come from the environment (KAFKA_PORT, CASSANDRA_PORT, …, SPARKFLOW_HOME); see deploy/local/README.md.`,
    );
  const pass = (name: string, description: string, extra: string[] = []) =>
    stack
      .command(name)
      .description(description)
      .argument('[component...]')
      .action(async (components: string[], _opts: object, cmd: Command) => {
        const json = cmd.optsWithGlobals<{ json?: boolean }>().json && name === 'status' ? ['--json'] : [];
        const follow = (cmd.opts<{ follow?: boolean }>().follow ? ['-f'] : []).filter(() => name === 'logs');
        setExitCode(await runStack([name, ...components, ...json, ...follow, ...extra]));
      });
  pass('up', 'start what is not running, wait until healthy, apply topics and schemas');
  pass('down', 'stop components');
  pass('status', "each component's state, port, pid and health (exit 0 only when all are healthy)");
  pass('logs', 'the last lines of each log').option('-f, --follow', 'keep following');
  return stack;
}
