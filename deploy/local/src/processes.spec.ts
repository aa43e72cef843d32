import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { procView, stillStarting } from './processes';

describe('stillStarting: a process the stack has just started', () => {
  const MARKER = '/home/.sparkflow/spark-master';

  it('is starting while it runs with the data folder on its command line', () => {
    for (const state of ['R', 'S', 'D']) {
      expect(
        stillStarting({ state, cmdline: `java -cp x Master --properties-file ${MARKER}/a.conf` }, MARKER),
      ).toBe(true);
    }
  });

  it('is starting while its command line reads empty, as during the exec of a launcher script', () => {
    expect(stillStarting({ state: 'R', cmdline: '' }, MARKER)).toBe(true);
    expect(stillStarting({ state: 'S', cmdline: ' ' }, MARKER)).toBe(true);
  });

  it('is gone when /proc has no entry, when it is a zombie, or when its pid now names another program', () => {
    expect(stillStarting(null, MARKER)).toBe(false);
    expect(stillStarting({ state: 'Z', cmdline: '' }, MARKER)).toBe(false);
    expect(stillStarting({ state: 'X', cmdline: '' }, MARKER)).toBe(false);
    expect(stillStarting({ state: 'S', cmdline: 'sshd: root@pts/0 ' }, MARKER)).toBe(false);
  });
});

describe('procView', () => {
  it("reads this process's state and command line", () => {
    const view = procView(process.pid);
    expect(view?.state).toMatch(/^[RSD]$/);
    expect(view?.cmdline).toContain(process.argv[1]);
  });

  it('reads the state after a command name holding spaces and parentheses', async () => {
    // The kernel's name of a process is its program's file name: `pid (a) b (c) S …` in its stat line.
    const dir = mkdtempSync(join(tmpdir(), 'sparkflow-procview-'));
    const program = join(dir, 'a) b (c');
    copyFileSync('/bin/sleep', program);
    chmodSync(program, 0o755);
    const child = spawn(program, ['30'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      const view = procView(child.pid ?? -1);
      expect(view?.state).toMatch(/^[RSD]$/);
      expect(view?.cmdline).toBe(`${program} 30 `);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is null for a pid that has exited', () => {
    const gone = spawnSync('true');
    expect(gone.pid).toBeGreaterThan(0);
    expect(procView(gone.pid)).toBeNull();
  });
});
