import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupError } from '../errors';
import { gcLogOption } from './cassandra';

describe("gcLogOption: Cassandra's GC log", () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'sparkflow-gc-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  // The JVM is the one judge of its own option syntax, so each path is handed to a real `java`.
  it.each(['logs', 'a home: with a colon', 'C:\\odd,dir=x', '100%%, 50%x'])(
    'is accepted by the JVM, which writes gc.log under %j',
    (dir) => {
      const logs = join(home, dir);
      mkdirSync(logs); // as the component's prepare step does
      // The stack's own Java: JAVA_HOME first, then PATH (deploy/local/src/java.ts).
      const java = spawnSync(
        process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java',
        [`-Xlog:disable`, '-Xlog:all=warning:stderr', gcLogOption(logs), '-XX:+UseSerialGC', '-version'],
        { encoding: 'utf8' },
      );
      expect(java.error).toBeUndefined(); // no Java at all: set JAVA_HOME, as for the stack
      expect(java.stderr).not.toMatch(/\[(warning|error)\s*\]\[logging/);
      expect(java.status).toBe(0);
      expect(existsSync(join(logs, 'gc.log'))).toBe(true);
      expect(readFileSync(join(logs, 'gc.log'), 'utf8')).toMatch(/Using Serial/);
    },
  );

  it('names the path when it holds a double quote, which the JVM cannot take', () => {
    expect(() => gcLogOption('/srv/"x"/logs')).toThrow(SetupError);
    expect(() => gcLogOption('/srv/"x"/logs')).toThrow('/srv/"x"/logs/gc.log');
  });

  // The JVM would fail to start on '%p' (it opens a file in a directory named after its pid) and log
  // under another name on '%t'; '%%' is no escape, and any other '%' is taken as it is.
  it.each(['/srv/a%pb/logs', '/srv/run-%t/logs'])(
    'names %s, where the JVM would put its pid or time',
    (logs) => {
      expect(() => gcLogOption(logs)).toThrow(SetupError);
      expect(() => gcLogOption(logs)).toThrow(/%[pt]'.*SPARKFLOW_HOME/);
    },
  );
});
