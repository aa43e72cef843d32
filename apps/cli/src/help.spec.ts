import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import fc from 'fast-check';
import { runsItself } from './cli-runner';
import { buildProgram, report } from './main';
import { EXIT } from './errors';
import type { HelpDocument } from './help-json';

/** Every command a person runs (`runsItself`), by path, with the program it belongs to. */
function leafCommands(): { path: string; cmd: Command }[] {
  const program = buildProgram(() => undefined);
  const walk = (cmd: Command, path: string[]): { path: string; cmd: Command }[] => [
    ...(runsItself(cmd) ? [{ path: path.join(' '), cmd }] : []),
    ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()])),
  ];
  return program.commands.flatMap((c) => walk(c, [c.name()]));
}

/** What `sparkflow <path> --help` prints: commander's help and the text the command adds after it. */
function helpOf(cmd: Command): string {
  let written = '';
  for (let c: Command | null = cmd; c; c = c.parent) c.configureOutput({ writeOut: (s) => (written += s) });
  cmd.outputHelp();
  return written;
}

const leaves = leafCommands();

describe('every command’s --help', () => {
  it('covers the commands people run, stack and bench included', () => {
    expect(leaves.map((l) => l.path)).toEqual(
      expect.arrayContaining(['stack up', 'stack reset', 'topics list', 'users get', 'backfill', 'bench']),
    );
  });

  it.each(leaves.map(({ path, cmd }) => [path, cmd] as const))(
    'sparkflow %s --help shows an example of the command',
    (path, cmd) => {
      expect(helpOf(cmd)).toMatch(new RegExp(`^Examples?:\\n(  \\$ .*\\n)*  \\$ sparkflow ${path}\\b`, 'm'));
    },
  );

  it.each(leaves.filter((l) => l.path !== 'bench').map(({ path, cmd }) => [path, cmd] as const))(
    'sparkflow %s --help shows the global options',
    (_path, cmd) => {
      const help = helpOf(cmd);
      expect(help).toMatch(/^Global Options:$/m);
      for (const flag of ['--json', '--no-color', '--audit-key <key>'])
        expect(help.slice(help.indexOf('Global Options:'))).toContain(`  ${flag}`);
    },
  );

  const help = (path: string) => helpOf(leaves.find((l) => l.path === path)!.cmd);

  it('names every time form the --since parser takes, 1w included, wherever --since is an option', () => {
    const withSince = leaves.filter((l) => l.cmd.options.some((o) => o.long === '--since'));
    expect(withSince.map((l) => l.path).sort()).toEqual(
      ['batches list', 'dlq list', 'dlq replay', 'dlq stats', 'topics tail'].sort(),
    );
    for (const { cmd } of withSince) {
      const since = cmd.options.find((o) => o.long === '--since')!;
      expect(since.description).toContain('30s, 10m, 2h, 1d or 1w ago, or an ISO date-time');
    }
  });

  it('says what the options default to where the default is not obvious, and no empty-list default', () => {
    expect(help('dlq list')).toMatch(
      /--since <time>[\s\S]*default:\s+any\s+time,\s+the\s+whole\s+topic\s+is\s+read/,
    );
    expect(help('topics describe')).not.toContain('(default: [])');
    expect(help('stack logs')).toContain('the last 60 lines of each log');
    expect(help('backfill')).toMatch(/--per-day <n>[\s\S]*at most 100000/);
    expect(help('users get')).toMatch(/^Exit codes: 0 .*1 .*\n.*2 not a UUID/m);
  });

  it('shows a subcommand the program’s options as global ones, not those of the command above it', () => {
    const globals = (path: string) => {
      const text = help(path);
      return text.slice(text.indexOf('Global Options:')).match(/^ {2}(?:-\w, )?--[\w-]+/gm);
    };
    const program = ['  -V, --version', '  --json', '  --no-color', '  --audit-key'];
    expect(globals('backfill cancel')).toEqual(program);
    expect(globals('backfill')).toEqual(program);
    expect(help('backfill')).toMatch(/^Options:\n {2}--from <day>/m);
  });

  it('lists KAFKA_CLI_PASSWORD among the environment it reads', () => {
    let written = '';
    const program = buildProgram(() => undefined);
    program.configureOutput({ writeOut: (s) => (written += s) });
    program.outputHelp();
    expect(written).toMatch(/^ {2}KAFKA_CLI_PASSWORD\s+/m);
  });
});

