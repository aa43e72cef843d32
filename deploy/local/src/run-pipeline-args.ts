/** The options of `npm start` (run-pipeline.ts), parsed without side effects so every argv can be tested. */

export const USAGE = `Usage: npm start -- [--users N] [--seed S] [--timeout SECONDS]

Starts Kafka, Cassandra, PostgreSQL and the four services, ingests N synthetic users
(default 10000) generated from seed S (default: a new one per run), and reports the audit's
account of every user. The same N and S again are the same batch: the same events, at the same
event times within 24 h of its first run, so nothing changes and no time is measured.`;

export interface RunOptions {
  users: number;
  seed: string;
  timeout: number;
}

export type ParsedRunArgs =
  { kind: 'run'; options: RunOptions } | { kind: 'help' } | { kind: 'refused'; problem: string };

/** What an option takes, for the error that refuses it. */
const TAKES: Record<string, string> = {
  '--users': 'a whole number of users above 0',
  '--seed': 'a seed (any text not starting with --)',
  '--timeout': 'a whole number of seconds above 0',
};

const positiveWhole = (value: string | undefined) =>
  /^\d+$/.test(value ?? '') && Number(value) > 0 && Number.isSafeInteger(Number(value));

/** `argv` after `npm start --`; `now` names the default seed, new for each run. */
export function parseRunArgs(argv: readonly string[], now: Date): ParsedRunArgs {
  const options = { users: 10_000, seed: `run-${now.toISOString().replace(/[:.]/g, '-')}`, timeout: 600 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--help' || flag === '-h') return { kind: 'help' };
    if (!Object.hasOwn(TAKES, flag))
      return { kind: 'refused', problem: `unknown option ${JSON.stringify(flag)}` };
    if (flag === '--users' && positiveWhole(value)) options.users = Number(value);
    // A seed that looks like an option is one forgotten: `--seed --users 5` would seed with "--users".
    else if (flag === '--seed' && value && !value.startsWith('--')) options.seed = value;
    else if (flag === '--timeout' && positiveWhole(value)) options.timeout = Number(value);
    else {
      const got = value === undefined ? 'nothing' : JSON.stringify(value);
      return { kind: 'refused', problem: `${flag} takes ${TAKES[flag]}, got ${got}` };
    }
  }
  return { kind: 'run', options };
}
