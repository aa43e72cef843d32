import type { Machine } from './machine';
import type { BaselineResult } from './stages/baseline';
import { CLUSTER_ENGINES } from './cluster-stack';
import type { CassandraLimitResult } from './stages/cassandra-limit';
import type { ClusterResult } from './stages/cluster';
import type { KafkaLimitResult } from './stages/kafka-limit';
import { profileLine } from './latency-profile';
import { ENGINES, SERVICES } from './stack-process';
import type { LatencyResult, SparkflowResult } from './stages/sparkflow';

/** Issue 17's targets: as fast as the tutorial's stream on the same machine, while doing all SparkFlow does. */
export const TARGETS = {
  timesBaseline: 1,
  /** SparkFlow's CPU-ms per user over the tutorial's, both with the engines they use. */
  cpuPerUserOverBaseline: 1,
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
    /** Only on `--cluster`: the same measurement on the cluster topology. */
    cluster?: ClusterResult | null;
  };
  ratios: {
    sparkflowOverBaseline: number | null;
    sparkflowOverCassandraLimit: number | null;
    cpuPerUserOverBaseline: number | null;
    /** Only on `--cluster`: the cost of replication, cluster over single node. */
    clusterOverSingle?: ClusterOverSingle;
  };
  /**
   * Reported against the targets, never asserted. `value` is the figure, `met` null when it is not judged:
   * no figure, or (`p99AtHalfLoadMs`) a p99 offered at the rate --latency-rate set rather than at 50 % load.
   */
  targets: Record<string, { target: string; value: number | null; met: boolean | null }>;
  errors: { stage: string; message: string }[];
}

/** The cluster's figures over the single node's, measured the same way on the same machine. */
export interface ClusterOverSingle {
  /** Users per second end to end (saturation stage): below 1 is what replication costs in throughput. */
  usersPerSec: number | null;
  /** p99 ingest → persisted at 50 % of each one's own maximum (or both at the rate --latency-rate set). */
  p99AtHalfLoad: number | null;
  /** CPU-ms per user, every process of each pipeline. */
  cpuPerUser: number | null;
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);

export function clusterOverSingle(
  single: SparkflowResult | null,
  cluster: ClusterResult | null,
): ClusterOverSingle {
  return {
    usersPerSec: ratio(cluster?.saturation.audit.throughputPerSec, single?.saturation.audit.throughputPerSec),
    p99AtHalfLoad: ratio(cluster?.latency.audit.latencyMs.p99, single?.latency.audit.latencyMs.p99),
    cpuPerUser: ratio(cluster?.cpuMsPerUser.total, single?.cpuMsPerUser.total),
  };
}

