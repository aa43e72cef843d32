import { setTimeout as sleep } from 'node:timers/promises';
import { TOPOLOGIES, type Topology } from '@sparkflow/contracts';
import {
  CLUSTER_COMPONENTS,
  benchClusterEnv,
  benchClusterSettings,
  clusterCpuPerUser,
  clusterProcessNames,
  clusterStack,
  replicasUp,
  type ClusterCpuPerUser,
} from '../cluster-stack';
import type { RunContext } from '../run-context';
import { CpuMeter, ENGINES, SERVICES, StackProcess, type PidFileName } from '../stack-process';
import { measurePipeline, type LatencyResult, type SaturationResult } from './sparkflow';

export interface ClusterResult {
  topology: Topology;
  home: string;
  /** `stack up` of the cluster (compiles the services, starts three JVMs of each engine); not part of any figure. */
  upMs: number;
  saturation: SaturationResult;
  latency: LatencyResult;
  cpuMsPerUser: ClusterCpuPerUser;
  /** VmHWM of each node and replica during the stage (reset to the current RSS first, where the kernel allows). */
  peakRssMbByProcess: Record<PidFileName, number>;
  peakRssResetBeforeStage: boolean;
  /**
   * The single-node stack, idle beside the cluster while it was measured: the CPU its processes used, in
   * cores (1 = one core busy). Null when it was not running. Subtract it from nothing; it is there to say
   * how much the cluster's wall-time figures shared the machine.
   */
  idleSingleStackCores: number | null;
}

/** The single-node stack's processes, if it runs: they share the machine with the cluster. */
async function singleStack(ctx: RunContext): Promise<StackProcess[] | null> {
  const home = ctx.opts.settings.SPARKFLOW_HOME;
  try {
    return await Promise.all([...SERVICES, ...ENGINES].map((n) => StackProcess.find(home, n)));
  } catch {
    return null; // not running (no pid file, or its process is gone): nothing shares the machine
  }
}

/**
 * `stack up` returns once HAProxy finds one replica of each fronted service ready; the cluster is measured
 * with all of them, so this waits until HAProxy's checks find every replica up (3 minutes at most).
 */
async function everyReplicaUp(ctx: RunContext, statsPort: string | undefined): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const csv = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`).then((r) => r.text());
    const up = replicasUp(csv, ['ingestion', 'audit']);
    const text = Object.entries(up)
      .map(([s, u]) => `${s} ${u.up}/${u.of}`)
      .join(', ');
    if (Object.values(up).every((u) => u.of > 0 && u.up === u.of))
      return ctx.log(`cluster: HAProxy finds ${text} replicas up`);
    if (Date.now() > deadline) throw new Error(`HAProxy finds only ${text} replicas up after 3 minutes`);
    await sleep(1000);
  }
}

async function measure(ctx: RunContext, clusterEnv: NodeJS.ProcessEnv, upMs: number): Promise<ClusterResult> {
  const settings = benchClusterSettings(clusterEnv);
  await everyReplicaUp(ctx, clusterEnv['HAPROXY_STATS_PORT']);
  const home = settings.SPARKFLOW_HOME;
  const procs = await Promise.all(clusterProcessNames().map((n) => StackProcess.find(home, n)));
  const reset = await Promise.all(procs.map((p) => p.resetPeak()));
  const single = await singleStack(ctx);
  const idle = single ? await CpuMeter.start(single) : null;
  const started = performance.now();
  const m = await measurePipeline(ctx, 'cluster', settings, procs);
  // A single-stack process that exits meanwhile leaves that figure unknown, not the cluster's.
  const idleSeconds = idle
    ? await idle.seconds().then(
        (s) => Object.values(s).reduce((a, b) => a + b, 0),
        () => null,
      )
    : null;
  const wallSeconds = (performance.now() - started) / 1000;
  const peaks = await Promise.all(procs.map((p) => p.peakRssMb()));
  const cpuMsPerUser = clusterCpuPerUser(m.cpuMsPerProcess);
  ctx.log(
    `cluster: ${cpuMsPerUser.total} CPU-ms per user (services ${cpuMsPerUser.services}, engines ${cpuMsPerUser.engines})`,
  );
  return {
    topology: TOPOLOGIES.cluster,
    home,
    upMs,
    saturation: m.saturation,
    latency: m.latency,
    cpuMsPerUser,
    peakRssMbByProcess: Object.fromEntries(procs.map((p, i) => [p.name, peaks[i]])),
    peakRssResetBeforeStage: reset.every(Boolean),
    idleSingleStackCores: idleSeconds === null ? null : Number((idleSeconds / wallSeconds).toFixed(2)),
  };
}

/**
 * The same end-to-end measurement as the sparkflow stage, on the cluster topology: three Kafka and three
 * Cassandra nodes, two replicas of each service behind HAProxy. The stage starts that cluster on a home
 * and ports of its own, measures it, and stops it, whether or not the measurement worked.
 */
export async function cluster(ctx: RunContext): Promise<ClusterResult> {
  const env = benchClusterEnv(ctx.opts.env);
  ctx.log(`cluster: starting ${CLUSTER_COMPONENTS.join(', ')} on ${env['SPARKFLOW_HOME']}`);
  // Interrupted, the harness still stops the cluster it started: six JVMs, eight services and HAProxy left
  // running would take the machine's two cores from whatever runs next.
  const interrupted = (signal: NodeJS.Signals) => {
    ctx.log(`cluster: ${signal}, stopping the cluster`);
    void clusterStack(['down'], env).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const upStarted = performance.now();
  let result: ClusterResult;
  try {
    await clusterStack(['up', '--topology', 'cluster', ...CLUSTER_COMPONENTS], env);
    result = await measure(ctx, env, Math.round(performance.now() - upStarted));
  } catch (e) {
    await clusterStack(['down'], env).catch((down: unknown) =>
      ctx.log(`cluster: stack down after the failure failed too: ${String(down)}`),
    );
    throw e;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
  await clusterStack(['down'], env);
  return result;
}
