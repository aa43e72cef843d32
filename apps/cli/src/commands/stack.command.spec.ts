import { spawn as spawnChild } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPOLOGIES } from '@sparkflow/contracts';
import { buildProgram, report } from '../main';
import { EXIT } from '../errors';
import { STACK_SCRIPT, clusterComponentNames, scriptEnv } from './stack.command';

jest.mock('node:child_process', () => ({ spawn: jest.fn() }));
const spawn = jest.mocked(spawnChild) as unknown as jest.Mock;

describe('the environment `sparkflow stack` and `sparkflow bench` run their scripts with', () => {
  it('makes a relative SPARKFLOW_HOME absolute from the working directory, as the CLI reads it', () => {
    // The scripts run from the repository: relative, they would find another home than the CLI's.
    expect(scriptEnv({ SPARKFLOW_HOME: 'homes/a', KAFKA_PORT: '39092' }, '/work/x')).toEqual({
      SPARKFLOW_HOME: '/work/x/homes/a',
      KAFKA_PORT: '39092',
    });
    expect(scriptEnv({ SPARKFLOW_HOME: '/srv/sf' }, '/work/x')).toEqual({ SPARKFLOW_HOME: '/srv/sf' });
  });

  it('leaves an unset SPARKFLOW_HOME unset, for the stack to take its default', () => {
    expect(scriptEnv({ KAFKA_PORT: '39092' }, '/work/x')).toEqual({ KAFKA_PORT: '39092' });
  });
});

/**
 * Runs `sparkflow <args>` as main does, with the script spawned by a fake that exits 0 at once; answers
 * the exit code and the arguments the stack script was given (null when it was not run).
 */
async function sparkflow(args: string[]): Promise<{ code: number; scriptArgs: string[] | null }> {
  spawn.mockReset().mockImplementation(() => {
    const child = new EventEmitter();
    setImmediate(() => child.emit('exit', 0, null));
    return child;
  });
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  const quiet = (c: typeof program): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    code = report(err, false);
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
  const call = spawn.mock.calls[0] as [string, string[]] | undefined;
  if (call) expect(call.slice(0, 2)).toEqual(['bash', [STACK_SCRIPT, ...call[1].slice(1)]]);
  return { code, scriptArgs: call ? call[1].slice(1) : null };
}

