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
  /** `ready`, `not ready` (503 with its checks), `no answer` (timed out: frozen or starved) or `down` (refused). */
  health: 'ready' | 'not ready' | 'no answer' | 'down';
  detail: string | null;
  /** Its /metrics, when it answered. */
  metrics: MetricSample[] | null;
}

/** Everything one refresh reads. */
export interface Sample {
  atMs: number;
  kafka:
    | { ok: true; highs: Map<string, bigint>; groups: Map<string, PartitionOffsets[]> }
    | { ok: false; reason: string };
  services: Record<ServiceName, ServiceProbe>;
  batchesInFlight: number | null;
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

export interface ServiceRow {
  service: ServiceName;
  health: ServiceProbe['health'];
  detail: string | null;
  upSeconds: number | null;
  /** Consumer restarts by the watchdog (its counter) plus process restarts seen while watching. */
  restarts: number | null;
}

export interface TopView {
  atMs: number;
  kafka: string | null;
  stages: StageRow[];
  services: ServiceRow[];
  batchesInFlight: number | null;
  deadLettersPerMin: number | null;
}

/** Which group reads which topics for each consuming stage; ingestion produces users.raw. */
export interface StageGroups {
  enrichment: string;
  persistence: string;
  audit: string;
}

const FLOW: Record<ServiceName, string> = {
  ingestion: 'HTTP → users.raw',
  enrichment: 'users.raw → users.enriched',
  persistence: 'users.enriched → users.persisted',
  audit: 'raw, dlq, persisted → PostgreSQL',
};

/** What `top` remembers between refreshes: when each committed offset was first seen, and process start times. */
export class TopState {
  private readonly committedSince = new Map<string, { offset: bigint; sinceMs: number }>();
  private readonly starts = new Map<ServiceName, number>();
  private readonly processRestarts = new Map<ServiceName, number>();
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

    for (const service of SERVICES) {
      const started = maxOf(cur.services[service].metrics ?? [], 'sparkflow_process_start_time_seconds');
      if (started === null) continue;
      const before = this.starts.get(service);
      if (before !== undefined && before !== started)
        this.processRestarts.set(service, (this.processRestarts.get(service) ?? 0) + 1);
      this.starts.set(service, started);
    }

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
      const reported = maxOf(cur.services[stage].metrics ?? [], 'sparkflow_consumer_stalled');
      if (reported === 1) stalled = true;
      const dead = sumOf(cur.services[stage].metrics ?? [], 'sparkflow_records_dead_lettered_total');
      const deadBefore = prev
        ? sumOf(prev.services[stage].metrics ?? [], 'sparkflow_records_dead_lettered_total')
        : null;
      const perSec = rate(dead, deadBefore);
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
    const services: ServiceRow[] = SERVICES.map((service) => {
      const probe = cur.services[service];
      const started = maxOf(probe.metrics ?? [], 'sparkflow_process_start_time_seconds');
      const consumerRestarts = sumOf(probe.metrics ?? [], 'sparkflow_consumer_restarts_total');
      const seen = this.processRestarts.get(service) ?? 0;
      return {
        service,
        health: probe.health,
        detail: probe.detail,
        upSeconds: started === null ? null : Math.max(0, cur.atMs / 1000 - started),
        restarts: probe.metrics ? (consumerRestarts ?? 0) + seen : seen || null,
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
