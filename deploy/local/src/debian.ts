import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupError } from './errors';
import { run } from './processes';

/**
 * Debian packages unpacked (not installed) into `$SPARKFLOW_CACHE/debian/<name>`: fetched with
 * `apt-get download` and unpacked with `dpkg -x`, so no root is needed, nothing is installed on the system,
 * and only the first use on a machine downloads. Answers the path of `program` (relative to the unpacked
 * root, e.g. `usr/bin/promtool`); a folder without it is fetched again. `install` is what to tell the person
 * when the mirror cannot be reached.
 */
export function debianProgram(
  cache: string,
  name: string,
  packages: string[],
  program: string,
  install: string,
): string {
  const unpacked = join(cache, 'debian', name);
  if (existsSync(join(unpacked, program))) return join(unpacked, program);
  const staging = mkdtempSync(join(tmpdir(), `sparkflow-${name}-`));
  try {
    console.log(`  ${name}: fetching ${packages.join(', ')} from Debian into ${unpacked} (first run only)…`);
    run('apt-get', ['download', ...packages], { cwd: staging });
    const root = join(staging, 'root');
    for (const deb of readdirSync(staging).filter((f) => f.endsWith('.deb')))
      run('dpkg', ['-x', join(staging, deb), root]);
    if (!existsSync(join(root, program))) throw new Error(`the packages hold no ${program}`);
    mkdirSync(join(cache, 'debian'), { recursive: true });
    // Renamed into place whole, so an interrupted fetch leaves nothing that looks unpacked.
    rmSync(unpacked, { recursive: true, force: true });
    renameSync(root, unpacked);
    return join(unpacked, program);
  } catch (err) {
    throw new SetupError(
      `${name}: could not fetch ${packages.join(', ')} from Debian's packages ` +
        `(${(err as Error).message.split('\n')[0]}). Install it (${install}) or check that the Debian mirror is reachable.`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
