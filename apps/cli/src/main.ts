import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Help, type HelpContext, type Option } from 'commander';
import { backfillCommand } from './commands/backfill.command';
import { batchesCommand } from './commands/batches.command';
import { dlqCommand } from './commands/dlq.command';
import { eventsCommand } from './commands/events.command';
import { benchCommand, stackCommand } from './commands/stack.command';
import { topCommand } from './commands/top.command';
import { topicsCommand } from './commands/topics.command';
import { usersCommand } from './commands/users.command';
import { SINCE_FORMS, isRepeatable, quoted } from './commands/options';
import { CliError, EXIT, UsageError } from './errors';
import { exitOnClosedPipe, exitWhenFlushed } from './exit';
import { helpDocument } from './help-json';
import { jsonText } from './output/output';

const ENVIRONMENT_HELP = `
Environment (the same variables the services and \`npm run stack\` read):
  KAFKA_BROKERS or KAFKA_PORT           Kafka, default 127.0.0.1:9092 (every broker, 127.0.0.1-3, on the cluster topology)
  KAFKA_USERNAME, KAFKA_PASSWORD        Kafka login (SASL SCRAM-SHA-512, or KAFKA_SASL_MECHANISM), default sparkflow-cli, sparkflow-cli-dev
  KAFKA_CLI_PASSWORD                    the password the native stack keeps for the CLI, used when KAFKA_PASSWORD is unset
  CASSANDRA_CONTACT_POINTS or _PORT     Cassandra, default 127.0.0.1:9042, every node on the cluster topology (CASSANDRA_USERNAME, _PASSWORD, _KEYSPACE, _LOCAL_DC)
  SPARKFLOW_HOME, SPARKFLOW_TOPOLOGY    the native stack's home (default <repo>/.sparkflow; a relative path is from the working directory), whose recorded topology wins; else SPARKFLOW_TOPOLOGY (single, cluster)
  INGESTION_HTTP_PORT, AUDIT_HTTP_PORT  the APIs on 127.0.0.1, default 3000 and 3003 (or INGESTION_URL, AUDIT_URL)
  INGESTION_API_KEYS                    the first key is sent to ingestion as x-api-key, default dev-ingestion-key
  AUDIT_API_KEYS                        the first key is sent to the audit as x-api-key, default dev-audit-key
  ENRICHMENT_HTTP_PORT, PERSISTENCE_HTTP_PORT  the other services' /metrics and health (top), default 3001, 3002
                                        (top probes each cluster replica at the port + 100 per replica)
  ENRICHMENT_GROUP_ID, PERSISTENCE_GROUP_ID, AUDIT_GROUP_ID   the services' consumer groups (batches watch, top)
  KAFKA_STALL_AFTER_S                   the stall time of top, topics describe and batches watch without --stall-after, default 60
  KAFKA_PRODUCER_CLIENT, KAFKA_COMPRESSION  how dlq replay produces (kafkajs or platformatic; none or gzip), as the services
  NO_COLOR / FORCE_COLOR                colour off / on regardless of the terminal (FORCE_COLOR=0 is off)

Times (--since): ${SINCE_FORMS}; one before 1970 reads from the beginning.
Output: tables and colour on a terminal, plain text when piped, JSON with --json (--version and --help too:
\`sparkflow <command> --help --json\` describes the command); messages and errors go to stderr as lines.
Options: one that takes a value is given once (--group and --event repeat), and a value that starts with -
written joined (--key=-x); a flag (--json, --follow, ...) takes no value; numbers are decimal digits with
nothing around them.

Exit codes, the same for every command:
  0  done
  1  the system failed: a component down or refusing, or another server at its address (the setting is
     named), a batch, event, user, dead letter, backfill, topic, partition or group it does not have, a
     backfill that already ended (backfill cancel), a stalled group (batches watch, topics describe
     --fail-on-stall), a timeout, or users dead-lettered (backfill)
  2  the command line is wrong, and the message names what: an unknown command or option, a missing argument
     or value, a malformed value (not a UUID, a date, a whole number in range, one of the choices, ...), an
     option given twice, a flag given a value, a word the command takes no argument for,
     a --payload-file that cannot be read or breaks its topic's contract (dlq replay --help says what is
     checked), a request ingestion refused for an option's value (backfill), or a malformed setting in the
     environment`;

