import type { Machine } from './machine';
import type { BaselineResult } from './stages/baseline';
import type { CassandraLimitResult } from './stages/cassandra-limit';
import type { KafkaLimitResult } from './stages/kafka-limit';
import { SERVICES } from './service-process';
import type { SparkflowResult } from './stages/sparkflow';

export const TARGETS = {
  timesBaseline: 3,
  fractionOfCassandraLimit: 0.7,
  p99AtHalfLoadMs: 250,
  peakRssMbPerService: 200,
} as const;

export interface BenchResults {
  kind: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  records: number;
  seed: string;
  machine: Machine | null;
  loadAverage1mAtEnd: number;
  stages: {
    cassandraLimit: CassandraLimitResult | null;
    kafkaLimit: KafkaLimitResult | null;
    baseline: BaselineResult | null;
    sparkflow: SparkflowResult | null;
  };
  ratios: { sparkflowOverBaseline: number | null; sparkflowOverCassandraLimit: number | null };
  /** Reported against the targets, never asserted. */
  targets: Record<string, { target: string; value: number | null; met: boolean | null }>;
  errors: { stage: string; message: string }[];
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);

export function ratiosAndTargets(r: Pick<BenchResults, 'stages'>): Pick<BenchResults, 'ratios' | 'targets'> {
  const sf = r.stages.sparkflow;
  const sfRate = sf?.saturation.audit.throughputPerSec;
  const ratios = {
    sparkflowOverBaseline: ratio(sfRate, r.stages.baseline?.recordsPerSec),
    sparkflowOverCassandraLimit: ratio(sfRate, r.stages.cassandraLimit?.recordsPerSec),
  };
  const maxRss = sf ? Math.max(...SERVICES.map((s) => sf.services[s].peakRssMb)) : null;
  const p99 = sf?.latency.audit.latencyMs.p99 ?? null;
  const check = (value: number | null, ok: (v: number) => boolean) => ({
    value,
    met: value === null ? null : ok(value),
  });
  return {
    ratios,
    targets: {
      timesBaseline: {
        target: `≥ ${TARGETS.timesBaseline}×`,
        ...check(ratios.sparkflowOverBaseline, (v) => v >= TARGETS.timesBaseline),
      },
      fractionOfCassandraLimit: {
        target: `≥ ${TARGETS.fractionOfCassandraLimit * 100} %`,
        ...check(ratios.sparkflowOverCassandraLimit, (v) => v >= TARGETS.fractionOfCassandraLimit),
      },
      p99AtHalfLoadMs: {
        target: `≤ ${TARGETS.p99AtHalfLoadMs} ms`,
        ...check(p99, (v) => v <= TARGETS.p99AtHalfLoadMs),
      },
      peakRssMbPerService: {
        target: `≤ ${TARGETS.peakRssMbPerService} MB`,
        ...check(maxRss, (v) => v <= TARGETS.peakRssMbPerService),
      },
    },
  };
}

const n = (v: number | null | undefined, unit = '') =>
  v === null || v === undefined ? '—' : `${v.toLocaleString('en-US')}${unit}`;
const met = (m: boolean | null) => (m === null ? '—' : m ? 'met' : 'missed');

