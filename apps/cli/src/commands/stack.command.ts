import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { TOPOLOGIES, ordinals, type TopologyName } from '@sparkflow/contracts';
import { stackHome } from '../cli.config';
import { CliError, UsageError } from '../errors';
import { jsonText } from '../output/output';

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

/**
 * Runs one of the repository's scripts (ops code: spawned, never imported) and passes its exit code on.
 * `textToStderr`: what the script prints on stdout (its progress, as text) goes to stderr instead, so that
 * under --json stdout holds only the JSON the command prints.
 */
export function runScript(script: string, args: string[], textToStderr = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      // fd 2: the child writes its stdout to this process's stderr.
      stdio: textToStderr ? ['inherit', 2, 'inherit'] : 'inherit',
      cwd: REPO_ROOT,
      env: scriptEnv(process.env),
    });
    child.on('error', (err) => reject(new CliError(`cannot run ${script}: ${err.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** What a script-running command prints on stdout under --json: how the script ended, as JSON. */
function printScriptEnd(end: Record<string, unknown>): void {
  process.stdout.write(`${jsonText(end, process.stdout.isTTY ? 2 : undefined)}\n`);
}

const isHelpWord = (word: string) => word === '--help' || word === '-h';

/** `sparkflow bench [options]`: the benchmark harness (bench/run.sh) with its own options, e.g. --quick. */
export function benchCommand(setExitCode: (code: number) => void): Command {
  return (
    new Command('bench')
      .description('measure the running stack against its limits and the tutorial design (npm run bench)')
      .argument(
        '[options...]',
        "the harness's options: --quick, --records N, … (sparkflow bench --help lists them)",
      )
      .helpOption(false)
      .allowUnknownOption()
      // The harness takes none of them (--json, --no-color, --audit-key).
      .configureHelp({ showGlobalOptions: false })
      .addHelpText(
        'after',
        `
\`sparkflow bench --help\` prints the harness's own usage, written for \`npm run bench [-- options]\`;
\`sparkflow bench [options]\` takes the same options. bench/README.md says what each stage measures.
With --json, \`--help\` prints this help as JSON, and a run prints the harness's progress and report on
stderr and, on stdout, how it ended: {"command":"bench","arguments":["--quick"],"exitCode":0}.

Examples:
  $ sparkflow bench --quick
  $ sparkflow bench --skip cassandra-limit --records 50000`,
      )
      .action(async (options: string[], _opts: object, cmd: Command) => {
        if (cmd.optsWithGlobals<{ json?: boolean }>().json !== true)
          return setExitCode(await runScript(BENCH_SCRIPT, options));
        // Under --json: this command's help as JSON (the harness's usage is text), or the harness with its
        // progress and report on stderr and how it ended on stdout.
        if (options.some(isHelpWord)) return cmd.outputHelp();
        const exitCode = await runScript(BENCH_SCRIPT, options, true);
        printScriptEnd({ command: 'bench', arguments: options, exitCode });
        setExitCode(exitCode);
      })
  );
}

/**
 * The stack's components, as deploy/local names them (engines, services, the rest). Its own list is the
 * judge: the CLI hands any name on, and the stack refuses one it does not have (exit 2, listing its own).
 * The cluster's nodes and replicas are numbered from the topology, as the stack numbers them.
 */
const ENGINES = ['kafka', 'cassandra', 'postgres', 'spark-master'] as const;
const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
const OTHERS = ['spark-worker', 'airflow'] as const;

/** The names a component of the cluster topology has on the stack: `kafka-1`…, `ingestion-2`, `haproxy`. */
export function clusterComponentNames(): string[] {
  const { kafkaNodes, cassandraNodes, serviceReplicas } = TOPOLOGIES.cluster;
  const numbered = (base: string, n: number) => ordinals(n).map((i) => `${base}-${i}`);
  return [
    ...numbered('kafka', kafkaNodes),
    ...numbered('cassandra', cassandraNodes),
    'postgres',
    'spark-master',
    ...SERVICES.flatMap((s) => numbered(s, serviceReplicas)),
    'haproxy',
    ...OTHERS,
  ];
}

