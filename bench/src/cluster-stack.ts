import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TOPOLOGIES, type Topology } from '@sparkflow/contracts';
import {
  CLUSTER_PIPELINE_COMPONENTS,
  integrationSettings,
  ownClusterEnv,
  type IntegrationSettings,
} from '@sparkflow/testing';
import { REPO_ROOT } from './bench.config';
import { SERVICES, sumByBase, sumOf, type PidFileName, type Service } from './stack-process';

/**
 * The cluster the cluster stage starts for itself: a home and ports of its own (33xxx), so it never meets
 * the single-node stack the other stages measure, nor the cluster the fault test starts (31xxx).
 */
export const BENCH_CLUSTER_HOME = join(REPO_ROOT, '.sparkflow-bench-cluster');

export const benchClusterEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  ownClusterEnv(env, BENCH_CLUSTER_HOME, 33);

/** How the harness reaches that cluster: HAProxy's ingestion and audit ports, every broker and Cassandra node. */
export const benchClusterSettings = (clusterEnv: NodeJS.ProcessEnv): IntegrationSettings =>
  integrationSettings(clusterEnv);

/** What the stage starts. */
export const CLUSTER_COMPONENTS = CLUSTER_PIPELINE_COMPONENTS;

const numbered = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${i + 1}`);

/** The pid-file names of every process of CLUSTER_COMPONENTS on the cluster topology (`kafka-1`, …, `haproxy`). */
export function clusterProcessNames(topology: Topology = TOPOLOGIES.cluster): PidFileName[] {
  return CLUSTER_COMPONENTS.flatMap((c) => {
    switch (c) {
      case 'kafka':
        return numbered(c, topology.kafkaNodes);
      case 'cassandra':
        return numbered(c, topology.cassandraNodes);
      case 'ingestion':
      case 'enrichment':
      case 'persistence':
      case 'audit':
        return numbered(c, topology.serviceReplicas);
      case 'postgres':
      case 'haproxy':
        return [c];
    }
  });
}

/**
 * `npm run stack -- <args>` on the cluster's home and ports, its output shown as it comes;
 * rejects with the exit code when the stack command fails.
 */
export function clusterStack(args: string[], clusterEnv: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'deploy', 'local', 'bin', 'stack'), ...args], {
      cwd: REPO_ROOT,
      env: clusterEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `stack ${args.join(' ')} (home ${clusterEnv['SPARKFLOW_HOME']}) failed: ${signal ?? `exit ${code}`}`,
            ),
          ),
    );
  });
}

/** What the cluster's pipeline runs on besides the services: the single topology's engines and the load balancer. */
export const CLUSTER_ENGINES = ['kafka', 'cassandra', 'postgres', 'haproxy'] as const;
export type ClusterEngine = (typeof CLUSTER_ENGINES)[number];

/** Where the cluster's CPU went during the saturation stage, in CPU-ms per user. */
export interface ClusterCpuPerUser {
  /** Every node and replica together: the replicated pipeline's cost per user. */
  total: number;
  services: number;
  engines: number;
  /** Each service's replicas summed. */
  byService: Record<Service, number>;
  /** Each engine's nodes summed. */
  byEngine: Record<ClusterEngine, number>;
  /** Each node and replica alone (`kafka-1`, `ingestion-2`, …). */
  byProcess: Record<PidFileName, number>;
}

/** Sums the CPU-ms per user of each node and replica by base name: kafka = kafka-1 + kafka-2 + kafka-3. */
export function clusterCpuPerUser(perProcess: Partial<Record<PidFileName, number>>): ClusterCpuPerUser {
  const byBase = sumByBase(perProcess);
  const byService = Object.fromEntries(SERVICES.map((s) => [s, byBase[s] ?? 0])) as Record<Service, number>;
  const byEngine = Object.fromEntries(CLUSTER_ENGINES.map((e) => [e, byBase[e] ?? 0])) as Record<
    ClusterEngine,
    number
  >;
  const byProcess = Object.fromEntries(Object.entries(perProcess).map(([name, v]) => [name, v ?? 0]));
  return {
    total: sumOf(byBase),
    services: sumOf(byService),
    engines: sumOf(byEngine),
    byService,
    byEngine,
    byProcess,
  };
}

/** HAProxy's stats CSV (`/stats;csv`): per fronted service, how many of its replicas HAProxy's checks find UP. */
export function replicasUp(
  csv: string,
  services: readonly string[],
): Record<string, { up: number; of: number }> {
  const rows = csv.split('\n').map((l) => l.split(','));
  const servers = rows.filter((r) => services.includes(r[0]) && r[1] !== 'FRONTEND' && r[1] !== 'BACKEND');
  return Object.fromEntries(
    services.map((s) => {
      const own = servers.filter((r) => r[0] === s);
      return [s, { up: own.filter((r) => r[17]?.startsWith('UP')).length, of: own.length }];
    }),
  );
}
