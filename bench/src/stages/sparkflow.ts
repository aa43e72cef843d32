import { setTimeout as sleep } from 'node:timers/promises';
import type { RandomUser } from '@sparkflow/contracts';
import type { IntegrationSettings } from '@sparkflow/testing';
import { AuditTimingRepository, type BatchesStatus, type BatchesTiming } from '../audit-timing.repository';
import {
  CpuTimeline,
  profileLatency,
  profileLine,
  type CoresOver,
  type LatencyProfile,
} from '../latency-profile';
import { chunks, forEachConcurrent, perSecond, type RunContext } from '../run-context';
import {
  CpuMeter,
  ENGINES,
  SERVICES,
  StackProcess,
  sumOf,
  type Engine,
  type PidFileName,
  type Service,
} from '../stack-process';

export interface ServiceUsage {
  pid: number;
  /** VmHWM since the service started (includes its start-up), read before the stage. */
  peakRssMbSinceStart: number;
  /** VmHWM during the SparkFlow stages (reset to the current RSS first), or since start when the reset was refused. */
  peakRssMb: number;
  peakRssResetBeforeStage: boolean;
  /** utime + stime during the saturation stage, in CPU-ms per user. */
  cpuMsPerUser: number;
}

/** Where the pipeline's CPU went during the saturation stage, in CPU-ms per user. */
export interface CpuPerUser {
  /** The four services and the three engines together: the pipeline's cost per user. */
  total: number;
  services: number;
  engines: number;
  byEngine: Record<Engine, number>;
}

export interface SaturationResult {
  records: number;
  usersPerPost: number;
  postsInFlight: number;
  batches: number;
  /** First POST sent → last POST answered (every user acknowledged by Kafka). */
  acceptMs: number;
  acceptedPerSec: number;
  /** First POST sent → the audit shows every batch complete (includes the audit writing PostgreSQL). */
  wallToCompleteMs: number;
  deadLettered: number;
  audit: BatchesTiming;
  /** GET /v1/batches/:id of the last batch, as the audit API reports it. */
  lastBatchFromApi: unknown;
}

export interface LatencyResult {
  targetPerSec: number;
  /** True when `--latency-rate` set the rate; false when it is 50 % of the saturated rate. */
  fixedRate: boolean;
  /** The rate offered over the saturated rate the same run measured: 0.5 unless `--latency-rate` set it. */
  ofSaturated: number;
  offeredPerSec: number;
  records: number;
  usersPerPost: number;
  /** How far the sender fell behind its schedule at worst (open loop: a late POST is sent at once). */
  maxSendLagMs: number;
  deadLettered: number;
  audit: BatchesTiming;
  /** The cores each process used over the stage and while its slowest 1 % were in flight (none if it failed). */
  profile?: LatencyProfile;
}

export interface SparkflowResult {
  saturation: SaturationResult;
  latency: LatencyResult;
  services: Record<Service, ServiceUsage>;
  cpuMsPerUser: CpuPerUser;
}

interface Pushed {
  batchIds: string[];
  maxSendLagMs: number;
}

/**
 * The rate the latency stage offers: `fixed` (--latency-rate) if set, else 50 % of the saturated rate.
 * `ofSaturated` is that rate over the saturated rate, so two runs at one fixed rate can be told apart
 * when their maxima differ.
 */
export function latencyLoad(
  fixed: number | null,
  saturatedPerSec: number,
): { targetPerSec: number; fixedRate: boolean; ofSaturated: number } {
  const targetPerSec = fixed ?? Math.max(1, Math.round(saturatedPerSec / 2));
  const ofSaturated = saturatedPerSec > 0 ? Number((targetPerSec / saturatedPerSec).toFixed(2)) : 0;
  return { targetPerSec, fixedRate: fixed !== null, ofSaturated };
}

/** The saturation and 50 %-load figures of one pipeline, and the CPU of each of its processes. */
export interface PipelineMeasurement {
  saturation: SaturationResult;
  latency: LatencyResult;
  /** CPU-ms per user of each process during the saturation stage, by pid-file name. */
  cpuMsPerProcess: Partial<Record<PidFileName, number>>;
}

async function postUsers(settings: IntegrationSettings, users: RandomUser[]): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/users`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': settings.INGESTION_API_KEYS.split(',')[0],
    },
    body: JSON.stringify(users),
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`POST /v1/users answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { batchId: string }).batchId;
}

