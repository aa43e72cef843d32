import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { loadCliConfig } from './cli.config';
import { buildProgram, report } from './main';
import { EXIT, UsageError } from './errors';

/** Parses `args` as the built program would, its help and errors kept quiet. */
const run = (args: string[]) => {
  const program = buildProgram(() => undefined);
  const quiet = (c: typeof program): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  return program.parseAsync(args, { from: 'user' });
};

describe('the sparkflow program', () => {
  it('prints the release of its repository for --version, exit 0', async () => {
    const release = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const printed: string[] = [];
    const program = buildProgram(() => undefined).exitOverride();
    program.configureOutput({ writeOut: (s) => printed.push(s) });
    const err = await program.parseAsync(['--version'], { from: 'user' }).catch((e: unknown) => e);
    expect(printed.join('')).toBe(`${release}\n`);
    expect(report(err, false)).toBe(EXIT.ok);
  });

  it('prints the release as JSON for --version with --json, whichever comes first and wherever they are', async () => {
    const release = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom([], ['batches', 'list'], ['topics', 'tail', 'users.dlq'], ['top']),
        fc.shuffledSubarray(['--no-color', '--audit-key=dev-audit-key'], { minLength: 0 }),
        fc.constantFrom('--version', '-V'),
        fc.boolean(),
        async (command, others, version, jsonFirst) => {
          const flags = jsonFirst ? ['--json', version] : [version, '--json'];
          const args = [...others.slice(0, 1), ...command, ...flags, ...others.slice(1)];
          const printed: string[] = [];
          const program = buildProgram(() => undefined);
          program.configureOutput({ writeOut: (s) => printed.push(s) });
          const err = await program.parseAsync(args, { from: 'user' }).catch((e: unknown) => e);
          expect({ args, printed: printed.join(''), code: report(err, false) }).toEqual({
            args,
            printed: `${JSON.stringify({ version: release })}\n`,
            code: EXIT.ok,
          });
        },
      ),
      { seed: 20261203, numRuns: 100 },
    );
  });

  it('rejects an unknown command as a usage error', async () => {
    await expect(run(['topics', 'lsit'])).rejects.toBeInstanceOf(CommanderError);
  });

  it('refuses a replay that selects nothing, before touching Kafka', async () => {
    await expect(run(['dlq', 'replay'])).rejects.toBeInstanceOf(UsageError);
  });

  it('refuses a corrected payload without exactly one --event', async () => {
    await expect(run(['dlq', 'replay', '--all', '--payload-file', 'fixed.json'])).rejects.toThrow(
      /exactly one --event/,
    );
  });

  it('refuses conflicting start positions for tail', async () => {
    await expect(
      run(['topics', 'tail', 'users.raw', '--from-beginning', '--offset', '0:1']),
    ).rejects.toBeInstanceOf(CommanderError);
  });

  it('documents every command', () => {
    const names = buildProgram(() => undefined).commands.flatMap((c) => [
      c.name(),
      ...c.commands.map((s) => `${c.name()} ${s.name()}`),
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        'stack up',
        'stack status',
        'topics list',
        'topics describe',
        'topics tail',
        'dlq list',
        'dlq show',
        'dlq replay',
        'dlq stats',
        'batches list',
        'batches get',
        'batches watch',
        'events get',
        'backfill',
        'backfill cancel',
        'users get',
        'top',
      ]),
    );
  });

  it('states the exit codes in --help and in the README, one line each for the codes scripts rely on', () => {
    let written = '';
    const program = buildProgram(() => undefined);
    program.configureOutput({ writeOut: (s) => (written += s) });
    program.outputHelp();
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const [code, meaning] of [
      [EXIT.ok, 'done'],
      [EXIT.failure, 'the system failed'],
      [EXIT.usage, 'the command line is wrong'],
    ] as const) {
      expect(written).toMatch(new RegExp(`^  ${code}  ${meaning}`, 'm'));
      expect(readme).toMatch(new RegExp(`^- \`${code}\` ${meaning}`, 'm'));
    }
  });

  it('names itself once before a configuration error', () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      let err: unknown;
      try {
        loadCliConfig({ AUDIT_HTTP_PORT: 'http' });
      } catch (e) {
        err = e;
      }
      expect(report(err, false)).toBe(EXIT.usage);
    } finally {
      write.mockRestore();
    }
    expect(written.join('')).toMatch(/^sparkflow: invalid configuration\n {2}AUDIT_HTTP_PORT: /);
    expect(written.join('')).not.toContain('sparkflow: sparkflow:');
  });
});

describe('option bounds', () => {
  it('refuses a batches list --limit above the audit bound before asking the audit', async () => {
    await expect(run(['batches', 'list', '--limit', '5000'])).rejects.toThrow(/--limit "5000": at most 1000/);
    await expect(run(['batches', 'list', '--limit', '5000'])).rejects.toBeInstanceOf(UsageError);
  });

  it('refuses a backfill day the calendar does not have', async () => {
    await expect(
      run(['backfill', '--from', '2026-02-30', '--to', '2026-03-01', '--per-day', '1']),
    ).rejects.toThrow(/--from "2026-02-30"/);
  });
});

describe('help texts', () => {
  const helpOf = (...path: string[]): string => {
    let cmd = buildProgram(() => undefined);
    for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s) });
    cmd.outputHelp();
    return text;
  };
  const every = (cmd = buildProgram(() => undefined)): ReturnType<typeof buildProgram>[] => [
    cmd,
    ...cmd.commands.flatMap((c) => every(c)),
  ];

  it('states each default once', () => {
    for (const cmd of every()) expect(cmd.helpInformation()).not.toMatch(/\(default\s[^:)]*\)\s*\(default:/);
  });

  it('marks the options backfill cannot run without as required', () => {
    const help = helpOf('backfill').replace(/\s+/g, ' ');
    expect(help).toMatch(/--from <day> first day, e\.g\. 2026-11-01 \(required\)/);
    expect(help).toMatch(/--to <day> last day \(inclusive; at most 366 days\) \(required\)/);
    expect(help).toMatch(
      /--per-day <n> users per day, at most 100000 \(ingestion refuses more, exit 2\) \(required\)/,
    );
    expect(help).not.toMatch(/--seed[^-]*\(required\)/);
  });

  it('lists every component the native stack takes', () => {
    const usage = readFileSync(
      join(__dirname, '..', '..', '..', 'deploy', 'local', 'src', 'main.ts'),
      'utf8',
    );
    const paragraph = /\nComponents: ([\s\S]*?)\nDefault:/.exec(usage)![1];
    const names = paragraph.replace(/\([^)]*\)/g, '').match(/[a-z][a-z-]+/g)!;
    expect(names).toEqual(expect.arrayContaining(['kafka', 'spark-master', 'spark-worker', 'airflow']));
    const help = helpOf('stack');
    for (const name of names) expect(help).toMatch(new RegExp(`\\b${name}\\b`));
  });
});
