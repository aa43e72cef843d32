import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupError } from './errors';
import { run } from './processes';

/**
 * Debian packages unpacked (not installed) into `$SPARKFLOW_CACHE/debian/<name>`: fetched with
 * `apt-get download` and unpacked with `dpkg -x`, so no root is needed, nothing is installed on the system,
 * and only the first use on a machine downloads. Answers the path of `program` (relative to the unpacked
 * root, e.g. `usr/bin/promtool`).
 *
 * Two first uses at once (two stacks, a test beside a stack) each unpack into a staging folder of their
 * own and rename it into place; the one that loses the race uses the winner's. A folder in place is never
 * deleted, since another process may be running its program.
 */
export function debianProgram(cache: string, name: string, packages: string[], program: string): string {
  const unpacked = join(cache, 'debian', name);
  const found = join(unpacked, program);
  if (existsSync(found)) return found;
  const staging = mkdtempSync(join(tmpdir(), `sparkflow-${name}-`));
  try {
    console.log(`  ${name}: fetching ${packages.join(', ')} from Debian into ${unpacked} (first run only)…`);
    run('apt-get', ['download', ...packages], { cwd: staging });
    const root = join(staging, 'root');
    for (const deb of readdirSync(staging).filter((f) => f.endsWith('.deb')))
      run('dpkg', ['-x', join(staging, deb), root]);
    if (!existsSync(join(root, program))) throw new Error(`the packages hold no ${program}`);
    mkdirSync(join(cache, 'debian'), { recursive: true });
    try {
      renameSync(root, unpacked);
    } catch (err) {
      // Another process put its copy in place first (ENOTEMPTY, EEXIST): it is as good as this one.
      if (!existsSync(found)) throw err;
    }
    return found;
  } catch (err) {
    const lines = (err as Error).message.trim().split('\n');
    // apt's own reason is its last line (`E: Unable to locate package …`, a mirror it cannot reach).
    const reason = lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : lines[0];
    throw new SetupError(
      `${name}: could not fetch ${packages.join(', ')} from Debian's packages (${reason}). ` +
        `Check that apt can reach a Debian mirror (apt-get update), or remove ${unpacked} if it is incomplete.`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
