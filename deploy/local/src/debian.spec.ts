import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianProgram } from './debian';
import { SetupError } from './errors';

/** Debian's packages fetched into a cache of the test's own, from the machine's Debian mirror. */
const REPO_ROOT = join(__dirname, '..', '..', '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

describe('debianProgram', () => {
  jest.setTimeout(120_000);
  let cache: string;
  beforeEach(() => (cache = mkdtempSync(join(tmpdir(), 'sparkflow-debian-'))));
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('gives every one of several first uses at once a program that runs', async () => {
    // Separate processes, as two stacks or a test beside a stack are: each unpacks, one copy stays.
    const script = `console.log(require(${JSON.stringify(join(__dirname, 'debian'))}).debianProgram(process.argv[1], 'hello', ['hello'], 'usr/bin/hello'))`;
    const runs = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(TSX, ['-e', script, cache], { cwd: REPO_ROOT });
            let out = '';
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (out += d));
            child.on('exit', (code) => resolve({ code, out }));
          }),
      ),
    );
    const program = join(cache, 'debian', 'hello', 'usr', 'bin', 'hello');
    for (const r of runs) {
      expect(r).toEqual({ code: 0, out: expect.stringContaining(program) });
    }
    expect(spawnSync(program, [], { encoding: 'utf8' }).stdout).toBe('Hello, world!\n');
  });

  it("names the package and apt's own reason when it cannot fetch one", () => {
    const call = () => debianProgram(cache, 'nothing', ['sparkflow-no-such-package'], 'usr/bin/nothing');
    expect(call).toThrow(SetupError);
    expect(call).toThrow(
      /nothing: could not fetch sparkflow-no-such-package .*Unable to locate package sparkflow-no-such-package/,
    );
  });
});
