import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import fc from 'fast-check';
import { closedPort, runEach, runsItself } from './cli-runner';
import { EXIT } from './errors';
import { buildProgram } from './main';

/**
 * Under --json, stdout is JSON: a generated set of command lines that need no running stack (help, the
 * version, and the mistakes refused before anything is asked: unknown commands and options, missing
 * arguments and values, malformed values, a flag given a value, excess words), `--json` anywhere in them,
 * run as bin/sparkflow. Each ends 0 with one JSON document on stdout, or 2 with nothing on stdout and the
 * error on stderr. The stack's and the APIs' settings point at a closed port, so a command line that got
 * past its arguments would fail (exit 1) rather than reach the running stack.
 */

const commands: { path: string[]; cmd: Command }[] = [];
const walk = (cmd: Command, path: string[]): void => {
  commands.push({ path, cmd });
  cmd.commands.forEach((c) => walk(c, [...path, c.name()]));
};
walk(
  buildProgram(() => undefined),
  [],
);

/** Commands that hand their words to a script (the stack's, the benchmark's): only their help is asked. */
const runsScript = (path: string[]) => path[0] === 'stack' || path[0] === 'bench';
const leaves = commands.filter((c) => c.path.length && runsItself(c.cmd) && c.path.at(-1) !== 'help');

/** Command lines, without --json, each refused before anything is asked, or answered from the CLI alone. */
const lines: fc.Arbitrary<readonly string[]> = fc.oneof(
  // Help, every command's, in each form.
  fc
    .constantFrom(...commands)
    .chain(({ path }) => fc.constantFrom([...path, '--help'], [...path, '-h'], ['help', ...path])),
  fc.constantFrom(['--version'], ['-V'], ['batches', 'list', '--version']),
  fc.constantFrom([], ['no-such-command'], ['help', 'no-such-command'], ['topics', 'no-such'], ['topics']),
  // An option no command has, and a flag given a value.
  fc
    .constantFrom(...commands.filter((c) => c.path[0] !== 'bench'))
    .chain(({ path }) => fc.constantFrom([...path, '--no-such-option'], [...path, '--json=yes'])),
  // A required argument or option left out.
  fc.constantFrom(
    ...leaves
      .filter(
        ({ cmd }) => cmd.registeredArguments.some((a) => a.required) || cmd.options.some((o) => o.mandatory),
      )
      .map(({ path }) => path),
  ),
  // An option's value left out (the last word).
  fc.constantFrom(
    ...leaves
      .filter(({ path }) => !runsScript(path))
      .flatMap(({ path, cmd }) =>
        cmd.options.filter((o) => o.required).map((o) => [...path, ...requiredArguments(cmd), o.long!]),
      ),
  ),
  // Words past the arguments a command takes.
  fc.constantFrom(
    ...leaves
      .filter(({ path, cmd }) => !runsScript(path) && !cmd.registeredArguments.some((a) => a.variadic))
      .map(({ path, cmd }) => [...path, ...requiredArguments(cmd), 'extra']),
  ),
  // Values no run of the command could use.
  fc.constantFrom(
    ['batches', 'list', '--limit', ' 5'],
    ['batches', 'list', '--since', 'yesterday'],
    ['batches', 'watch', 'b1', '--timeout', '1e3'],
    ['dlq', 'list', '--stage', 'nowhere'],
    ['dlq', 'show', 'not-a-uuid'],
    ['dlq', 'show', 'not-a-uuid', '--original'],
    ['events', 'get', 'not-a-uuid'],
    ['users', 'get', '12345'],
    ['topics', 'tail', 'users.dlq', '--offset', '0:x'],
    ['topics', 'describe', '..'],
    ['top', '--interval', '0'],
    ['backfill', '--from', '2026-02-30', '--to', '2026-03-01', '--per-day', '1'],
    ['stack', 'up', '--topology', 'triple'],
  ),
);

/** Placeholder values for the arguments a command requires, so that the mistake tried is the only one. */
function requiredArguments(cmd: Command): string[] {
  return cmd.registeredArguments.filter((a) => a.required).map(() => '3f0c2a9e-8d1b-4c5e-9a7f-2b6d4e8c1a03');
}

/** `--json` first, last, or right after the command's words. */
const withJson = lines.chain((words) =>
  fc
    .integer({ min: 0, max: words.length })
    .map((at) => [...words.slice(0, at), '--json', ...words.slice(at)]),
);

describe('under --json, stdout is JSON', () => {
  let home: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'sparkflow-json-stdout-'));
    const closed = await closedPort();
    env = {
      SPARKFLOW_HOME: home,
      KAFKA_BROKERS: `127.0.0.1:${closed}`,
      CASSANDRA_CONTACT_POINTS: `127.0.0.1:${closed}`,
      ...Object.fromEntries(
        ['INGESTION_URL', 'AUDIT_URL', 'ENRICHMENT_URL', 'PERSISTENCE_URL'].map((v) => [
          v,
          `http://127.0.0.1:${closed}`,
        ]),
      ),
    };
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('for help, the version and every mistake refused before anything is asked: JSON and exit 0, or nothing and exit 2', async () => {
    const argLists = fc.sample(withJson, { seed: 20261203, numRuns: 16 });
    const runs = await runEach(argLists, 2, env);
    const outcomes = runs.map((r, i) => {
      let json: 'one document' | 'none' | string = 'none';
      if (r.stdout !== '')
        try {
          JSON.parse(r.stdout);
          json = 'one document';
        } catch (e) {
          json = `not JSON (${(e as Error).message}): ${r.stdout.slice(0, 200)}`;
        }
      return {
        args: argLists[i],
        code: r.code,
        json,
        stderr: r.code === EXIT.ok ? r.stderr : r.stderr !== '',
      };
    });
    expect(outcomes).toEqual(
      outcomes.map(({ args, code }) =>
        code === EXIT.ok
          ? { args, code, json: 'one document', stderr: '' }
          : { args, code: EXIT.usage, json: 'none', stderr: true },
      ),
    );
    // Both kinds of outcome are in the set.
    expect(new Set(outcomes.map((o) => o.code))).toEqual(new Set([EXIT.ok, EXIT.usage]));
  }, 300_000);
});
