import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './bench.config';
import type { RunContext } from './run-context';
import { benchCassandra } from './stages/cassandra-limit';

export interface Machine {
  host: string;
  cores: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  loadAverage1m: number;
  versions: { node: string; java: string; kafka: string; cassandra: string; pyspark: string };
}

async function javaVersion(): Promise<string> {
  try {
    const { stderr } = await promisify(execFile)('java', ['-version']);
    return stderr.split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

async function pinned(file: string, pattern: RegExp): Promise<string> {
  const m = pattern.exec(await readFile(join(REPO_ROOT, file), 'utf8'));
  return m ? m[1] : 'unknown';
}

async function cassandraVersion(ctx: RunContext): Promise<string> {
  const client = benchCassandra(ctx);
  try {
    const rs = await client.execute('SELECT release_version FROM system.local');
    return String(rs.first()?.['release_version'] ?? 'unknown');
  } finally {
    await client.shutdown();
  }
}

/** `askCassandra` false: the run measures no single-node stack, whose Cassandra says its version. */
export async function describeMachine(ctx: RunContext, askCassandra = true): Promise<Machine> {
  return {
    host: hostname(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    versions: {
      node: process.version,
      java: await javaVersion(),
      // The broker jars the stack runs (deploy/local/kafka/pom.xml); the broker API does not report its version.
      kafka: await pinned('deploy/local/kafka/pom.xml', /<kafka\.version>([^<]+)</),
      cassandra: askCassandra ? await cassandraVersion(ctx) : 'unknown',
      pyspark: await pinned('spark-jobs/requirements.txt', /^pyspark==(\S+)/m),
    },
  };
}
