import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../bench.config';
import { perSecond, type RunContext } from '../run-context';
import { benchCassandra } from './cassandra-limit';
import { TOPICS, topicSpec } from '@sparkflow/contracts';
import { benchKafka, benchKafkaLogin, deleteTopic } from './kafka-limit';
import { CpuMeter, ProcessTreeCpu, StackProcess, cpuMsPerRecord, sumOf } from '../stack-process';

export interface BaselineResult {
  job: 'tutorial_baseline_stream';
  topic: string;
  records: number;
  /** `run-job.sh … --available-now`: process start, JVM and SparkSession start, every micro-batch, exit. */
  wallMs: number;
  recordsPerSec: number;
  /** The same command on an empty topic: what start-up and shutdown alone cost (null when not measured). */
  emptyTopicWallMs: number | null;
  /** N / (wall − empty-topic wall): the processing rate once Spark is up (null when not measured). */
  recordsPerSecExcludingStartup: number | null;
  /** Rows of a sample of the users found in tutorial_users afterwards (a check that the job really wrote). */
  sampleFound: number;
  sampleSize: number;
  log: string;
  /**
   * CPU-ms per user of the full run: the Spark job as a user runs it (JVM and SparkSession start
   * included, like the wall time) and the engines it reads and writes. The records were produced to
   * Kafka by the kafka-limit stage before, so producing them is not in here.
   */
  cpuMsPerUser: { total: number; spark: number; kafka: number; cassandra: number };
}

interface Ran {
  wallMs: number;
  /** CPU seconds of the whole process tree (bash, Python, the Spark JVM). */
  cpuSeconds: number;
}

/** Runs `bash <args…>` from the repo root with its output appended to `logFile`; resolves with its wall time and CPU. */
function runLogged(ctx: RunContext, args: string[], logFile: string, what: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    const started = performance.now();
    const child = spawn('bash', args, {
      cwd: REPO_ROOT,
      // The job reads the bench's own topic, so it signs in as the bench.
      env: { ...ctx.opts.env, ...benchKafkaLogin(ctx) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cpu = child.pid === undefined ? null : new ProcessTreeCpu(child.pid).start();
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', (err) => {
      void cpu?.stop();
      reject(err);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      out.end();
      void (cpu?.stop() ?? Promise.resolve(0)).then((cpuSeconds) => {
        if (code === 0) resolve({ wallMs, cpuSeconds });
        else reject(new Error(`${what} exited ${code}; see ${logFile}`));
      });
    });
  });
}

function runJob(ctx: RunContext, args: string[], logFile: string): Promise<Ran> {
  return runLogged(
    ctx,
    [join(REPO_ROOT, 'spark-jobs/scripts/run-job.sh'), ...args],
    logFile,
    `run-job.sh ${args.join(' ')}`,
  );
}

/** Builds the venv and jars if missing (a first-time download is not the job's speed). */
async function ensureSparkEnv(ctx: RunContext, logFile: string): Promise<void> {
  await runLogged(
    ctx,
    ['-c', 'source spark-jobs/scripts/ensure-env.sh'],
    logFile,
    'spark-jobs/scripts/ensure-env.sh',
  );
}

/**
 * The tutorial's design on the same records: its Spark job reads the topic the Kafka-limit stage
 * filled (the same envelopes ingestion writes to users.raw) into Cassandra tutorial_users, bounded by
 * --available-now, with a fresh checkpoint so it starts at the earliest offset.
 */
export async function baseline(ctx: RunContext, topic: string): Promise<BaselineResult> {
  const home = ctx.opts.settings.SPARKFLOW_HOME;
  const logDir = join(home, 'logs');
  await mkdir(logDir, { recursive: true });
  const log = join(logDir, `bench-baseline-${ctx.runId}.log`);
  const checkpoints = join(home, 'spark', 'checkpoints', `bench-${ctx.runId}`);
  await ensureSparkEnv(ctx, log);

  let emptyTopicWallMs: number | null = null;
  let wallMs: number;
  let cpuMsPerUser: BaselineResult['cpuMsPerUser'];
  // The checkpoints are this run's alone: removed whether the job succeeded or not.
  try {
    if (ctx.opts.baselineStartup) {
      const empty = `${topic}-empty`;
      const admin = benchKafka(ctx).admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: [
            { topic: empty, numPartitions: topicSpec(TOPICS.usersRaw).partitions, replicationFactor: 1 },
          ],
          waitForLeaders: true,
        });
        ({ wallMs: emptyTopicWallMs } = await runJob(
          ctx,
          [
            'tutorial_baseline_stream',
            '--available-now',
            '--topic',
            empty,
            '--checkpoint',
            join(checkpoints, 'empty'),
          ],
          log,
        ));
      } finally {
        await admin.disconnect();
        await deleteTopic(ctx, empty);
      }
      ctx.log(`baseline: empty topic in ${Math.round(emptyTopicWallMs)} ms`);
    }

    const engines = await CpuMeter.start(
      await Promise.all(
        (['kafka', 'cassandra'] as const).map((e) => StackProcess.find(ctx.opts.settings.SPARKFLOW_HOME, e)),
      ),
    );
    const full = await runJob(
      ctx,
      [
        'tutorial_baseline_stream',
        '--available-now',
        '--topic',
        topic,
        '--checkpoint',
        join(checkpoints, 'full'),
      ],
      log,
    );
    wallMs = full.wallMs;
    const engineMs = await engines.perRecord(ctx.users.length);
    const spark = cpuMsPerRecord(full.cpuSeconds, ctx.users.length);
    cpuMsPerUser = {
      total: sumOf({ spark, ...engineMs }),
      spark,
      kafka: engineMs.kafka ?? 0,
      cassandra: engineMs.cassandra ?? 0,
    };
    ctx.log(
      `baseline: ${ctx.users.length} records in ${Math.round(wallMs)} ms, ${cpuMsPerUser.total} CPU-ms per user (log ${log})`,
    );
  } finally {
    await rm(checkpoints, { recursive: true, force: true });
  }

  const sample = ctx.users
    .filter((_, i) => i % Math.max(1, Math.floor(ctx.users.length / 100)) === 0)
    .slice(0, 100);
  const client = benchCassandra(ctx);
  let sampleFound = 0;
  try {
    const rs = await client.execute(
      'SELECT id FROM tutorial_users WHERE id IN ?',
      [sample.map((u) => u.login.uuid)],
      { prepare: true },
    );
    sampleFound = rs.rowLength;
  } finally {
    await client.shutdown();
  }
  if (sampleFound < sample.length)
    throw new Error(`tutorial_users has ${sampleFound} of ${sample.length} sampled users after the job`);

  const processingMs = emptyTopicWallMs === null ? null : wallMs - emptyTopicWallMs;
  return {
    job: 'tutorial_baseline_stream',
    topic,
    records: ctx.users.length,
    wallMs: Math.round(wallMs),
    recordsPerSec: perSecond(ctx.users.length, wallMs),
    emptyTopicWallMs: emptyTopicWallMs === null ? null : Math.round(emptyTopicWallMs),
    recordsPerSecExcludingStartup:
      processingMs !== null && processingMs > 0 ? perSecond(ctx.users.length, processingMs) : null,
    sampleFound,
    sampleSize: sample.length,
    log,
    cpuMsPerUser,
  };
}