describe('`sparkflow stack` hands the stack (deploy/local/bin/stack) what `npm run stack` takes', () => {
  it.each([
    [
      ['stack', 'up', '--topology', 'cluster'],
      ['up', '--topology', 'cluster'],
    ],
    [
      ['stack', 'up', 'kafka', '--topology=single'],
      ['up', 'kafka', '--topology', 'single'],
    ],
    [['stack', 'reset'], ['reset']],
    [
      ['stack', 'reset', 'cassandra-2'],
      ['reset', 'cassandra-2'],
    ],
    [
      ['stack', 'status', '--json'],
      ['status', '--json'],
    ],
    [
      ['--json', 'stack', 'status', 'kafka'],
      ['status', 'kafka', '--json'],
    ],
    [
      ['stack', 'logs', 'audit', '-f'],
      ['logs', 'audit', '-f'],
    ],
    [
      ['stack', 'down', 'ingestion-2'],
      ['down', 'ingestion-2'],
    ],
  ])('sparkflow %j runs the stack with %j', async (args, expected) => {
    expect(await sparkflow(args)).toEqual({ code: EXIT.ok, scriptArgs: expected });
  });

  it('passes --json only to status, the one stack command that prints JSON', async () => {
    for (const command of ['up', 'down', 'logs', 'reset'])
      expect(await sparkflow(['--json', 'stack', command])).toEqual({ code: EXIT.ok, scriptArgs: [command] });
  });

  it('refuses a topology the stack does not have as a usage error, before running the stack', async () => {
    expect(await sparkflow(['stack', 'up', '--topology', 'triple'])).toEqual({
      code: EXIT.usage,
      scriptArgs: null,
    });
  });

  it('hands on every component name of the cluster topology, numbered from libs/contracts TOPOLOGIES', async () => {
    const { kafkaNodes, cassandraNodes, serviceReplicas } = TOPOLOGIES.cluster;
    const names = clusterComponentNames();
    expect(names.filter((n) => /^kafka-\d$/.test(n))).toHaveLength(kafkaNodes);
    expect(names.filter((n) => /^cassandra-\d$/.test(n))).toHaveLength(cassandraNodes);
    expect(names.filter((n) => /^audit-\d$/.test(n))).toHaveLength(serviceReplicas);
    expect(names).toEqual(expect.arrayContaining(['kafka-2', 'haproxy', 'ingestion-2', 'spark-worker']));
    expect(await sparkflow(['stack', 'status', ...names])).toEqual({
      code: EXIT.ok,
      scriptArgs: ['status', ...names],
    });
  });

  it("names the stack's components in its help as the stack's own usage does", () => {
    let help = '';
    const stack = buildProgram(() => undefined).commands.find((c) => c.name() === 'stack')!;
    stack.configureOutput({ writeOut: (s) => (help += s) });
    stack.outputHelp();
    for (const name of clusterComponentNames()) expect(help).toContain(name);
    // deploy/local's usage text (read, not imported: the CLI spawns the stack) names the same components.
    const usage = readFileSync(join(__dirname, '../../../../deploy/local/src/main.ts'), 'utf8');
    const listed = /^Components: ([\s\S]*?)\nDefault:/m.exec(usage)![1];
    const stackNames = [...listed.matchAll(/(?:^|[\s,;])([a-z]+(?:-[a-z]+)?)(?=,|\s\(|\.$)/gm)].map(
      (m) => m[1],
    );
    expect(stackNames.length).toBeGreaterThan(8);
    for (const name of stackNames) expect(help).toMatch(new RegExp(`\\b${name}\\b`));
    expect(usage).toMatch(/haproxy/);
  });
});

describe('`sparkflow stack` and `sparkflow bench` under --json', () => {
  /** `sparkflow <args>` with the script exiting `exitCode`: stdout, and how the script was spawned. */
  async function run(args: string[], exitCode = 0) {
    spawn.mockReset().mockImplementation(() => {
      const child = new EventEmitter();
      setImmediate(() => child.emit('exit', exitCode, null));
      return child;
    });
    let stdout = '';
    let code: number = EXIT.ok;
    const program = buildProgram((c) => (code = c));
    program.configureOutput({ writeOut: (s) => (stdout += s) });
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    try {
      await program.parseAsync(args, { from: 'user' });
    } finally {
      out.mockRestore();
    }
    const call = spawn.mock.calls[0] as [string, string[], { stdio: unknown }] | undefined;
    return { code, stdout, spawned: call ? { args: call[1].slice(1), stdio: call[2].stdio } : null };
  }

  it.each(['up', 'down', 'logs', 'reset'])(
    'sparkflow --json stack %s prints the stack’s progress on stderr and how it ended as JSON on stdout',
    async (command) => {
      const r = await run(['--json', 'stack', command, 'kafka'], 3);
      expect(r.spawned?.stdio).toEqual(['inherit', 2, 'inherit']);
      expect({ code: r.code, stdout: JSON.parse(r.stdout) }).toEqual({
        code: 3,
        stdout: { command, components: ['kafka'], exitCode: 3 },
      });
    },
  );

  it('sparkflow stack status --json leaves stdout to the stack’s own JSON', async () => {
    const r = await run(['stack', 'status', '--json']);
    expect(r).toEqual({ code: 0, stdout: '', spawned: { args: ['status', '--json'], stdio: 'inherit' } });
  });

  it('sparkflow bench --json runs the harness with its report on stderr, and prints how it ended', async () => {
    const r = await run(['bench', '--quick', '--json']);
    expect(r.spawned).toEqual({ args: ['--quick'], stdio: ['inherit', 2, 'inherit'] });
    expect(JSON.parse(r.stdout)).toEqual({ command: 'bench', arguments: ['--quick'], exitCode: 0 });
  });

  it.each([
    ['bench', '--help', '--json'],
    ['--json', 'bench', '-h'],
  ])('sparkflow %s %s %s prints the command’s help as JSON and runs nothing', async (...args) => {
    const r = await run(args);
    expect(r.spawned).toBeNull();
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'sparkflow bench',
      usage: 'sparkflow bench [options...]',
    });
  });

  it('without --json runs the scripts as before, stdout theirs', async () => {
    expect((await run(['stack', 'up'])).spawned).toEqual({ args: ['up'], stdio: 'inherit' });
    expect((await run(['bench', '--help'])).spawned).toEqual({ args: ['--help'], stdio: 'inherit' });
  });
});
