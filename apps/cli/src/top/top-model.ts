import { TOPICS } from '@sparkflow/contracts';
import { isStalled, stalledForMs } from '@sparkflow/kafka';
import { maxOf, sumOf, type MetricSample } from './prometheus-text';

export const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One partition of a group's input topic: where the group is and where the topic ends. */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  committed: bigint;
  high: bigint;
  low: bigint;
}

export interface ServiceProbe {
  /** The process probed: the service itself (`enrichment`) or one of its replicas (`enrichment-2`). */
  replica: string;
  /** `ready`, `not ready` (503 with its checks), `no answer` (timed out: frozen or starved) or `down` (refused). */
  health: 'ready' | 'not ready' | 'no answer' | 'down';
  detail: string | null;
  /** Its /metrics, when it answered. */
  metrics: MetricSample[] | null;
}

/**
 * The audit's count of batches not complete in the last hour, `more` when it listed only its page limit of
 * them; or why it could not be read (a refused key, a wrong address, the audit down), to show instead of a
 * bare "?".
 */
export type BatchesInFlight = { count: number; more: boolean } | { problem: string };

/** Everything one refresh reads. */
export interface Sample {
  atMs: number;
  kafka:
    | { ok: true; highs: Map<string, bigint>; groups: Map<string, PartitionOffsets[]> }
    | { ok: false; reason: string };
  /** Every process of each service, one probe per replica. */
  services: Record<ServiceName, ServiceProbe[]>;
  batchesInFlight: BatchesInFlight;
  /** Kafka timestamps of records, keyed `topic:partition:offset` (the oldest unread of each lagging partition). */
  recordTimes: ReadonlyMap<string, number>;
}

export interface StageRow {
  stage: ServiceName;
  flow: string;
  recordsPerSec: number | null;
  lagMessages: number | null;
  lagSeconds: number | null;
  deadLettersPerMin: number | null;
  stalled: boolean;
  stalledSeconds: number | null;
}

/** One process of a service. */
export interface ReplicaRow {
  replica: string;
  health: ServiceProbe['health'];
  detail: string | null;
  upSeconds: number | null;
  /**
   * Consumer restarts by the watchdog (its counter, plus the last count of each earlier process seen while
   * watching) plus process restarts seen while watching; null while it does not answer and none were seen.
   */
  restarts: number | null;
}

export interface ServiceRow {
  service: ServiceName;
  /** `ready` when every replica is; otherwise the replicas' health when they agree, else `not ready`. */
  health: ServiceProbe['health'];
  /** The unready replicas' details, each named (`enrichment-2: …`) when the service has several. */
  detail: string | null;
  /** The youngest answering replica's. */
  upSeconds: number | null;
  /** The replicas' restarts summed. */
  restarts: number | null;
  replicasReady: number;
  replicas: ReplicaRow[];
}

export interface TopView {
  atMs: number;
  kafka: string | null;
  stages: StageRow[];
  services: ServiceRow[];
  batchesInFlight: BatchesInFlight;
  deadLettersPerMin: number | null;
}

/** Which group reads which topics for each consuming stage; ingestion produces users.raw. */
export interface StageGroups {
  enrichment: string;
  persistence: string;
  audit: string;
}

/** What each stage reads and writes, as the FLOW column shows it. */
export const FLOW: Record<ServiceName, string> = {
  ingestion: 'HTTP → users.raw',
  enrichment: 'users.raw → users.enriched',
  persistence: 'users.enriched → users.persisted',
  audit: 'raw, dlq, persisted → PostgreSQL',
};

const START_TIME = 'sparkflow_process_start_time_seconds';
const CONSUMER_RESTARTS = 'sparkflow_consumer_restarts_total';

/** The sum of each counter (`…_total`) a process exports. */
function counterSums(metrics: readonly MetricSample[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const m of metrics) if (m.name.endsWith('_total')) sums.set(m.name, (sums.get(m.name) ?? 0) + m.value);
  return sums;
}

/**
 * The host a process runs on, from OpenTelemetry's `target_info` (a pod's name on Kubernetes): an address
 * behind a load balancer answers from several, and a restart is a new start time on the same one.
 */
const hostOf = (metrics: readonly MetricSample[]): string | null =>
  metrics.find((m) => m.name === 'target_info')?.labels['host_name'] ?? null;

