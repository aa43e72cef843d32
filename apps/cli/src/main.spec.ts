import { CommanderError } from 'commander';
import { loadCliConfig } from './cli.config';
import { buildProgram, report } from './main';
import { EXIT, UsageError } from './errors';

describe('the sparkflow program', () => {
  const run = (args: string[]) => {
    const program = buildProgram(() => undefined);
    const quiet = (c: typeof program): void => {
      c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      c.commands.forEach(quiet);
    };
    quiet(program);
    return program.parseAsync(args, { from: 'user' });
  };

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
        'users get',
        'top',
      ]),
    );
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
  const run = (args: string[]) => {
    const program = buildProgram(() => undefined);
    const quiet = (c: typeof program): void => {
      c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      c.commands.forEach(quiet);
    };
    quiet(program);
    return program.parseAsync(args, { from: 'user' });
  };

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