/** The release of the repository the command runs from (its package.json; the CLI runs from source). */
const RELEASE = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('sparkflow')
    .version(RELEASE, '-V, --version', 'the SparkFlow release this command belongs to (JSON with --json)')
    .description(
      'Operate the SparkFlow pipeline: the stack, Kafka topics and lag, batches, events, dead letters, backfills, users.',
    )
    .option('--json', 'machine-readable JSON on stdout, --version and --help included')
    .option('--no-color', 'no colour, even on a terminal')
    .option('--audit-key <key>', "the audit API's x-api-key, instead of the first of AUDIT_API_KEYS")
    .addHelpText('after', ENVIRONMENT_HELP)
    .addCommand(stackCommand(setExitCode))
    .addCommand(topicsCommand())
    .addCommand(batchesCommand())
    .addCommand(eventsCommand())
    .addCommand(dlqCommand())
    .addCommand(backfillCommand())
    .addCommand(usersCommand())
    .addCommand(topCommand())
    .addCommand(benchCommand(setExitCode));
  versionAsJson(program);
  // The words as given, the program's to read first: to tell which flag an excess word followed, and
  // whether an option's value was written apart from it.
  let given: readonly string[] = [];
  const configure = (cmd: Command) => {
    if (cmd.commands.length) cmd.helpCommand(false).addCommand(helpCommandOf(cmd));
    // Words past a command's arguments are refused by `refuseExcessArguments`, naming them.
    cmd.exitOverride().showHelpAfterError('(add --help for usage)').allowExcessArguments(true);
    refuseFlagValues(cmd);
    for (const option of cmd.options.filter((o) => o.required || o.optional)) {
      if (!isRepeatable(option)) refuseRepeated(cmd, option);
      refuseOptionAsValue(cmd, option, () => given);
    }
    // Every command's help shows the global options, unless the command says otherwise (bench).
    cmd.configureHelp({
      showGlobalOptions: true,
      visibleGlobalOptions: programOptions,
      ...cmd.configureHelp(),
      optionDescription: describeOption,
    });
    helpAsJson(cmd);
    cmd.commands.forEach(configure);
  };
  configure(program);
  const parseOptions = program.parseOptions.bind(program);
  program.parseOptions = (argv) => {
    given = [...argv];
    return parseOptions(argv);
  };
  program.hook('preAction', (_program, action) => refuseExcessArguments(action, given));
  return program;
}

/** The option `--name` that takes no value (a flag: `--json`, `--no-color`), of `cmd` or a command above it. */
function flagOf(cmd: Command, name: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const option = c.options.find((o) => o.long === name);
    if (option) return option.required || option.optional ? undefined : option;
  }
  return undefined;
}

/**
 * Refuses a flag given a value (`--json=true`), which commander called an unknown option, though the
 * command has it. Words after `--` are arguments, whatever they look like.
 */
function refuseFlagValues(cmd: Command): void {
  const parseOptions = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv) => {
    const parsed = parseOptions(argv);
    const end = parsed.unknown.indexOf('--');
    for (const arg of end < 0 ? parsed.unknown : parsed.unknown.slice(0, end)) {
      const name = /^(--[^=]+)=/.exec(arg)?.[1];
      if (name && flagOf(cmd, name))
        throw new UsageError(`${name} takes no value, given ${quoted(arg)}: give ${name} alone`);
    }
    return parsed;
  };
}

/**
 * Refuses words after the arguments `cmd` takes, naming them, where commander said only how many there were;
 * one right after a flag (`--json true`) is named as the flag's value, which a flag does not take.
 */
function refuseExcessArguments(cmd: Command, given: readonly string[]): void {
  const takes = cmd.registeredArguments;
  if (takes.at(-1)?.variadic || cmd.args.length <= takes.length) return;
  const extra = cmd.args.slice(takes.length);
  const at = given.findIndex((word, i) => i > 0 && extra.includes(word) && flagOf(cmd, given[i - 1]));
  const flag = at > 0 ? flagOf(cmd, given[at - 1]) : undefined;
  const expected = takes.length ? `it takes ${takes.map((a) => `<${a.name()}>`).join(' ')}` : 'it takes none';
  throw new UsageError(
    `too many arguments for ${commandPath(cmd)}: ${extra.map(quoted).join(' ')} (${expected}` +
      (flag ? `; ${flag.long} takes no value` : '') +
      ')',
  );
}

/**
 * `--version` prints the release once every program option is read, so that with `--json`, before or after
 * it, the release is JSON as everything on stdout is then: `{"version":"0.1.0"}`. Commander's own printed
 * the text as soon as it met `--version`, before a `--json` after it was read.
 */
function versionAsJson(program: Command): void {
  const name = 'version'; // -V, --version
  (program as unknown as EventEmitter).removeAllListeners(`option:${name}`);
  program.on(`option:${name}`, () => program.setOptionValueWithSource(name, true, 'cli'));
  const parseOptions = program.parseOptions.bind(program);
  program.parseOptions = (argv) => {
    const parsed = parseOptions(argv);
    if (program.getOptionValue(name) === true) {
      const json = program.getOptionValue('json') === true;
      const tty = Boolean(process.stdout.isTTY);
      program
        .configureOutput()
        .writeOut?.(`${json ? jsonText({ version: RELEASE }, tty ? 2 : undefined) : RELEASE}\n`);
      throw new CommanderError(EXIT.ok, 'commander.version', RELEASE);
    }
    return parsed;
  };
}

/**
 * `--help` with `--json`, before or after it (and `help <command> --json`), prints the command's help as one
 * JSON document on stdout (`helpDocument`), as everything on stdout is JSON under --json; without --json the
 * text help is unchanged. Help printed for a mistake (`sparkflow topics` without a subcommand) stays text on
 * stderr, as every error does.
 */