describe('a --stage that is not a stage', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['dlq', 'list'],
    ['dlq', 'stats'],
    ['dlq', 'replay'],
  ])('sparkflow %s %s --stage foo exits 2 in the CLI’s own words', async (...command) => {
    let stderr = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    const program = buildProgram(() => undefined);
    const quiet = (c: Command): void => {
      c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      c.commands.forEach(quiet);
    };
    quiet(program);
    const code = await program.parseAsync([...command, '--stage', 'foo'], { from: 'user' }).then(
      () => EXIT.ok,
      (err: unknown) => report(err, false),
    );
    expect({ code, stderr }).toEqual({
      code: EXIT.usage,
      stderr:
        'sparkflow: --stage "foo": expected a stage, one of ingestion, enrichment, persistence, audit\n',
    });
  });
});

describe('apps/cli/README.md', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

  it("names help forms that print the CLI's help from the command npx runs (package.json bin)", async () => {
    const bin = join(__dirname, '..', '..', '..', 'package.json');
    const command = join(__dirname, '..', '..', '..', JSON.parse(readFileSync(bin, 'utf8')).bin.sparkflow);
    const forms = [...readme.matchAll(/`npx sparkflow (--help|help|-h)`/g)].map((m) => m[1]);
    expect(forms).toContain('--help');
    for (const form of forms) {
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) =>
        execFile(command, [form], (err, out) =>
          err && typeof err.code !== 'number'
            ? reject(err)
            : resolve({ code: err ? Number(err.code) : 0, stdout: out }),
        ),
      );
      expect({ form, code, usage: stdout.split('\n')[0] }).toEqual({
        form,
        code: 0,
        usage: 'Usage: sparkflow [options] [command]',
      });
    }
  }, 60_000);
});

describe('sparkflow help <command>', () => {
  /** Runs `sparkflow <args>` in-process: what it printed on stdout, and the exit code `report` gives. */
  async function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const program = buildProgram(() => undefined);
    let stdout = '';
    const capture = (cmd: Command): void => {
      cmd.configureOutput({ writeOut: (s) => (stdout += s), writeErr: () => undefined });
      cmd.commands.forEach(capture);
    };
    capture(program);
    let stderr = '';
    const write = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((s) => ((stderr += String(s)), true));
    try {
      const code = await program.parseAsync(args, { from: 'user' }).then(
        () => EXIT.ok,
        (err: unknown) => report(err, false),
      );
      return { stdout, stderr, code };
    } finally {
      write.mockRestore();
    }
  }

  it.each([
    [['help', 'nosuch'], /^sparkflow: no command "nosuch": the commands are stack, topics, .*\n$/],
    [
      ['help', 'topics', 'nosuch'],
      /^sparkflow: no command "nosuch" in sparkflow topics: the commands are list, describe, tail\n$/,
    ],
    [['topics', 'help', 'nosuch'], /^sparkflow: no command "nosuch" in sparkflow topics: /],
    [
      ['help', 'users', 'get', 'extra'],
      /^sparkflow: no command "extra" in sparkflow users get: sparkflow users get takes no subcommand/,
    ],
  ])('sparkflow %j names the command it does not have, exit 2', async (args, says) => {
    const r = await run(args);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
      code: EXIT.usage,
      stderr: expect.stringMatching(says),
      stdout: '',
    });
  });

  it('refuses any word that is not a command, exit 2, quoting it, and prints nothing on stdout', async () => {
    const commands = new Set(buildProgram(() => undefined).commands.map((c) => c.name()));
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
          .filter((w) => !commands.has(w) && !w.startsWith('-')),
        async (word) => {
          const r = await run(['help', word]);
          expect({ code: r.code, stdout: r.stdout }).toEqual({ code: EXIT.usage, stdout: '' });
          expect(r.stderr).toContain(`no command ${JSON.stringify(word)}`);
        },
      ),
      { seed: 20261203, numRuns: 200 },
    );
  });

  it.each([
    [['help'], 'Usage: sparkflow [options] [command]'],
    [['help', 'topics'], 'Usage: sparkflow topics [options] [command]'],
    [['help', 'topics', 'tail'], 'Usage: sparkflow topics tail [options] <topic>'],
    [['topics', 'help', 'tail'], 'Usage: sparkflow topics tail [options] <topic>'],
  ])('sparkflow %j prints that help on stdout, exit 0', async (args, usage) => {
    const r = await run(args);
    expect({ code: r.code, first: r.stdout.split('\n')[0] }).toEqual({ code: EXIT.ok, first: usage });
  });
});