export function ratiosAndTargets(r: Pick<BenchResults, 'stages'>): Pick<BenchResults, 'ratios' | 'targets'> {
  const sf = r.stages.sparkflow;
  const sfRate = sf?.saturation.audit.throughputPerSec;
  const ratios = {
    sparkflowOverBaseline: ratio(sfRate, r.stages.baseline?.recordsPerSec),
    sparkflowOverCassandraLimit: ratio(sfRate, r.stages.cassandraLimit?.recordsPerSec),
    cpuPerUserOverBaseline: ratio(sf?.cpuMsPerUser.total, r.stages.baseline?.cpuMsPerUser.total),
    ...(r.stages.cluster === undefined ? {} : { clusterOverSingle: clusterOverSingle(sf, r.stages.cluster) }),
  };
  const maxRss = sf ? Math.max(...SERVICES.map((s) => sf.services[s].peakRssMb)) : null;
  const p99 = sf?.latency.audit.latencyMs.p99 ?? null;
  // A rate set by --latency-rate is not 50 % load: the figure is reported, the target not judged.
  const p99AtHalfLoad = sf?.latency.fixedRate ? null : p99;
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
      cpuPerUserOverBaseline: {
        target: `≤ ${TARGETS.cpuPerUserOverBaseline}×`,
        ...check(ratios.cpuPerUserOverBaseline, (v) => v <= TARGETS.cpuPerUserOverBaseline),
      },
      fractionOfCassandraLimit: {
        target: `≥ ${TARGETS.fractionOfCassandraLimit * 100} %`,
        ...check(ratios.sparkflowOverCassandraLimit, (v) => v >= TARGETS.fractionOfCassandraLimit),
      },
      p99AtHalfLoadMs: {
        target: `≤ ${TARGETS.p99AtHalfLoadMs} ms`,
        ...check(p99AtHalfLoad, (v) => v <= TARGETS.p99AtHalfLoadMs),
        value: p99,
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
/** How a latency figure's load reads in a table: 50 % of the maximum, unless --latency-rate set the rate. */
const atLoad = (...l: (LatencyResult | undefined)[]) =>
  l.some((x) => x?.fixedRate) ? 'at the rate --latency-rate set' : 'at 50 % load';
const share = (l: LatencyResult | undefined) =>
  l?.ofSaturated === undefined ? '' : ` (${Math.round(l.ofSaturated * 100)} % of its maximum)`;

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
    '## CPU per user (the headline: steadier than wall time on a shared machine)',
    '',
    '| pipeline | CPU-ms per user | where it went |',
    '|---|---:|---|',
    `| **SparkFlow** (saturation stage) | **${n(sf?.cpuMsPerUser.total)}** | services ${n(sf?.cpuMsPerUser.services)} (${SERVICES.map((s) => `${s} ${n(sf?.services[s].cpuMsPerUser)}`).join(', ')}); engines ${n(sf?.cpuMsPerUser.engines)} (${ENGINES.map((e) => `${e} ${n(sf?.cpuMsPerUser.byEngine[e])}`).join(', ')}) |`,
    `| tutorial stream (Spark) | ${n(bl?.cpuMsPerUser.total)} | Spark job ${n(bl?.cpuMsPerUser.spark)} incl. JVM start; kafka ${n(bl?.cpuMsPerUser.kafka)}, cassandra ${n(bl?.cpuMsPerUser.cassandra)} |`,
    '',
    '## Throughput',
    '',
    '| measurement | records/s | notes |',
    '|---|---:|---|',
    `| raw Cassandra writes (limit) | ${n(cl?.recordsPerSec)} | cassandra-driver, UsersRepository.upsertMany, UNLOGGED batches of ≤ ${n(cl?.recordsPerBatch)} users (SparkFlow's own schema), ${n(cl?.concurrency)} users in flight; Cassandra's CPU: ${n(cl?.cassandraCpuMsPerUser)} ms per user; batches written again after a write timeout: ${n(cl?.writeTimeoutsRetried)} |`,
    `| raw Kafka produce (limit) | ${n(kl?.recordsPerSec)} | kafkajs, acks=all, ${n(kl?.messagesPerSend)} msgs/send × ${n(kl?.sendsInFlight)} in flight, ${kl ? (kl.bytes / 1e6).toFixed(1) : '—'} MB; the broker's CPU: ${n(kl?.kafkaCpuMsPerRecord)} ms per record |`,
    `| tutorial baseline (Spark) | ${n(bl?.recordsPerSec)} | N / wall of \`run-job.sh tutorial_baseline_stream --available-now\` incl. JVM + SparkSession start (${n(bl?.wallMs, ' ms')}); excluding start-up: ${n(bl?.recordsPerSecExcludingStartup)} |`,
    `| **SparkFlow end to end** | **${n(sf?.saturation.audit.throughputPerSec)}** | audit: first ingest → last persisted; ${n(sf?.saturation.usersPerPost)} users/POST × ${n(sf?.saturation.postsInFlight)} in flight; ingestion accepted ${n(sf?.saturation.acceptedPerSec)}/s |`,
    '',
    '## Against the targets',
    '',
    '| ratio | value | target |',
    '|---|---:|---|',
    `| SparkFlow / baseline, users/s | ${n(r.ratios.sparkflowOverBaseline, '×')} | ${r.targets['timesBaseline'].target} (${met(r.targets['timesBaseline'].met)}) |`,
    `| SparkFlow / baseline, CPU-ms per user | ${n(r.ratios.cpuPerUserOverBaseline, '×')} | ${r.targets['cpuPerUserOverBaseline'].target} (${met(r.targets['cpuPerUserOverBaseline'].met)}) |`,
    `| SparkFlow / raw Cassandra limit | ${r.ratios.sparkflowOverCassandraLimit === null ? '—' : `${Math.round(r.ratios.sparkflowOverCassandraLimit * 100)} %`} | ${r.targets['fractionOfCassandraLimit'].target} (${met(r.targets['fractionOfCassandraLimit'].met)}) |`,
    `| p99 ingest → persisted ${atLoad(sf?.latency)} | ${n(sf?.latency.audit.latencyMs.p99, ' ms')} | ${r.targets['p99AtHalfLoadMs'].target} (${met(r.targets['p99AtHalfLoadMs'].met)}) |`,
    `| peak RSS, largest service | ${n(sf ? Math.max(...SERVICES.map((s) => sf.services[s].peakRssMb)) : null, ' MB')} | ${r.targets['peakRssMbPerService'].target} (${met(r.targets['peakRssMbPerService'].met)}) |`,
    '',
    `Latency ingest → persisted at ${n(sf?.latency.targetPerSec)}/s (${sf?.latency.fixedRate ? `set by --latency-rate, not 50 % load${share(sf.latency)}` : '50 % of the maximum'}; offered ${n(sf?.latency.offeredPerSec)}/s in POSTs of ${n(sf?.latency.usersPerPost)}, ${n(sf?.latency.records)} records): ` +
      `p50 ${n(sf?.latency.audit.latencyMs.p50, ' ms')} · p95 ${n(sf?.latency.audit.latencyMs.p95, ' ms')} · p99 ${n(sf?.latency.audit.latencyMs.p99, ' ms')}`,
    '',
    profileLine(sf?.latency.profile),
    '',
    '| service | peak RSS during the run | peak RSS before the run (start-up, earlier work) | CPU-ms per user |',
    '|---|---:|---:|---:|',
    ...SERVICES.map((s) => {
      const u = sf?.services[s];
      return `| ${s} | ${n(u?.peakRssMb, ' MB')}${u && !u.peakRssResetBeforeStage ? ' (since start)' : ''} | ${n(u?.peakRssMbSinceStart, ' MB')} | ${n(u?.cpuMsPerUser)} |`;
    }),
    '',
    m
      ? `Machine: ${m.host}, ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Linux ${m.kernel}; node ${m.versions.node}, ${m.versions.java}, ` +
        `Kafka ${m.versions.kafka}, Cassandra ${m.versions.cassandra}, pyspark ${m.versions.pyspark}. Load average (1 min) ${m.loadAverage1m} at start, ${r.loadAverage1mAtEnd} at end.`
      : 'Machine: not described (the stage failed).',
  ];
  if (r.stages.cluster !== undefined) lines.push('', ...clusterSection(r));
  if (r.errors.length) {
    lines.push('', '## Errors', '', ...r.errors.map((e) => `- **${e.stage}**: ${e.message.split('\n')[0]}`));
  }
  return lines.join('\n') + '\n';
}

