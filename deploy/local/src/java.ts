import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes';
import type { StackConfig } from './config';

import { SetupError } from './errors';
export { SetupError };

/** The `java` to run (JAVA_HOME first, then PATH), checked to be Java 17 or newer. */
export function findJava(cfg: StackConfig): string {
  const java = cfg.JAVA_HOME ? join(cfg.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const where = cfg.JAVA_HOME ? `JAVA_HOME=${cfg.JAVA_HOME} has no bin/java` : 'no `java` on PATH';
    throw new SetupError(
      `Java 17 or newer is required to run Kafka and Cassandra, but ${where}. ` +
        'Install it (Debian: apt-get install -y openjdk-17-jdk-headless) or set JAVA_HOME.',
    );
  }
  const version = /version "(\d+)/.exec(probe.stderr)?.[1];
  if (!version || Number(version) < 17) {
    throw new SetupError(`Java 17 or newer is required; ${java} reports: ${probe.stderr.split('\n')[0]}`);
  }
  return java;
}

/**
 * The runtime jars a pom under deploy/local resolves to, copied by Maven into a cache folder outside
 * the repo and keyed by the pom's hash: the first `up` on a machine downloads, later ones reuse.
 */
export function resolveJars(cfg: StackConfig, component: string, pom: string): string {
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const dir = join(cfg.cache, 'jars', `${component}-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;

  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new SetupError(
      `Maven is required to fetch the ${component} jars from Maven Central, but \`mvn\` is not on PATH. ` +
        'Install it (Debian: apt-get install -y maven).',
    );
  }
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  console.log(`  ${component}: resolving jars from Maven Central into ${dir} (first run only)…`);
  try {
    run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime']);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new SetupError(`could not resolve the ${component} jars with Maven: ${(err as Error).message}`);
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

export function jarMatching(dir: string, pattern: RegExp): string {
  const jar = readdirSync(dir).find((f) => pattern.test(f));
  if (!jar) throw new SetupError(`no jar matching ${pattern} in ${dir}`);
  return join(dir, jar);
}