export function markdown(r: BenchResults): string {
  const { cassandraLimit: cl, kafkaLimit: kl, baseline: bl, sparkflow: sf } = r.stages;
  const m = r.machine;
  const lines = [
    `# SparkFlow benchmark — ${r.kind === 'quick' ? 'QUICK SMOKE RUN (not representative)' : 'full run'}`,
    '',
    `${n(r.records)} users (generateUsers, seed \`${r.seed}\`), ${r.startedAt} → ${r.finishedAt}, one machine.`,
    r.kind === 'quick'
      ? '\n> `--quick` checks that the harness works; its figures are too small to compare with anything.\n'
      : '',
    '| measurement | records/s | notes |',
    '|---|---:|---|',
    `| raw Cassandra writes (limit) | ${n(cl?.recordsPerSec)} | cassandra-driver, UsersRepository.upsert (3 statements/record), concurrency ${n(cl?.concurrency)} |`,
    `| raw Kafka produce (limit) | ${n(kl?.recordsPerSec)} | kafkajs, acks=all, ${n(kl?.messagesPerSend)} msgs/send × ${n(kl?.sendsInFlight)} in flight, ${kl ? (kl.bytes / 1e6).toFixed(1) : '—'} MB |`,
    `| tutorial baseline (Spark) | ${n(bl?.recordsPerSec)} | N / wall of \`run-job.sh tutorial_baseline_stream --available-now\` incl. JVM + SparkSession start (${n(bl?.wallMs, ' ms')}); excluding start-up: ${n(bl?.recordsPerSecExcludingStartup)} |`,
    `| **SparkFlow end to end** | **${n(sf?.saturation.audit.throughputPerSec)}** | audit: first ingest → last persisted; ${n(sf?.saturation.usersPerPost)} users/POST × ${n(sf?.saturation.postsInFlight)} in flight; ingestion accepted ${n(sf?.saturation.acceptedPerSec)}/s |`,
    '',
    '| ratio | value | target |',
    '|---|---:|---|',
    `| SparkFlow / baseline | ${n(r.ratios.sparkflowOverBaseline, '×')} | ${r.targets['timesBaseline'].target} (${met(r.targets['timesBaseline'].met)}) |`,
    `| SparkFlow / raw Cassandra limit | ${r.ratios.sparkflowOverCassandraLimit === null ? '—' : `${Math.round(r.ratios.sparkflowOverCassandraLimit * 100)} %`} | ${r.targets['fractionOfCassandraLimit'].target} (${met(r.targets['fractionOfCassandraLimit'].met)}) |`,
    '',
    `Latency ingest → persisted at ${n(sf?.latency.targetPerSec)}/s (50 % of the maximum; offered ${n(sf?.latency.offeredPerSec)}/s in POSTs of ${n(sf?.latency.usersPerPost)}, ${n(sf?.latency.records)} records): ` +
      `p50 ${n(sf?.latency.audit.latencyMs.p50, ' ms')} · p95 ${n(sf?.latency.audit.latencyMs.p95, ' ms')} · p99 ${n(sf?.latency.audit.latencyMs.p99, ' ms')} ` +
      `— target p99 ${r.targets['p99AtHalfLoadMs'].target} (${met(r.targets['p99AtHalfLoadMs'].met)})`,
    '',
    '| service | peak RSS during the run | peak RSS before the run (start-up, earlier work) | CPU s / 1,000 records |',
    '|---|---:|---:|---:|',
    ...SERVICES.map((s) => {
      const u = sf?.services[s];
      return `| ${s} | ${n(u?.peakRssMb, ' MB')}${u && !u.peakRssResetBeforeStage ? ' (since start)' : ''} | ${n(u?.peakRssMbSinceStart, ' MB')} | ${n(u?.cpuSecondsPer1000)} |`;
    }),
    '',
    `Peak RSS target ${r.targets['peakRssMbPerService'].target} per service (${met(r.targets['peakRssMbPerService'].met)}).`,
    '',
    m
      ? `Machine: ${m.host}, ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Linux ${m.kernel}; node ${m.versions.node}, ${m.versions.java}, ` +
        `Kafka ${m.versions.kafka}, Cassandra ${m.versions.cassandra}, pyspark ${m.versions.pyspark}. Load average (1 min) ${m.loadAverage1m} at start, ${r.loadAverage1mAtEnd} at end.`
      : 'Machine: not described (the stage failed).',
  ];
  if (r.errors.length) {
    lines.push('', '## Errors', '', ...r.errors.map((e) => `- **${e.stage}**: ${e.message.split('\n')[0]}`));
  }
  return lines.join('\n') + '\n';
}