const TOPOLOGY_NAMES = Object.keys(TOPOLOGIES) as TopologyName[];

/** `--topology <name>`: one of the topologies the stack runs (libs/contracts TOPOLOGIES). */
export function parseTopology(text: string): TopologyName {
  if (!(TOPOLOGY_NAMES as string[]).includes(text))
    throw new UsageError(`--topology "${text}": expected ${TOPOLOGY_NAMES.join(' or ')}`);
  return text as TopologyName;
}

/** What a `sparkflow stack` command was given. */
export interface StackInvocation {
  json?: boolean;
  follow?: boolean;
  topology?: TopologyName;
}

/**
 * The arguments `sparkflow stack <command>` hands to deploy/local/bin/stack: the command, the components
 * verbatim, and the options the stack reads for that command (`--json` on status, `-f` on logs,
 * `--topology` on up); the stack ignores the others, so they are not passed.
 */
export function stackArgs(command: string, components: string[], given: StackInvocation): string[] {
  return [
    command,
    ...components,
    ...(given.json && command === 'status' ? ['--json'] : []),
    ...(given.follow && command === 'logs' ? ['-f'] : []),
    ...(given.topology && command === 'up' ? ['--topology', given.topology] : []),
  ];
}

const cluster = clusterComponentNames();
const COMPONENTS_HELP = `
Components: ${ENGINES.join(', ')} (engines); ${SERVICES.join(', ')} (services); ${OTHERS.join(', ')}.
On the cluster topology: ${cluster.join(', ')};
a name without its number (kafka, ingestion) is all of its nodes or replicas. Default: all of them.
Names are handed to the stack, which refuses one it does not have (exit 2).
With --json, \`stack status\` prints the stack's JSON; the other stack commands print their progress on
stderr and, on stdout, how they ended: {"command":"up","components":[],"exitCode":0}.
Ports and data folder come from the environment (KAFKA_PORT, CASSANDRA_PORT, …, SPARKFLOW_HOME); see deploy/local/README.md.`;

export function stackCommand(setExitCode: (code: number) => void): Command {
  const stack = new Command('stack')
    .description(
      'start, stop and inspect the native stack (deploy/local: Kafka, Cassandra, PostgreSQL, the four services)',
    )
    .addHelpText('after', COMPONENTS_HELP);
  const pass = (name: string, description: string, examples: string[]) =>
    stack
      .command(name)
      .description(description)
      .argument('[component...]', 'components (default: all; `sparkflow stack --help` lists them)')
      .addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ sparkflow stack ${e}`).join('\n')}`)
      .action(async (components: string[], _opts: object, cmd: Command) => {
        const given = cmd.optsWithGlobals<StackInvocation>();
        // `status --json` is the stack's own JSON; the other commands' progress is text, kept off stdout
        // under --json, where how the command ended is printed instead.
        const textOnly = given.json === true && name !== 'status';
        const exitCode = await runScript(STACK_SCRIPT, stackArgs(name, components, given), textOnly);
        if (textOnly) printScriptEnd({ command: name, components, exitCode });
        setExitCode(exitCode);
      });
  pass('up', 'start what is not running, wait until healthy, apply topics and schemas', [
    'up',
    'up kafka cassandra',
    'up --topology cluster    # the first up of a home; later commands read it from the home',
  ]).addOption(
    new Option(
      '--topology <name>',
      `${TOPOLOGY_NAMES.join(' or ')}, on the first up of a home (default: the home's, else SPARKFLOW_TOPOLOGY, else single)`,
    ).argParser(parseTopology),
  );
  pass('down', 'stop components; no process is left behind', ['down', 'down ingestion enrichment']);
  pass('status', "each component's state, port, pid and health (exit 0 only when all are healthy)", [
    'status',
    'status kafka --json',
  ]);
  pass('logs', 'the last 60 lines of each log', ['logs ingestion', 'logs audit -f']).option(
    '-f, --follow',
    'keep following',
  );
  pass(
    'reset',
    'stop and wipe the data of components (fixes a damaged data folder; all of them forgets the topology)',
    ['reset cassandra', 'reset    # every component: the home fits either topology again'],
  );
  return stack;
}
