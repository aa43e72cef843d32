import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { integrationSettings, type IntegrationSettings } from '@sparkflow/testing';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface BenchOptions {
  quick: boolean;
  /** How many users every stage measures (the same users: one seed, one generator). */
  records: number;
  seed: string;
  /** Records in the 50 %-load latency stage (all `records` unless capped). */
  latencyRecords: number;
  /** Users per POST in the latency stage, offered at a steady rate. */
  latencyChunk: number;
  /**
   * Users/s the latency stage offers; null: 50 % of the saturated rate the same run measured. A fixed rate
   * compares configurations at the same load, where 50 % of each run's own maximum would differ by run.
   */
  latencyRate: number | null;
  /** Users per POST in the saturation stage, and how many POSTs are in flight. */
  pushChunk: number;
  pushConcurrency: number;
  /** Cassandra concurrencies tried on a slice before the full raw-write run. */
  cassandraConcurrencies: number[];
  /** Also time the baseline job on an empty topic, to separate JVM/Spark start-up from processing. */
  baselineStartup: boolean;
  resultsDir: string;
  /** Stages to skip (kafka-limit also feeds the baseline its topic: skipping it skips the baseline). */
  skip: Set<string>;
  /** Also start a cluster of its own, measure it end to end, and stop it (bench/README.md, "The cluster stage"). */
  cluster: boolean;
  settings: IntegrationSettings;
  /** What the spark-jobs scripts need from the environment (they read KAFKA_PORT, CASSANDRA_PORT, …). */
  env: NodeJS.ProcessEnv;
}

const USAGE = `npm run bench [-- options]
  --quick                 a smoke test of the harness: ${3000} records, under 3 minutes
  --records N             records per stage (default 200000)
  --seed S                generator seed (default sparkflow-bench)
  --latency-records N     records the latency stage offers (default: all)
  --latency-chunk N       users per POST in the latency stage, sent at a steady rate (default 100)
  --latency-rate N        offer N users/s instead of 50 % of the measured maximum, to compare two
                          configurations at the same load (the p99 target is then not judged)
  --push-chunk N          users per POST when saturating ingestion (default 1000)
  --push-concurrency N    POSTs in flight when saturating ingestion (default 4)
  --no-baseline-startup   skip timing the Spark job on an empty topic
  --skip a,b              skip stages: cassandra-limit, kafka-limit (and with it baseline), baseline, sparkflow
  --cluster               then start a cluster topology on its own home and ports (33xxx), measure it
                          as the sparkflow stage measures the single stack, and stop it
  --results-dir D         where the .json and .md go (default bench/results)`;

/** The stages that measure the running single-node stack, each of which --skip may leave out. */
export const SINGLE_STACK_STAGES = ['cassandra-limit', 'kafka-limit', 'baseline', 'sparkflow'];

/** Bad options: the harness prints the message and its usage and exits 2. */
export class BenchUsageError extends Error {}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new BenchUsageError(`--${name} must be a positive integer, got ${raw}\n${USAGE}`);
  return n;
}

function parseOrExplain<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message}\n${USAGE}`);
  }
}

export function benchOptions(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions {
  const { values } = parseOrExplain({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      seed: { type: 'string', default: 'sparkflow-bench' },
      'latency-records': { type: 'string' },
      'latency-chunk': { type: 'string' },
      'latency-rate': { type: 'string' },
      'push-chunk': { type: 'string' },
      'push-concurrency': { type: 'string' },
      'no-baseline-startup': { type: 'boolean', default: false },
      skip: { type: 'string', default: '' },
      'results-dir': { type: 'string' },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const records = positive('records', values.records, quick ? 3000 : 200_000);
  const skip = new Set((values.skip ?? '').split(',').filter(Boolean));
  for (const s of skip) {
    if (!SINGLE_STACK_STAGES.includes(s)) throw new BenchUsageError(`--skip: unknown stage ${s}\n${USAGE}`);
  }
  // The baseline reads the topic kafka-limit fills.
  if (skip.has('kafka-limit')) skip.add('baseline');
  return {
    quick,
    records,
    seed: values.seed ?? 'sparkflow-bench',
    latencyRecords: Math.min(records, positive('latency-records', values['latency-records'], records)),
    latencyChunk: positive('latency-chunk', values['latency-chunk'], 100),
    latencyRate:
      values['latency-rate'] === undefined ? null : positive('latency-rate', values['latency-rate'], 1),
    pushChunk: positive('push-chunk', values['push-chunk'], quick ? 250 : 1000),
    pushConcurrency: positive('push-concurrency', values['push-concurrency'], 4),
    // Each in-flight upsert is 3 requests on the driver's one connection, which takes at most 2,048.
    cassandraConcurrencies: quick ? [32, 256] : [16, 64, 256, 512],
    // On --quick the empty-topic run would double the Spark time; the full run separates start-up.
    baselineStartup: !values['no-baseline-startup'] && !quick,
    resultsDir: resolve(values['results-dir'] ?? resolve(REPO_ROOT, 'bench', 'results')),
    skip,
    cluster: values.cluster ?? false,
    settings: integrationSettings(env),
    env,
  };
}