/** As fast as ingestion accepts: `concurrency` POSTs in flight, each sent as soon as one is answered. */
async function pushSaturating(
  settings: IntegrationSettings,
  users: readonly RandomUser[],
  size: number,
  concurrency: number,
): Promise<Pushed> {
  const batchIds: string[] = [];
  await forEachConcurrent(chunks(users, size), concurrency, async (chunk) => {
    batchIds.push(await postUsers(settings, chunk));
  });
  return { batchIds, maxSendLagMs: 0 };
}

/** Open loop at `perSec`: POST i is due at start + i·size/perSec, whether or not earlier ones were answered. */
async function pushPaced(
  settings: IntegrationSettings,
  users: readonly RandomUser[],
  size: number,
  perSec: number,
): Promise<Pushed> {
  const batchIds: string[] = [];
  const pending = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const intervalMs = (size / perSec) * 1000;
  const started = performance.now();
  let maxSendLagMs = 0;
  const all = chunks(users, size);
  for (let i = 0; i < all.length && failures.length === 0; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    else maxSendLagMs = Math.max(maxSendLagMs, -wait);
    const p: Promise<void> = postUsers(settings, all[i]).then(
      (id) => void batchIds.push(id),
      (e: unknown) => void failures.push(e),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  await Promise.all(pending);
  if (failures.length) throw failures[0];
  return { batchIds, maxSendLagMs: Math.round(maxSendLagMs) };
}

/** Polls the audit until every event of these batches is persisted or dead-lettered; fails after a minute without progress. */
async function waitComplete(audit: AuditTimingRepository, batchIds: string[], expected: number) {
  let last = -1;
  let progressAt = Date.now();
  for (;;) {
    const s = await audit.status(batchIds);
    const settled = s.persisted + s.deadLettered;
    if (s.ingested >= expected && settled >= s.ingested) return s;
    if (settled !== last) {
      last = settled;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 60_000) {
      throw new Error(`pipeline stalled: ${JSON.stringify(s)} of ${expected} for a minute`);
    }
    await sleep(500);
  }
}

/**
 * A running pipeline end to end, reached through `settings` (ingestion's HTTP API → Kafka → enrichment →
 * persistence → Cassandra, and the audit's account in PostgreSQL): first saturated, then at half the
 * measured rate. The CPU of `procs` is metered over the saturation stage. `label` prefixes the log lines.
 */
export async function measurePipeline(
  ctx: RunContext,
  label: string,
  settings: IntegrationSettings,
  procs: readonly StackProcess[],
): Promise<PipelineMeasurement> {
  const audit = await AuditTimingRepository.connect(settings);
  try {
    // Saturation.
    const { pushChunk, pushConcurrency } = ctx.opts;
    const cpu = await CpuMeter.start(procs);
    const started = performance.now();
    const sat = await pushSaturating(settings, ctx.users, pushChunk, pushConcurrency);
    const acceptMs = performance.now() - started;
    ctx.log(
      `${label}: ${ctx.users.length} users accepted in ${Math.round(acceptMs)} ms, waiting for the audit`,
    );
    const satStatus = await waitComplete(audit, sat.batchIds, ctx.users.length);
    const wallToCompleteMs = performance.now() - started;
    const cpuMsPerProcess = await cpu.perRecord(ctx.users.length);
    const satTiming = await audit.timing(sat.batchIds);
    const lastBatch = sat.batchIds[sat.batchIds.length - 1];
    const api = await fetch(
      `http://127.0.0.1:${settings.AUDIT_HTTP_PORT}/v1/batches/${encodeURIComponent(lastBatch)}`,
      { headers: { 'x-api-key': settings.AUDIT_API_KEYS.split(',')[0] } },
    );
    const lastBatchFromApi: unknown = await api.json();
    ctx.log(`${label}: saturated ${satTiming.throughputPerSec} records/s end to end`);

    // Latency at 50 % of the measured maximum (or at --latency-rate), offered at a steady rate in POSTs of
    // `latencyChunk` users.
    const { targetPerSec, fixedRate, ofSaturated } = latencyLoad(
      ctx.opts.latencyRate,
      satTiming.throughputPerSec,
    );
    if (fixedRate) {
      ctx.log(
        `${label}: offering ${targetPerSec}/s as --latency-rate set, ${Math.round(ofSaturated * 100)} % of the saturated rate` +
          (ofSaturated >= 1
            ? ': at or above the maximum, records will queue for as long as the stage runs'
            : ''),
      );
    }
    const size = ctx.opts.latencyChunk;
    const users = ctx.users.slice(0, ctx.opts.latencyRecords);
    const timeline = await new CpuTimeline(procs).start();
    const latStarted = performance.now();
    let cores: CoresOver | undefined;
    let lat: Pushed;
    let offeredMs: number;
    let latStatus: BatchesStatus;
    try {
      lat = await pushPaced(settings, users, size, targetPerSec);
      offeredMs = performance.now() - latStarted;
      latStatus = await waitComplete(audit, lat.batchIds, users.length);
    } finally {
      // Stopped whatever happened, so it samples into no later stage; its own failure hides no other.
      cores = await timeline.stop().catch(() => undefined);
    }
    const latTiming = await audit.timing(lat.batchIds);
    // The profile explains the figures; a failure in it loses the explanation, not the stage.
    const profile = await audit
      .journeys(lat.batchIds)
      .then((journeys) => {
        if (!cores) throw new Error('the CPU timeline has fewer than two samples');
        return profileLatency(cores, journeys);
      })
      .catch((e: unknown) => {
        ctx.log(`${label}: no latency profile: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
    ctx.log(
      `${label}: at ${targetPerSec}/s p50 ${latTiming.latencyMs.p50} p95 ${latTiming.latencyMs.p95} p99 ${latTiming.latencyMs.p99} ms`,
    );
    ctx.log(`${label}: ${profileLine(profile)}`);
    return {
      saturation: {
        records: ctx.users.length,
        usersPerPost: pushChunk,
        postsInFlight: pushConcurrency,
        batches: sat.batchIds.length,
        acceptMs: Math.round(acceptMs),
        acceptedPerSec: perSecond(ctx.users.length, acceptMs),
        wallToCompleteMs: Math.round(wallToCompleteMs),
        deadLettered: satStatus.deadLettered,
        audit: satTiming,
        lastBatchFromApi,
      },
      latency: {
        targetPerSec,
        fixedRate,
        ofSaturated,
        offeredPerSec: perSecond(users.length, offeredMs),
        records: users.length,
        usersPerPost: size,
        maxSendLagMs: lat.maxSendLagMs,
        deadLettered: latStatus.deadLettered,
        audit: latTiming,
        profile,
      },
      cpuMsPerProcess,
    };
  } finally {
    await audit.close();
  }
}

/** The running single-node stack (ctx.opts.settings), measured by measurePipeline. */
export async function sparkflow(ctx: RunContext): Promise<SparkflowResult> {
  const home = ctx.opts.settings.SPARKFLOW_HOME;
  const procs = await Promise.all(SERVICES.map((s) => StackProcess.find(home, s)));
  const engines = await Promise.all(ENGINES.map((e) => StackProcess.find(home, e)));
  const sinceStart = await Promise.all(procs.map((p) => p.peakRssMb()));
  const reset = await Promise.all(procs.map((p) => p.resetPeak()));
  const {
    saturation,
    latency,
    cpuMsPerProcess: cpuMs,
  } = await measurePipeline(ctx, 'sparkflow', ctx.opts.settings, [...procs, ...engines]);
  const peaks = await Promise.all(procs.map((p) => p.peakRssMb()));
  const services = Object.fromEntries(
    procs.map((p, i) => [
      p.name,
      {
        pid: p.pid,
        peakRssMbSinceStart: sinceStart[i],
        peakRssMb: peaks[i],
        peakRssResetBeforeStage: reset[i],
        cpuMsPerUser: cpuMs[p.name] ?? 0,
      },
    ]),
  ) as Record<Service, ServiceUsage>;
  const byEngine = Object.fromEntries(ENGINES.map((e) => [e, cpuMs[e] ?? 0])) as Record<Engine, number>;
  const servicesCpu = sumOf(Object.fromEntries(SERVICES.map((s) => [s, cpuMs[s]])));
  const enginesCpu = sumOf(byEngine);
  ctx.log(`sparkflow: ${sumOf(cpuMs)} CPU-ms per user (services ${servicesCpu}, engines ${enginesCpu})`);
  return {
    saturation,
    latency,
    services,
    cpuMsPerUser: { total: sumOf(cpuMs), services: servicesCpu, engines: enginesCpu, byEngine },
  };
}
