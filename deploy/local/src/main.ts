import { spawn } from 'node:child_process';
import { loadStackConfig } from './config';
import { logFile } from './components/component';
import { nodetoolCommand } from './components/cassandra';
import { SetupError, UsageError } from './errors';
import { promtoolCommand } from './promtool';
import { down, reset, selectComponents, status, up } from './stack';
import { forgetTopology, settleTopology } from './topology';

const USAGE = `Usage: npm run stack -- <command> [component…] [--topology single|cluster] [--json]

Runs SparkFlow's servers natively on this machine (no Docker): Kafka (KRaft), Cassandra, PostgreSQL.
Data lives in $SPARKFLOW_HOME (default .sparkflow/ in the repo); jars are cached in $SPARKFLOW_CACHE
(default ~/.cache/sparkflow).

Commands:
  up [c…]       start (or confirm) components, wait until each answers a real request, apply topics and schemas
  down [c…]     stop components; no process is left behind
  status [c…]   each component's port, pid and health (--json for scripts)
  logs [c…]     the last lines of each component's log (-f to follow)
  nodetool <node> <args…>
                Cassandra's nodetool against one node (cassandra, or cassandra-1…3 in the cluster), e.g.
                \`nodetool cassandra-2 status\`, \`nodetool cassandra-1 repair sparkflow\`; exits with
                nodetool's own code
  promtool <args…>
                Prometheus's promtool (Debian's prometheus package, fetched on first use), e.g.
                \`promtool test rules deploy/monitoring/prometheus/sparkflow-alerts.test.yml\` runs the alert
                rules' unit tests; exits with promtool's own code
  reset [c…]    stop and wipe the data of components (fixes a damaged data folder)

Components: kafka, cassandra, postgres, spark-master (engines); ingestion, enrichment, persistence, audit
(services, each run by a supervisor that restarts it when it exits; status shows restarts and crash loops),
spark-worker, airflow.
Default: all of them; engines start first, services once the engines are ready.

Topologies (--topology on the first \`up\` of a home, or SPARKFLOW_TOPOLOGY; later commands read it from the home):
  single        one of everything (default)
  cluster       three Kafka nodes (kafka-1…3 on 127.0.0.1–127.0.0.3, topics at 3 replicas, 2 in sync),
                three Cassandra nodes (cassandra-1…3, keyspace at 3 copies, LOCAL_QUORUM), two replicas of each
                service (ingestion-1, ingestion-2, …) and haproxy in front of ingestion and the audit.
                A name without its number (kafka, ingestion) selects all of its nodes or replicas.
Exit codes: 0 ok, 1 a component failed, 2 bad usage or settings.`;

/** Runs a command on this terminal and answers with its exit code. */
function run({ command, args }: { command: string; args: string[] }): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** `--topology cluster` or `--topology=cluster`, taken out of the arguments. */
function takeTopology(argv: string[]): { rest: string[]; topology?: 'single' | 'cluster' } {
  const at = argv.findIndex((a) => a === '--topology' || a.startsWith('--topology='));
  if (at < 0) return { rest: argv };
  const value = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  if (value !== 'single' && value !== 'cluster') {
    throw new UsageError(
      `--topology: expected single or cluster, got ${value === undefined ? 'nothing' : `"${value}"`}`,
    );
  }
  return {
    rest: argv.filter((_, i) => i !== at && (argv[at].includes('=') || i !== at + 1)),
    topology: value,
  };
}

async function main(argv: string[]): Promise<number> {
  const { rest, topology } = takeTopology(argv);
  const at = rest.findIndex((a) => !a.startsWith('-'));
  if (rest[at] === 'nodetool') {
    if (topology) {
      throw new UsageError(
        'nodetool takes no --topology: it works on the nodes of the topology the home was made for',
      );
    }
    // Everything after the node is nodetool's own (-pr, --full), passed through untouched.
    const [node = '', ...args] = rest.slice(at + 1);
    return run(nodetoolCommand(settleTopology(loadStackConfig(), undefined, 'nodetool'), node, args));
  }
  if (rest[at] === 'promtool') {
    if (topology) throw new UsageError('promtool takes no --topology: it runs no server');
    // Everything after promtool is its own (test rules, check config, --help), passed through untouched.
    return run(promtoolCommand(loadStackConfig(), rest.slice(at + 1)));
  }
  const flags = new Set(rest.filter((a) => a.startsWith('-')));
  const [command, ...names] = rest.filter((a) => !a.startsWith('-'));
  if (!command || flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return command || flags.size ? 0 : 2;
  }
  const cfg = settleTopology(loadStackConfig(), topology, command);
  const components = selectComponents(cfg, names);
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'up':
      await up(cfg, components, log);
      return 0;
    case 'down':
      await down(cfg, components, log);
      return 0;
    case 'reset':
      await reset(cfg, components, log);
      if (!names.length) forgetTopology(cfg);
      return 0;
    case 'status': {
      const rows = await status(cfg, components);
      if (flags.has('--json')) console.log(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) {
          const restarts = r.supervision ? `restarts ${r.supervision.restarts}` : '';
          console.log(
            `${r.component.padEnd(14)} ${r.state.padEnd(9)} port ${String(r.port).padEnd(6)} pid ${String(r.pid ?? '-').padEnd(8)} ${restarts.padEnd(11)} ${r.detail}`,
          );
          if (r.supervision?.lastExit) console.log(`${''.padEnd(14)} last exit: ${r.supervision.lastExit}`);
        }
      }
      return rows.every((r) => r.state === 'healthy') ? 0 : 1;
    }
    case 'logs': {
      const files = components.map((c) => logFile(cfg, c.name));
      return run({ command: 'tail', args: ['-n', '60', ...(flags.has('-f') ? ['-F'] : []), ...files] });
    }
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SetupError) {
      console.error(`sparkflow stack: ${err.message}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    }
    console.error(err);
    process.exit(1);
  },
);
