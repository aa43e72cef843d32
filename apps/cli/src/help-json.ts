import type { EventEmitter } from 'node:events';
import type { Argument, Command, Help, Option } from 'commander';

/**
 * `sparkflow <command> --help --json`: the command's help as one JSON document, read from commander's own
 * Command and Help objects (what the text help is made of), never a copy kept by hand.
 */
export interface HelpDocument {
  /** The words that run it: `sparkflow batches list`. */
  command: string;
  name: string;
  aliases: string[];
  description: string;
  /** As the text help's `Usage:` line has it: `sparkflow batches list [options]`. */
  usage: string;
  arguments: ArgumentHelp[];
  options: OptionHelp[];
  /** The options of the commands above it that it takes too (`--json`, `--no-color`, `--audit-key`). */
  globalOptions: OptionHelp[];
  commands: { name: string; usage: string; description: string }[];
  /** The text the help prints after the options and commands (examples, exit codes), as it prints it. */
  helpText: string;
}

export interface ArgumentHelp {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  default: unknown;
  choices: string[] | null;
}

export interface OptionHelp {
  flags: string;
  long: string | null;
  short: string | null;
  description: string;
  /** Whether it takes a value (`--limit <n>`), and whether the value may be left out (`[value]`). */
  takesValue: boolean;
  valueOptional: boolean;
  /** A command does not run without it (the text help says `(required)`). */
  mandatory: boolean;
  variadic: boolean;
  /** The value it has when not given, and the text help's words for it when it has some. */
  default: unknown;
  defaultDescription: string | null;
  choices: string[] | null;
  /** The environment variable commander reads it from, when one. */
  env: string | null;
}

/** A value as JSON can hold it: commander keeps defaults as given (a bigint, a function) when an option has one. */
const asJson = (value: unknown): unknown =>
  value === undefined || typeof value === 'function'
    ? null
    : typeof value === 'bigint'
      ? value.toString()
      : value;

const optionHelp = (o: Option): OptionHelp => ({
  flags: o.flags,
  long: o.long ?? null,
  short: o.short ?? null,
  description: o.description,
  takesValue: o.required || o.optional,
  valueOptional: o.optional,
  mandatory: o.mandatory,
  variadic: o.variadic,
  default: asJson(o.defaultValue),
  defaultDescription: o.defaultValueDescription ?? null,
  choices: o.argChoices ?? null,
  env: o.envVar ?? null,
});

const argumentHelp = (a: Argument): ArgumentHelp => ({
  name: a.name(),
  description: a.description,
  required: a.required,
  variadic: a.variadic,
  default: asJson(a.defaultValue),
  choices: a.argChoices ?? null,
});

/** The text commander's help writes for `cmd` at `event` (`afterHelp`: what `addHelpText('after')` added). */
function helpTextAt(cmd: Command, event: 'beforeHelp' | 'afterHelp'): string {
  let text = '';
  // A command is an EventEmitter (commander's types declare only `on`); addHelpText listens for these.
  (cmd as unknown as EventEmitter).emit(event, {
    error: false,
    command: cmd,
    write: (s: string) => (text += s),
  });
  return text;
}

export function helpDocument(cmd: Command): HelpDocument {
  const help: Help = cmd.createHelp();
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return {
    command: names.join(' '),
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: help.commandDescription(cmd),
    usage: help.commandUsage(cmd),
    arguments: cmd.registeredArguments.map(argumentHelp),
    options: help.visibleOptions(cmd).map(optionHelp),
    globalOptions: help.visibleGlobalOptions(cmd).map(optionHelp),
    commands: help.visibleCommands(cmd).map((c) => ({
      name: c.name(),
      usage: help.subcommandTerm(c),
      description: help.subcommandDescription(c),
    })),
    helpText: (helpTextAt(cmd, 'beforeHelp') + helpTextAt(cmd, 'afterHelp')).replace(/^\n+|\n+$/g, ''),
  };
}