/** What `top` remembers of one process (a service, or one replica of it) between refreshes. */
interface ReplicaMemory {
  host: string | null;
  started: number | null;
  counters: Map<string, number>;
  processRestarts: number;
  /** The watchdog's consumer restarts in the current process (its counter, last seen). */
  consumerRestarts: number | null;
  /** The same, as last seen, of its earlier processes while watching. */
  consumerRestartsBefore: number;
}

const combinedHealth = (probes: readonly ServiceProbe[]): ServiceProbe['health'] => {
  if (probes.every((p) => p.health === probes[0].health)) return probes[0].health;
  return probes.some((p) => p.health === 'ready' || p.health === 'not ready') ? 'not ready' : 'no answer';
};

/**
 * What `top` remembers between refreshes: when each committed offset was first seen, and each process's
 * start time and counters, by replica, so a replica that stops answering and comes back is no restart.
 */
export class TopState {
  private readonly committedSince = new Map<string, { offset: bigint; sinceMs: number }>();
  private readonly replicas = new Map<string, ReplicaMemory>();
  private prev: Sample | null = null;

  constructor(
    private readonly groups: StageGroups,
    private readonly stallAfterMs: number,
  ) {}

  /** Folds in a new sample and returns the view to draw. */
  next(cur: Sample): TopView {
    const prev = this.prev;
    this.prev = cur;
    const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
    const rate = (a: number | null | undefined, b: number | null | undefined) =>
      a === null || a === undefined || b === null || b === undefined || dt <= 0
        ? null
        : Math.max(0, (a - b) / dt);

    // A process restarted when its start time changed or one of its counters went backwards: once each.
    const restarted = new Set<string>();
    // Answered by another host than last time (a load balancer in front): no restart, and no rate this time.
    const switched = new Set<string>();
    for (const probe of SERVICES.flatMap((s) => cur.services[s])) {
      if (!probe.metrics) continue;
      const host = hostOf(probe.metrics);
      const started = maxOf(probe.metrics, START_TIME);
      const counters = counterSums(probe.metrics);
      const consumerRestarts = counters.get(CONSUMER_RESTARTS) ?? null;
      const mem = this.replicas.get(probe.replica);
      if (mem && host !== null && mem.host !== null && host !== mem.host) {
        switched.add(probe.replica);
        Object.assign(mem, { host, started, counters, consumerRestarts });
        continue;
      }
      if (!mem) {
        this.replicas.set(probe.replica, {
          host,
          started,
          counters,
          processRestarts: 0,
          consumerRestarts,
          consumerRestartsBefore: 0,
        });
        continue;
      }
      const newStart = started !== null && mem.started !== null && started !== mem.started;
      const wentBack = [...counters].some(([name, v]) => v < (mem.counters.get(name) ?? v));
      if (newStart || wentBack) {
        restarted.add(probe.replica);
        mem.processRestarts += 1;
        mem.consumerRestartsBefore += mem.consumerRestarts ?? 0;
      }
      mem.started = started ?? mem.started;
      mem.counters = counters;
      mem.consumerRestarts = consumerRestarts;
    }
    /** A counter's increase summed over the processes that answered both times (from 0 after a restart). */
    const increase = (service: ServiceName, name: string): number | null => {
      let total: number | null = null;
      for (const probe of cur.services[service]) {
        const was = prev?.services[service].find((p) => p.replica === probe.replica);
        const now = sumOf(probe.metrics ?? [], name);
        const before = was?.metrics ? sumOf(was.metrics, name) : null;
        if (now === null || before === null || switched.has(probe.replica)) continue;
        total = (total ?? 0) + (restarted.has(probe.replica) ? now : Math.max(0, now - before));
      }
      return total;
    };

    const kafkaOk = cur.kafka.ok ? cur.kafka : null;
    const prevKafka = prev?.kafka.ok ? prev.kafka : null;
    const sumHigh = (k: typeof kafkaOk, topic: string) => {
      const h = k?.highs.get(topic);
      return h === undefined ? null : Number(h);
    };
    const committedSum = (k: typeof kafkaOk, group: string) => {
      const parts = k?.groups.get(group);
      return parts ? parts.reduce((n, p) => n + Number(p.committed < p.low ? p.low : p.committed), 0) : null;
    };

    const stageRow = (stage: Exclude<ServiceName, 'ingestion'>): StageRow => {
      const group = this.groups[stage];
      const parts = kafkaOk?.groups.get(group) ?? null;
      let lag: number | null = null;
      let lagSeconds: number | null = null;
      let stalledMs: number | null = null;
      let stalled = false;
      if (parts) {
        lag = 0;
        const ages: number[] = [];
        let unknown = false;
        for (const p of parts) {
          const from = p.committed < p.low ? p.low : p.committed;
          const l = p.high > from ? Number(p.high - from) : 0;
          lag += l;
          const key = `${group}:${p.topic}:${p.partition}`;
          const seen = this.committedSince.get(key);
          if (!seen || seen.offset !== p.committed)
            this.committedSince.set(key, { offset: p.committed, sinceMs: cur.atMs });
          if (l === 0) continue;
          const ts = cur.recordTimes.get(`${p.topic}:${p.partition}:${from}`) ?? null;
          if (ts === null) unknown = true;
          else ages.push(Math.max(0, (cur.atMs - ts) / 1000));
          // Unmoved since top first saw it: a lower bound of how long it has stood still.
          const ms = stalledForMs(cur.atMs, l, this.committedSince.get(key)?.sinceMs ?? null, ts);
          if (isStalled(ms, this.stallAfterMs)) {
            stalled = true;
            stalledMs = Math.max(stalledMs ?? 0, ms ?? 0);
          }
        }
        lagSeconds = lag === 0 ? 0 : ages.length ? Math.max(...ages) : unknown ? null : 0;
      }
      // The service's own watchdog may know better (it saw the offset stand still before top started).
      const reported = maxOf(
        cur.services[stage].flatMap((p) => p.metrics ?? []),
        'sparkflow_consumer_stalled',
      );
      if (reported === 1) stalled = true;
      const dead = increase(stage, 'sparkflow_records_dead_lettered_total');
      const perSec = dead === null || dt <= 0 ? null : dead / dt;
      return {
        stage,
        flow: FLOW[stage],
        recordsPerSec: rate(committedSum(kafkaOk, group), committedSum(prevKafka, group)),
        lagMessages: lag,
        lagSeconds,
        deadLettersPerMin: perSec === null ? null : perSec * 60,
        stalled,
        stalledSeconds: stalledMs === null ? null : stalledMs / 1000,
      };
    };

    const stages: StageRow[] = [
      {
        stage: 'ingestion',
        flow: FLOW.ingestion,
        recordsPerSec: rate(sumHigh(kafkaOk, TOPICS.usersRaw), sumHigh(prevKafka, TOPICS.usersRaw)),
        lagMessages: null,
        lagSeconds: null,
        deadLettersPerMin: null,
        stalled: false,
        stalledSeconds: null,
      },
      stageRow('enrichment'),
      stageRow('persistence'),
      stageRow('audit'),
    ];
    const dlq = rate(sumHigh(kafkaOk, TOPICS.usersDlq), sumHigh(prevKafka, TOPICS.usersDlq));
    const replicaRow = (probe: ServiceProbe): ReplicaRow => {
      const started = maxOf(probe.metrics ?? [], START_TIME);
      const mem = this.replicas.get(probe.replica);
      const restarts = mem
        ? mem.processRestarts + mem.consumerRestartsBefore + (mem.consumerRestarts ?? 0)
        : 0;
      return {
        replica: probe.replica,
        health: probe.health,
        detail: probe.detail,
        upSeconds: started === null ? null : Math.max(0, cur.atMs / 1000 - started),
        restarts: probe.metrics ? restarts : restarts || null,
      };
    };
    const services: ServiceRow[] = SERVICES.map((service) => {
      const probes = cur.services[service];
      const replicas = probes.map(replicaRow);
      const known = <T>(values: (T | null)[]) => values.filter((v): v is T => v !== null);
      const ups = known(replicas.map((r) => r.upSeconds));
      const restarts = known(replicas.map((r) => r.restarts));
      const unready = replicas.filter((r) => r.health !== 'ready');
      return {
        service,
        health: combinedHealth(probes),
        detail:
          replicas.length === 1
            ? replicas[0].detail
            : unready.map((r) => `${r.replica}: ${r.detail ?? r.health}`).join('; ') || null,
        upSeconds: ups.length ? Math.min(...ups) : null,
        restarts: restarts.length ? restarts.reduce((a, b) => a + b, 0) : null,
        replicasReady: replicas.length - unready.length,
        replicas,
      };
    });
    return {
      atMs: cur.atMs,
      kafka: cur.kafka.ok ? null : cur.kafka.reason,
      stages,
      services,
      batchesInFlight: cur.batchesInFlight,
      deadLettersPerMin: dlq === null ? null : dlq * 60,
    };
  }
}
