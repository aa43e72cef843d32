import type { Admin, Kafka } from 'kafkajs';
import { TOPICS, readinessProblems, type BatchList } from '@sparkflow/contracts';
import type { CliConfig, ServiceReplica } from '../cli.config';
import { ADDRESS_SETTINGS, rootReason, unusableAddress } from '../errors';
import { recordsAt } from '../kafka/reader';
import { stageGroups } from '../pipeline/stages';
import { parsePrometheusText } from './prometheus-text';
import {
  SERVICES,
  type BatchesInFlight,
  type PartitionOffsets,
  type Sample,
  type ServiceName,
  type ServiceProbe,
} from './top-model';

const PIPELINE_TOPICS = Object.values(TOPICS);

/** A busy service answers in well under this; a frozen one (or a saturated machine) not at all. */
const PROBE_TIMEOUT_MS = 1500;

/** The most batches one answer of the audit lists (its page limit); beyond it `top` shows `1000+`. */
const BATCH_PAGE = 1000;

/**
 * One replica's readiness and /metrics. A process whose /metrics names another of the four services
 * (`target_info`'s `service_name`) is that service at a wrong address: it is shown as not ready, naming what answers and the
 * setting, and its counters are not counted as this service's.
 */
export async function probe(
  service: ServiceName,
  { name: replica, url: base }: ServiceReplica,
): Promise<ServiceProbe> {
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { status: res.status, text: await res.text() };
  };
  try {
    const [ready, metrics] = await Promise.all([get('/health/ready'), get('/metrics').catch(() => null)]);
    // A 503 names each check that is down and why; anything else unready is shown by its status.
    const detail = ready.status === 200 ? null : readinessProblems(ready.text) || `HTTP ${ready.status}`;
    const samples = metrics?.status === 200 ? parsePrometheusText(metrics.text) : null;
    const answering = samples?.find((m) => m.name === 'target_info')?.labels['service_name'];
    // Only another SparkFlow service's own name counts: OTEL_SERVICE_NAME may rename a service's telemetry.
    if (answering && answering !== service && (SERVICES as readonly string[]).includes(answering))
      return {
        replica,
        health: 'not ready',
        detail: `${answering} answers at ${base}, not ${service}: check ${ADDRESS_SETTINGS[service]}`,
        metrics: null,
      };
    return {
      replica,
      health: ready.status === 200 ? 'ready' : 'not ready',
      detail,
      metrics: samples,
    };
  } catch (err) {
    // Timed out: the process is there but does not answer (frozen, or starved). Anything else: down.
    return err instanceof Error && err.name === 'TimeoutError'
      ? {
          replica,
          health: 'no answer',
          detail: `no answer within ${PROBE_TIMEOUT_MS} ms at ${base}`,
          metrics: null,
        }
      : {
          replica,
          health: 'down',
          detail: `${base}: ${unusableAddress(base, err) ?? rootReason(err)}`,
          metrics: null,
        };
  }
}

