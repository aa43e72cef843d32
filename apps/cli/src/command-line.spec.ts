import { runCli, runEach } from './cli-runner';
import { EXIT } from './errors';

/**
 * The command line as a person types it, through the command npx runs (bin/sparkflow): what is refused here
 * is refused before anything is asked of the stack, so none needs to run.
 */
describe('sparkflow, run as bin/sparkflow', () => {
  it.each([
    [
      ['batches', 'list', '--limit', ' 5'],
      'sparkflow: --limit " 5": expected a whole number of at least 1\n',
    ],
    [
      ['top', '--once', '--interval', '1000\t'],
      'sparkflow: --interval "1000\\t": expected a whole number of at least 1\n',
    ],
    [
      ['topics', 'tail', 'users.dlq', '--offset', '0:1 '],
      'sparkflow: --offset "0:1 ": expected <partition>:<offset>, e.g. 0:42\n',
    ],
    [
      ['batches', 'list', '--json=true'],
      'sparkflow: --json takes no value, given "--json=true": give --json alone\n',
    ],
    [
      ['batches', 'list', '--json', 'true'],
      'sparkflow: too many arguments for sparkflow batches list: "true" (it takes none; --json takes no value)\n',
    ],
    [
      ['batches', 'list', '--since', '--incomplete'],
      'sparkflow: --since is missing its value: "--incomplete" after it is an option (a value that starts so is written --since=--incomplete)\n',
    ],
    [
      ['batches', 'list', '--limit', '5', '--limit', '7'],
      'sparkflow: --limit is given more than once: it takes one value\n',
    ],
  ])(
    'sparkflow %j exits 2 naming the option',
    async (args, stderr) => {
      const r = await runCli(args);
      expect(r).toEqual({ code: EXIT.usage, stdout: '', stderr });
    },
    60_000,
  );

  it('sparkflow --version --json prints the release as JSON, as --json prints everything on stdout', async () => {
    const r = await runCli(['--version', '--json']);
    expect({ code: r.code, stderr: r.stderr, stdout: JSON.parse(r.stdout) }).toEqual({
      code: EXIT.ok,
      stderr: '',
      stdout: { version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
  }, 60_000);
});

describe('sparkflow <command> --help --json, run as bin/sparkflow', () => {
  // A process per run: a command of each kind here, both orders; help.spec.ts runs every command's in-process.
  it.each(['', 'topics', 'topics tail', 'dlq show', 'stack up', 'bench', 'dlq help'])(
    'sparkflow %s --help prints its help as one JSON document, --json before or after --help, exit 0',
    async (words) => {
      const path = words ? words.split(' ') : [];
      const argLists = [
        [...path, '--help', '--json'],
        ['--json', ...path, '--help'],
      ];
      for (const [i, r] of (await runEach(argLists, 2)).entries()) {
        expect({ args: argLists[i], code: r.code, stderr: r.stderr }).toEqual({
          args: argLists[i],
          code: EXIT.ok,
          stderr: '',
        });
        const doc = JSON.parse(r.stdout) as { command: string; usage: string };
        expect(doc.command).toBe(['sparkflow', ...path].join(' '));
        expect(doc.usage.startsWith(doc.command)).toBe(true);
      }
    },
    60_000,
  );

  it('describes the command from its commander objects: arguments, options with defaults, subcommands', async () => {
    const [list, topics, program, help] = await runEach([
      ['dlq', 'list', '--help', '--json'],
      ['--json', 'topics', '--help'],
      ['--json', '-h'],
      ['help', 'topics', 'tail', '--json'],
    ]);
    expect(JSON.parse(list.stdout)).toMatchObject({
      command: 'sparkflow dlq list',
      name: 'list',
      description: 'dead letters with their stage, origin and reasons, oldest first',
      usage: 'sparkflow dlq list [options]',
      arguments: [],
      options: expect.arrayContaining([
        expect.objectContaining({ flags: '--limit <n>', long: '--limit', takesValue: true, default: 100 }),
        expect.objectContaining({ flags: '-h, --help', short: '-h', takesValue: false }),
      ]),
      globalOptions: expect.arrayContaining([
        expect.objectContaining({ flags: '--json', description: expect.stringContaining('JSON') }),
      ]),
      commands: [],
      helpText: expect.stringMatching(/^Examples:\n {2}\$ sparkflow dlq list/),
    });
    expect(JSON.parse(topics.stdout).commands.map((c: { name: string }) => c.name)).toEqual([
      'list',
      'describe',
      'tail',
      'help',
    ]);
    expect(JSON.parse(program.stdout)).toMatchObject({
      command: 'sparkflow',
      usage: 'sparkflow [options] [command]',
      helpText: expect.stringContaining('Exit codes, the same for every command'),
    });
    expect(JSON.parse(help.stdout)).toMatchObject({
      command: 'sparkflow topics tail',
      arguments: [expect.objectContaining({ name: 'topic', required: true, variadic: false })],
    });
  }, 120_000);

  it('prints the text help without --json, as before', async () => {
    const [r] = await runEach([['batches', 'list', '--help']]);
    expect({ code: r.code, first: r.stdout.split('\n')[0] }).toEqual({
      code: EXIT.ok,
      first: 'Usage: sparkflow batches list [options]',
    });
  }, 60_000);
});