function helpAsJson(cmd: Command): void {
  const outputHelp = cmd.outputHelp.bind(cmd);
  cmd.outputHelp = ((context?: HelpContext) => {
    if ((typeof context === 'object' && context?.error) || cmd.optsWithGlobals().json !== true)
      return outputHelp(context);
    const tty = Boolean(process.stdout.isTTY);
    cmd.configureOutput().writeOut?.(`${jsonText(helpDocument(cmd), tty ? 2 : undefined)}\n`);
  }) as Command['outputHelp'];
}

/** The words that run `cmd`: `sparkflow topics` for the topics command. */
const commandPath = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/**
 * `help [command...]` under a command with subcommands, in place of commander's, which answered a command it
 * does not have with the whole help and exit 2 without naming it, and ignored words after a command it has.
 */
function helpCommandOf(parent: Command): Command {
  const path = commandPath(parent);
  const example = parent.commands[0]?.name() ?? '';
  return new Command('help')
    .description('show the help of a command')
    .argument('[command...]', 'the command, and a subcommand of it')
    .addHelpText('after', `\nExamples:\n  $ ${path} help\n  $ ${path} help ${example}`)
    .action((names: string[]) => {
      let cmd = parent;
      for (const name of names) {
        const next = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!next || next.name() === 'help') {
          const known = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
          const where = cmd === parent && parent.parent === null ? '' : ` in ${commandPath(cmd)}`;
          throw new UsageError(
            `no command ${JSON.stringify(name)}${where}: ` +
              (known.length
                ? `the commands are ${known.join(', ')}`
                : `${commandPath(cmd)} takes no subcommand`),
          );
        }
        cmd = next;
      }
      cmd.outputHelp();
    });
}

/**
 * Refuses `option` given a second time (`--limit 5 --limit 7`), which commander reads as its last value: a
 * command line that says two things is wrong. Runs before commander takes the second value.
 */
function refuseRepeated(cmd: Command, option: Option): void {
  // A command is an EventEmitter (commander's types declare only `on`): this listener goes before commander's.
  (cmd as unknown as EventEmitter).prependListener(`option:${option.name()}`, () => {
    if (cmd.getOptionValueSource(option.attributeName()) === 'cli')
      throw new UsageError(`${option.long ?? option.short} is given more than once: it takes one value`);
  });
}

/**
 * Refuses an option whose value is missing, which commander filled with the option after it
 * (`tail --key --follow` searched for the key "--follow" and did not follow): a value that names an option
 * is one only when written joined to its own (`--key=--follow`).
 */
function refuseOptionAsValue(cmd: Command, option: Option, given: () => readonly string[]): void {
  // An option of any command: the program's own take theirs from the words after a command's.
  const known = (word: string): boolean => {
    const name = word.split('=')[0];
    if (name === '--help' || name === '-h') return true;
    let root = cmd;
    while (root.parent) root = root.parent;
    const has = (c: Command): boolean =>
      c.options.some((o) => o.long === name || o.short === name) || c.commands.some(has);
    return has(root);
  };
  (cmd as unknown as EventEmitter).prependListener(`option:${option.name()}`, (value: string | null) => {
    if (typeof value !== 'string' || !known(value)) return;
    if (!given().includes(`${option.long}=${value}`))
      throw new UsageError(
        `${option.long} is missing its value: ${quoted(value)} after it is an option ` +
          `(a value that starts so is written ${option.long}=${value})`,
      );
  });
}

/**
 * The global options a command's help shows: the program's, which every command takes. Commander's would
 * add those of every command above it, and a subcommand does not take its parent's (`backfill cancel`
 * refuses `backfill`'s `--from`).
 */
function programOptions(this: Help, cmd: Command): Option[] {
  if (!this.showGlobalOptions || !cmd.parent) return [];
  let program = cmd.parent;
  while (program.parent) program = program.parent;
  return program.options.filter((o) => !o.hidden);
}

/** Commander's description of an option, marking those a command cannot run without. */
function describeOption(option: Option): string {
  const text = new Help().optionDescription(option);
  return option.mandatory ? `${text} (required)` : text;
}

/** Prints a failure on stderr, once prefixed with the program's name, and returns the exit code. */
export function report(err: unknown, color: boolean): number {
  const paint = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  if (err instanceof CommanderError) {
    // Commander already printed the message (or the help); only the exit code is ours to decide.
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
      ? EXIT.ok
      : EXIT.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`${paint('sparkflow:')} ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof Error && /invalid configuration/.test(err.message)) {
    // The CLI's own settings are parsed as `sparkflow`, whose name already heads the message.
    process.stderr.write(`${paint('sparkflow:')} ${err.message.replace(/^sparkflow: /, '')}\n`);
    return EXIT.usage;
  }
  process.stderr.write(
    `${paint('sparkflow: unexpected error')}\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return EXIT.failure;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return report(err, Boolean(process.stderr.isTTY));
  }
}

if (require.main === module) {
  // kafkajs and the Cassandra driver keep sockets and timers; exit explicitly once the output is flushed.
  exitOnClosedPipe();
  void main(process.argv.slice(2)).then((code) => exitWhenFlushed(code));
}