describe('sparkflow <command> --help --json, every command', () => {
  /** Every command, the program, groups and `help` commands included, by the words that run it. */
  const walk = (cmd: Command, path: string[]): { path: string[]; cmd: Command }[] => [
    { path, cmd },
    ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()])),
  ];
  const all = walk(
    buildProgram(() => undefined),
    [],
  );

  /** `sparkflow <args>` in-process, as `main` runs it: stdout (commander's and the commands'), exit code. */
  async function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const program = buildProgram(() => undefined);
    let stdout = '';
    let stderr = '';
    const capture = (cmd: Command): void => {
      cmd.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
      cmd.commands.forEach(capture);
    };
    capture(program);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    try {
      const code = await program.parseAsync(args, { from: 'user' }).then(
        () => EXIT.ok,
        (e: unknown) => report(e, false),
      );
      return { stdout, stderr, code };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('covers the program, the groups, the commands people run and the help commands', () => {
    expect(all.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining([
        '',
        'topics',
        'topics tail',
        'dlq show',
        'stack up',
        'bench',
        'help',
        'dlq help',
      ]),
    );
  });

  it.each(all.map(({ path }) => [path.join(' ') || '(the program)', path] as const))(
    'sparkflow %s: one JSON document, --json before or after --help, exit 0, describing what the text help does',
    async (_name, path) => {
      const cmd = all.find((c) => c.path === path)!.cmd;
      const text = helpOf(cmd);
      for (const args of [
        [...path, '--help', '--json'],
        ['--json', ...path, '--help'],
      ]) {
        const r = await run(args);
        expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: EXIT.ok, stderr: '' });
        const doc = JSON.parse(r.stdout) as HelpDocument;
        expect(doc.command).toBe(['sparkflow', ...path].join(' '));
        // What the text help shows, the JSON holds: its usage, options, subcommands and closing text.
        expect(text).toContain(`Usage: ${doc.usage}\n`);
        for (const o of [...doc.options, ...doc.globalOptions]) expect(text).toContain(o.flags);
        for (const c of doc.commands) expect(text).toContain(c.usage);
        for (const a of doc.arguments) expect(doc.usage).toContain(a.name);
        expect(text.replace(/\s+/g, ' ')).toContain(doc.helpText.replace(/\s+/g, ' '));
      }
    },
  );

  it('help <command> --json and --json help <command> print that command’s JSON help', async () => {
    for (const args of [
      ['help', 'topics', 'tail', '--json'],
      ['--json', 'topics', 'help', 'tail'],
    ]) {
      const r = await run(args);
      expect({ code: r.code, command: JSON.parse(r.stdout).command }).toEqual({
        code: EXIT.ok,
        command: 'sparkflow topics tail',
      });
    }
  });

  it('keeps help printed for a mistake (a group without its subcommand) as text on stderr, exit 2', async () => {
    const r = await run(['--json', 'topics']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: EXIT.usage, stdout: '' });
    expect(r.stderr).toMatch(/^Usage: sparkflow topics /);
  });
});