/** The audit's batches not complete in the last hour before `now`, or why they could not be read. */
export async function readBatchesInFlight(
  audit: Pick<CliConfig, 'auditUrl' | 'auditUrlSetting' | 'auditKey'>,
  now: number,
): Promise<BatchesInFlight> {
  const { auditUrl, auditUrlSetting } = audit;
  const since = new Date(now - 3_600_000).toISOString();
  try {
    const res = await fetch(`${auditUrl}/v1/batches?incomplete=true&limit=${BATCH_PAGE}&since=${since}`, {
      headers: { 'x-api-key': audit.auditKey },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    if (res.ok) {
      const list = (await res.json()) as BatchList;
      return { count: list.batches.length, more: list.truncated };
    }
    if (res.status === 401)
      return { problem: 'the audit refused the key (HTTP 401): set AUDIT_API_KEYS or --audit-key' };
    if (res.status === 404)
      return { problem: `no batch list at ${auditUrl} (HTTP 404): check ${auditUrlSetting}` };
    return { problem: `the audit answered HTTP ${res.status}` };
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError')
      return { problem: `the audit did not answer within ${PROBE_TIMEOUT_MS} ms at ${auditUrl}` };
    return { problem: `${auditUrl}: ${unusableAddress(auditUrl, err) ?? rootReason(err)}` };
  }
}

/**
 * Reads what one refresh of `sparkflow top` shows: topic ends and the stage groups' committed offsets
 * from Kafka (one admin connection for the session), each replica's readiness and /metrics, and the
 * audit's batches in flight (every few seconds). The age of the oldest unread record of each lagging
 * partition is read in the background (a read joins a throw-away group, too slow for every second),
 * and kept per offset: while a group stands still, its lag in seconds grows with the clock.
 */
export class TopSampler {
  private admin: Admin | null = null;
  private readonly recordTimes = new Map<string, number>();
  private wantedTimes: { topic: string; partition: number; offset: bigint; high: bigint }[] = [];
  private timesBusy = false;
  private batches: { atMs: number; value: BatchesInFlight } = { atMs: 0, value: { problem: 'not read yet' } };

  constructor(
    private readonly cfg: CliConfig,
    private readonly kafka: Kafka,
  ) {}

  private async readKafka(): Promise<Sample['kafka']> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin({ retry: { retries: 0 } });
        await admin.connect();
        this.admin = admin;
      }
      const admin = this.admin;
      const ends = new Map<string, Map<number, { low: bigint; high: bigint }>>();
      const highs = new Map<string, bigint>();
      for (const topic of PIPELINE_TOPICS) {
        const offsets = await admin.fetchTopicOffsets(topic);
        ends.set(
          topic,
          new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }])),
        );
        highs.set(
          topic,
          offsets.reduce((n, o) => n + BigInt(o.high), 0n),
        );
      }
      const groups = new Map<string, PartitionOffsets[]>();
      const wanted: typeof this.wantedTimes = [];
      for (const { groupId, topics } of stageGroups(this.cfg)) {
        const fetched = await admin.fetchOffsets({ groupId, topics });
        const parts: PartitionOffsets[] = [];
        for (const t of fetched) {
          for (const p of t.partitions) {
            const end = ends.get(t.topic)?.get(p.partition);
            if (!end) continue;
            const committed = BigInt(p.offset);
            parts.push({ topic: t.topic, partition: p.partition, committed, ...end });
            const from = committed < end.low ? end.low : committed;
            if (end.high > from)
              wanted.push({ topic: t.topic, partition: p.partition, offset: from, high: end.high });
          }
        }
        groups.set(groupId, parts);
      }
      this.wantedTimes = wanted;
      return { ok: true, highs, groups };
    } catch (err) {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
      return { ok: false, reason: rootReason(err) };
    }
  }

  /** Reads the timestamps of oldest unread records not known yet; one read at a time, in the background. */
  private refreshRecordTimes(): void {
    if (this.timesBusy) return;
    const missing = this.wantedTimes.filter(
      (w) => !this.recordTimes.has(`${w.topic}:${w.partition}:${w.offset}`),
    );
    if (!missing.length) return;
    this.timesBusy = true;
    void (async () => {
      try {
        for (const topic of new Set(missing.map((m) => m.topic))) {
          const list = missing.filter((m) => m.topic === topic);
          const high = new Map(list.map((m) => [m.partition, m.high]));
          const found = await recordsAt(this.kafka, topic, list, high, 10_000);
          for (const m of list) {
            const rec = found.get(`${m.partition}:${m.offset}`);
            if (rec) this.recordTimes.set(`${topic}:${m.partition}:${m.offset}`, Number(rec.timestamp));
          }
        }
        // Keep only what is still wanted, so the map does not grow for ever.
        const keep = new Set(this.wantedTimes.map((w) => `${w.topic}:${w.partition}:${w.offset}`));
        for (const k of this.recordTimes.keys()) if (!keep.has(k)) this.recordTimes.delete(k);
      } catch {
        /* Kafka's state is reported by the next sample */
      } finally {
        this.timesBusy = false;
      }
    })();
  }

  private async batchesInFlight(now: number): Promise<BatchesInFlight> {
    if (now - this.batches.atMs < 5000) return this.batches.value;
    this.batches.atMs = now;
    this.batches.value = await readBatchesInFlight(this.cfg, now);
    return this.batches.value;
  }

  async sample(): Promise<Sample> {
    const atMs = Date.now();
    const [kafka, probes, batchesInFlight] = await Promise.all([
      this.readKafka(),
      Promise.all(
        SERVICES.map(
          async (s) => [s, await Promise.all(this.cfg.serviceReplicas[s].map((r) => probe(s, r)))] as const,
        ),
      ),
      this.batchesInFlight(atMs),
    ]);
    this.refreshRecordTimes();
    return {
      atMs,
      kafka,
      services: Object.fromEntries(probes) as Record<ServiceName, ServiceProbe[]>,
      batchesInFlight,
      recordTimes: new Map(this.recordTimes),
    };
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