const x = (v: number | null | undefined) => n(v, '×');

/** The cluster beside the single node: the cost of replication, measured. */
export function clusterSection(r: Pick<BenchResults, 'stages' | 'ratios'>): string[] {
  const sf = r.stages.sparkflow;
  const cl = r.stages.cluster ?? null;
  const q = r.ratios.clusterOverSingle ?? clusterOverSingle(sf, cl);
  const t = cl?.topology;
  return [
    '## Cluster beside the single node (the cost of replication)',
    '',
    t
      ? `Cluster: ${t.kafkaNodes} Kafka nodes (RF ${t.topicReplicationFactor}, min.insync.replicas ${t.minInsyncReplicas}, acks=all), ` +
        `${t.cassandraNodes} Cassandra nodes (RF ${t.keyspaceReplicationFactor}, LOCAL_QUORUM), ${t.serviceReplicas} replicas of each service behind HAProxy, ` +
        `on the same machine as the single node, measured the same way (\`stack up\` took ${n(cl?.upMs, ' ms')}, outside every figure).`
      : 'Cluster: not measured (the stage failed).',
    '',
    '| measurement | single node | cluster | cluster / single |',
    '|---|---:|---:|---:|',
    `| users/s end to end (saturation) | ${n(sf?.saturation.audit.throughputPerSec)} | ${n(cl?.saturation.audit.throughputPerSec)} | ${x(q.usersPerSec)} |`,
    `| p99 ingest → persisted ${atLoad(sf?.latency, cl?.latency)} | ${n(sf?.latency.audit.latencyMs.p99, ' ms')} | ${n(cl?.latency.audit.latencyMs.p99, ' ms')} | ${x(q.p99AtHalfLoad)} |`,
    `| p50 ${atLoad(sf?.latency, cl?.latency)} | ${n(sf?.latency.audit.latencyMs.p50, ' ms')} | ${n(cl?.latency.audit.latencyMs.p50, ' ms')} | — |`,
    `| rate offered | ${n(sf?.latency.targetPerSec, '/s')}${share(sf?.latency)} | ${n(cl?.latency.targetPerSec, '/s')}${share(cl?.latency)} | — |`,
    `| CPU-ms per user, every process | ${n(sf?.cpuMsPerUser.total)} | ${n(cl?.cpuMsPerUser.total)} | ${x(q.cpuPerUser)} |`,
    `| CPU-ms per user, services | ${n(sf?.cpuMsPerUser.services)} | ${n(cl?.cpuMsPerUser.services)} | — |`,
    `| CPU-ms per user, engines | ${n(sf?.cpuMsPerUser.engines)} | ${n(cl?.cpuMsPerUser.engines)} | — |`,
    '',
    cl
      ? `Cluster CPU-ms per user by component (nodes and replicas summed): ` +
        [
          ...SERVICES.map((s) => `${s} ${n(cl.cpuMsPerUser.byService[s])}`),
          ...CLUSTER_ENGINES.map((e) => `${e} ${n(cl.cpuMsPerUser.byEngine[e])}`),
        ].join(', ') +
        `. Largest peak RSS of a node or replica: ${n(Math.max(0, ...Object.values(cl.peakRssMbByProcess)), ' MB')}. ` +
        (cl.idleSingleStackCores === null
          ? 'No single-node stack ran beside it.'
          : `The single-node stack, idle beside it, used ${cl.idleSingleStackCores} cores meanwhile.`)
      : '',
  ];
}
