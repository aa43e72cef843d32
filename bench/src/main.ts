import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { readinessProblems } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { BenchUsageError, SINGLE_STACK_STAGES, benchOptions } from './bench.config';
import { describeMachine } from './machine';
import { markdown, ratiosAndTargets, type BenchResults } from './report';
import type { RunContext } from './run-context';
import { baseline } from './stages/baseline';
import { cluster } from './stages/cluster';
import { cassandraLimit } from './stages/cassandra-limit';
import { deleteTopic, kafkaLimit } from './stages/kafka-limit';
import { sparkflow } from './stages/sparkflow';

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function stackIsUp(ctx: RunContext): Promise<void> {
  const s = ctx.opts.settings;
  for (const [name, port] of [
    ['ingestion', s.INGESTION_HTTP_PORT],
    ['audit', s.AUDIT_HTTP_PORT],
  ] as const) {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch((e: unknown) => {
      throw new Error(
        `${name} does not answer on port ${port} (${String(e)}): start the stack with npm run stack -- up`,
      );
    });
    if (!res.ok)
      throw new Error(
        `${name} on port ${port} is not ready: ${res.status} ${readinessProblems(await res.text())}`,
      );
  }
}

async function main(): Promise<number> {
  const opts = benchOptions();
  const runId = Date.now().toString(36);
  const startedAt = new Date().toISOString();
  log(`${opts.quick ? 'quick' : 'full'} run ${runId}: generating ${opts.records} users (seed ${opts.seed})`);
  const ctx: RunContext = {
    opts,
    users: generateUsers({ seed: opts.seed, count: opts.records }),
    runId,
    log,
  };

  const results: BenchResults = {
    kind: opts.quick ? 'quick' : 'full',
    startedAt,
    finishedAt: startedAt,
    records: opts.records,
    seed: opts.seed,
    machine: null,
    loadAverage1mAtEnd: 0,
    stages: { cassandraLimit: null, kafkaLimit: null, baseline: null, sparkflow: null },
    ratios: { sparkflowOverBaseline: null, sparkflowOverCassandraLimit: null, cpuPerUserOverBaseline: null },
    targets: {},
    errors: [],
  };
  // Each stage runs even when an earlier one failed; any failure makes the exit code 1, a figure never does.
  const stage = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      log(`${name}…`);
      return await run();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log(`${name} FAILED: ${message}`);
      results.errors.push({ stage: name, message });
      return null;
    }
  };

  // The single-node stages need the running stack; a run of the cluster stage alone does not.
  const singleStages = SINGLE_STACK_STAGES.some((s) => !opts.skip.has(s));
  const stackUp = !singleStages || (await stage('stack', () => stackIsUp(ctx).then(() => true))) === true;
  if (stackUp) results.machine = await stage('machine', () => describeMachine(ctx, singleStages));
  if (singleStages && stackUp) {
    if (!opts.skip.has('cassandra-limit'))
      results.stages.cassandraLimit = await stage('cassandra-limit', () => cassandraLimit(ctx));
    if (!opts.skip.has('kafka-limit')) {
      const topic = `bench.users-raw.${runId}`;
      results.stages.kafkaLimit = await stage('kafka-limit', () => kafkaLimit(ctx, topic));
      if (results.stages.kafkaLimit && !opts.skip.has('baseline'))
        results.stages.baseline = await stage('baseline', () => baseline(ctx, topic));
      await stage('cleanup', () => deleteTopic(ctx, topic));
    }
    if (!opts.skip.has('sparkflow'))
      results.stages.sparkflow = await stage('sparkflow', () => sparkflow(ctx));
  }
  // Last, after the single stack's stages: the cluster then shares the machine only with that stack idle.
  if (opts.cluster && stackUp) {
    results.stages.cluster = await stage('cluster', () => cluster(ctx));
  }

  results.finishedAt = new Date().toISOString();
  results.loadAverage1mAtEnd = Number(loadavg()[0].toFixed(2));
  Object.assign(results, ratiosAndTargets(results));
  const anyFigure = Object.values(results.stages).some((s) => s !== null);
  if (anyFigure) {
    await mkdir(opts.resultsDir, { recursive: true });
    const base = join(
      opts.resultsDir,
      `${startedAt.slice(0, 10)}-${hostname()}${opts.cluster ? '-cluster' : ''}${opts.quick ? '-quick' : ''}`,
    );
    await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
    const md = markdown(results);
    await writeFile(`${base}.md`, md);
    console.log(`\n${md}`);
    log(`wrote ${base}.json and ${base}.md`);
  }
  if (results.errors.length) log(`harness broke in: ${results.errors.map((e) => e.stage).join(', ')}`);
  return results.errors.length === 0 && anyFigure ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof BenchUsageError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(e);
    process.exit(1);
  },
);
