import { TOPOLOGIES } from '@sparkflow/contracts';
import type { BatchesTiming } from './audit-timing.repository';
import { clusterCpuPerUser } from './cluster-stack';
import { clusterOverSingle, markdown, ratiosAndTargets, type BenchResults } from './report';
import type { ClusterResult } from './stages/cluster';
import type { LatencyResult, SaturationResult, SparkflowResult } from './stages/sparkflow';

const timing = (throughputPerSec: number, p99: number): BatchesTiming => ({
  firstIngestedAt: '2026-11-30T10:00:00.000Z',
  lastPersistedAt: '2026-11-30T10:00:10.000Z',
  persisted: 3000,
  throughputPerSec,
  latencyMs: { p50: p99 / 4, p95: p99 / 2, p99, max: p99 * 2 },
});

const saturation = (perSec: number): SaturationResult => ({
  records: 3000,
  usersPerPost: 250,
  postsInFlight: 4,
  batches: 12,
  acceptMs: 1000,
  acceptedPerSec: 3000,
  wallToCompleteMs: 2000,
  deadLettered: 0,
  audit: timing(perSec, 900),
  lastBatchFromApi: {},
});

const latency = (p99: number, fixedRate = false): LatencyResult => ({
  targetPerSec: 500,
  fixedRate,
  ofSaturated: 0.5,
  offeredPerSec: 500,
  records: 3000,
  usersPerPost: 100,
  maxSendLagMs: 0,
  deadLettered: 0,
  audit: timing(500, p99),
  profile: {
    slowestFromMs: p99,
    slowestRecords: 30,
    slowestSeconds: 3,
    stageSeconds: 6,
    stageCores: { cassandra: 0.4, kafka: 0.2 },
    slowestCores: { cassandra: 1.1, kafka: 0.2 },
    stagePressure: { cpu: 0.4, io: 0.02 },
    slowestPressure: { cpu: 0.9, io: 0.3 },
  },
});

const usage = (cpuMsPerUser: number) => ({
  pid: 1,
  peakRssMbSinceStart: 150,
  peakRssMb: 140,
  peakRssResetBeforeStage: true,
  cpuMsPerUser,
});

const single: SparkflowResult = {
  saturation: saturation(2000),
  latency: latency(120),
  services: { ingestion: usage(0.1), enrichment: usage(0.1), persistence: usage(0.2), audit: usage(0.1) },
  cpuMsPerUser: {
    total: 1,
    services: 0.5,
    engines: 0.5,
    byEngine: { kafka: 0.2, cassandra: 0.2, postgres: 0.1 },
  },
};

const cluster: ClusterResult = {
  topology: TOPOLOGIES.cluster,
  home: '/repo/.sparkflow-bench-cluster',
  upMs: 240_000,
  saturation: saturation(800),
  latency: latency(300),
  cpuMsPerUser: clusterCpuPerUser({
    'kafka-1': 0.5,
    'kafka-2': 0.5,
    'cassandra-1': 1,
    'ingestion-1': 0.25,
    'ingestion-2': 0.25,
    haproxy: 0.5,
  }),
  peakRssMbByProcess: { 'kafka-1': 350, 'ingestion-1': 180 },
  peakRssResetBeforeStage: true,
  idleSingleStackCores: 0.12,
};

const results = (stages: Partial<BenchResults['stages']>): BenchResults => {
  const r: BenchResults = {
    kind: 'quick',
    startedAt: '2026-11-30T10:00:00.000Z',
    finishedAt: '2026-11-30T10:05:00.000Z',
    records: 3000,
    seed: 'sparkflow-bench',
    machine: null,
    loadAverage1mAtEnd: 1,
    stages: { cassandraLimit: null, kafkaLimit: null, baseline: null, sparkflow: null, ...stages },
    ratios: { sparkflowOverBaseline: null, sparkflowOverCassandraLimit: null, cpuPerUserOverBaseline: null },
    targets: {},
    errors: [],
  };
  return { ...r, ...ratiosAndTargets(r) };
};

describe('clusterOverSingle', () => {
  it('divides the cluster’s users/s, p99 and CPU-ms per user by the single node’s', () => {
    expect(clusterOverSingle(single, cluster)).toEqual({
      usersPerSec: 0.4,
      p99AtHalfLoad: 2.5,
      cpuPerUser: 3,
    });
  });

  it('has no ratio where either side has no figure', () => {
    expect(clusterOverSingle(null, cluster)).toEqual({
      usersPerSec: null,
      p99AtHalfLoad: null,
      cpuPerUser: null,
    });
    expect(clusterOverSingle(single, null).usersPerSec).toBeNull();
  });
});

describe('the report with a cluster stage', () => {
  it('puts the cluster’s figures beside the single node’s, with their ratio', () => {
    const r = results({ sparkflow: single, cluster });
    expect(r.ratios.clusterOverSingle).toEqual({ usersPerSec: 0.4, p99AtHalfLoad: 2.5, cpuPerUser: 3 });
    const md = markdown(r);
    expect(md).toContain('## Cluster beside the single node');
    expect(md).toContain('| users/s end to end (saturation) | 2,000 | 800 | 0.4× |');
    expect(md).toContain('| p99 ingest → persisted at 50 % load | 120 ms | 300 ms | 2.5× |');
    expect(md).toContain('| CPU-ms per user, every process | 1 | 3 | 3× |');
    expect(md).toContain('kafka 1, cassandra 1, postgres 0, haproxy 0.5');
    expect(md).toContain('used 0.12 cores meanwhile');
  });

  it('says the cluster was not measured when its stage failed', () => {
    const md = markdown(results({ sparkflow: single, cluster: null }));
    expect(md).toContain('Cluster: not measured (the stage failed).');
    expect(md).toContain('| users/s end to end (saturation) | 2,000 | — | — |');
  });

  it('leaves a run without --cluster as it was: no cluster section, no cluster ratio', () => {
    const r = results({ sparkflow: single });
    expect(r.ratios).not.toHaveProperty('clusterOverSingle');
    expect(markdown(r)).not.toContain('Cluster');
  });
});

describe('the p99 target', () => {
  it('is judged at 50 % of the measured maximum', () => {
    const r = results({ sparkflow: single });
    expect(r.targets['p99AtHalfLoadMs']).toEqual({ target: '≤ 250 ms', value: 120, met: true });
    expect(markdown(r)).toContain('at 500/s (50 % of the maximum;');
  });

  it('is reported but not judged at a rate --latency-rate set', () => {
    const r = results({ sparkflow: { ...single, latency: latency(120, true) } });
    expect(r.targets['p99AtHalfLoadMs']).toEqual({ target: '≤ 250 ms', value: 120, met: null });
    const md = markdown(r);
    expect(md).toContain('at 500/s (set by --latency-rate, not 50 % load (50 % of its maximum);');
    expect(md).toContain('| p99 ingest → persisted at the rate --latency-rate set | 120 ms | ≤ 250 ms (—) |');
  });

  it('labels the cluster’s rows by the rate --latency-rate set, with each one’s share of its maximum', () => {
    const fixed = { ...latency(300, true), ofSaturated: 1.25 };
    const md = markdown(
      results({
        sparkflow: { ...single, latency: latency(120, true) },
        cluster: { ...cluster, latency: fixed },
      }),
    );
    expect(md).toContain(
      '| p99 ingest → persisted at the rate --latency-rate set | 120 ms | 300 ms | 2.5× |',
    );
    expect(md).toContain('| rate offered | 500/s (50 % of its maximum) | 500/s (125 % of its maximum) | — |');
  });
});
