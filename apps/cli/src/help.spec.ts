import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram, report } from './main';
import { EXIT } from './errors';

/** Every command a person runs (a command without subcommands), by path, with the program it belongs to. */
function leafCommands(): { path: string; cmd: Command }[] {
  const program = buildProgram(() => undefined);
  const walk = (cmd: Command, path: string[]): { path: string; cmd: Command }[] =>
    cmd.commands.length
      ? cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))
      : [{ path: path.join(' '), cmd }];
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
