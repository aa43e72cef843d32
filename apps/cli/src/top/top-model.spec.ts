import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrometheusText } from './prometheus-text';
import { FLOW, TopState, type Sample, type ServiceProbe } from './top-model';

const groups = { enrichment: 'g-enrichment', persistence: 'g-persistence', audit: 'g-audit' };
const T0 = Date.parse('2026-11-30T10:00:00Z');

/** A process that answers ready with these metrics; `replica` names it (`enrichment`, `enrichment-2`). */
const ready = (replica: string, metrics = ''): ServiceProbe => ({
  replica,
  health: 'ready',
  detail: null,
  metrics: parsePrometheusText(metrics),
});

/** Kafka where only users.raw has records: raw's end at `rawHigh`, enrichment committed at `enriched`. */
function sample(atMs: number, rawHigh: number, enriched: number, extra: Partial<Sample> = {}): Sample {
  const part = (topic: string, committed: number, high: number) => ({
    topic,
    partition: 0,
    committed: BigInt(committed),
    high: BigInt(high),
    low: 0n,
  });
  return {
    atMs,
    kafka: {
      ok: true,
      highs: new Map([
        ['users.raw', BigInt(rawHigh)],
        ['users.enriched', BigInt(enriched)],
        ['users.dlq', 0n],
        ['users.persisted', 0n],
      ]),
      groups: new Map([
        ['g-enrichment', [part('users.raw', enriched, rawHigh)]],
        ['g-persistence', [part('users.enriched', enriched, enriched)]],
        ['g-audit', [part('users.raw', rawHigh, rawHigh)]],
      ]),
    },
    services: {
      ingestion: [ready('ingestion', 'sparkflow_process_start_time_seconds 1796000000')],
      enrichment: [ready('enrichment', 'sparkflow_records_dead_lettered_total{stage="enrichment"} 0')],
      persistence: [ready('persistence')],
      audit: [ready('audit')],
    },
    batchesInFlight: { count: 2, more: false },
    recordTimes: new Map(),
    ...extra,
  };
}

describe('sparkflow top, from one sample to the next', () => {
  it('turns offsets into records per second per stage, and committed-offset distance into lag', () => {
    const state = new TopState(groups, 60_000);
    const first = state.next(sample(T0, 1000, 900));
    expect(first.stages.find((s) => s.stage === 'enrichment')?.recordsPerSec).toBeNull();
    const view = state.next(sample(T0 + 2000, 2000, 1500));
    const enrichment = view.stages.find((s) => s.stage === 'enrichment')!;
    expect(view.stages.find((s) => s.stage === 'ingestion')?.recordsPerSec).toBe(500);
    expect(enrichment).toMatchObject({
      recordsPerSec: 300,
      lagMessages: 500,
      stalled: false,
      deadLettersPerMin: 0,
    });
    expect(view.batchesInFlight).toEqual({ count: 2, more: false });
  });

  it('ages the lag in seconds with the clock while the group stands still, and calls it stalled after the stall time', () => {
    const state = new TopState(groups, 5000);
    const times = new Map([['users.raw:0:900', T0 - 3000]]);
    state.next(sample(T0, 1000, 900, { recordTimes: times }));
    const soon = state.next(sample(T0 + 1000, 1000, 900, { recordTimes: times }));
    const later = state.next(sample(T0 + 6000, 1000, 900, { recordTimes: times }));
    const e = (v: typeof soon) => v.stages.find((s) => s.stage === 'enrichment')!;
    expect(e(soon)).toMatchObject({ lagSeconds: 4, stalled: false, recordsPerSec: 0 });
    expect(e(later)).toMatchObject({ lagSeconds: 9, stalled: true, stalledSeconds: 6 });
  });

  it('says the lag in seconds is unknown until the oldest unread record was read, and believes a service that reports a stall', () => {
    const state = new TopState(groups, 60_000);
    const stalledAudit = sample(T0, 1000, 900);
    stalledAudit.services.audit = [
      ready('audit', 'sparkflow_consumer_stalled{stage="audit",topic="users.raw",partition="0"} 1'),
    ];
    const view = state.next(stalledAudit);
    expect(view.stages.find((s) => s.stage === 'enrichment')).toMatchObject({
      lagMessages: 100,
      lagSeconds: null,
    });
    expect(view.stages.find((s) => s.stage === 'audit')).toMatchObject({ lagSeconds: 0, stalled: true });
  });

  it('counts a new process start time as a restart, and shows a service that does not answer and Kafka that is down', () => {
    const state = new TopState(groups, 60_000);
    state.next(sample(T0, 1000, 1000));
    const restarted = sample(T0 + 1000, 1000, 1000, { kafka: { ok: false, reason: 'ECONNREFUSED' } });
    restarted.services.ingestion = [
      ready(
        'ingestion',
        'sparkflow_process_start_time_seconds 1796000900\nsparkflow_consumer_restarts_total 0',
      ),
    ];
    restarted.services.enrichment = [
      { replica: 'enrichment', health: 'no answer', detail: 'no answer within 1500 ms', metrics: null },
    ];
    const view = state.next(restarted);
    expect(view.kafka).toBe('ECONNREFUSED');
    expect(view.services.find((s) => s.service === 'ingestion')).toMatchObject({ restarts: 1 });
    expect(view.services.find((s) => s.service === 'enrichment')).toMatchObject({
      health: 'no answer',
      restarts: null,
    });
    expect(view.stages.find((s) => s.stage === 'enrichment')).toMatchObject({
      recordsPerSec: null,
      lagMessages: null,
    });
  });
});

describe('sparkflow top on a stack of two replicas per service', () => {
  const S1 = 1796000000;
  const S2 = 1796000050;
  /** A replica of enrichment with its start time, dead letters and watchdog restarts. */
  const replica = (n: number, started: number | null, dead: number, consumerRestarts = 0) =>
    ready(
      `enrichment-${n}`,
      [
        started === null ? '' : `sparkflow_process_start_time_seconds ${started}`,
        `sparkflow_records_dead_lettered_total{stage="enrichment",code="a"} ${dead / 2}`,
        `sparkflow_records_dead_lettered_total{stage="enrichment",code="b"} ${dead / 2}`,
        `sparkflow_consumer_restarts_total ${consumerRestarts}`,
      ].join('\n'),
    );
  const down = (n: number): ServiceProbe => ({
    replica: `enrichment-${n}`,
    health: 'down',
    detail: `http://127.0.0.1:${3001 + 100 * n}: ECONNREFUSED`,
    metrics: null,
  });
  const at = (t: number, ...enrichment: ServiceProbe[]) => {
    const s = sample(T0 + t, 1000, 1000);
    s.services.enrichment = enrichment;
    return s;
  };
  const enrichment = (v: ReturnType<TopState['next']>) => ({
    service: v.services.find((s) => s.service === 'enrichment')!,
    stage: v.stages.find((s) => s.stage === 'enrichment')!,
  });

  it('is ready when both replicas are, and sums their counters and restarts', () => {
    const state = new TopState(groups, 60_000);
    state.next(at(0, replica(1, S1, 10, 1), replica(2, S2, 20, 2)));
    const { service, stage } = enrichment(state.next(at(2000, replica(1, S1, 14, 1), replica(2, S2, 26, 2))));
    expect(service).toMatchObject({ health: 'ready', replicasReady: 2, detail: null, restarts: 3 });
    expect(service.replicas.map((r) => [r.replica, r.health, r.restarts])).toEqual([
      ['enrichment-1', 'ready', 1],
      ['enrichment-2', 'ready', 2],
    ]);
    // (4 + 6) dead letters in 2 s.
    expect(stage.deadLettersPerMin).toBe(300);
  });

  it('is not ready with one replica down, and names that replica', () => {
    const state = new TopState(groups, 60_000);
    const { service } = enrichment(state.next(at(0, replica(1, S1, 10), down(2))));
    expect(service).toMatchObject({
      health: 'not ready',
      replicasReady: 1,
      detail: 'enrichment-2: http://127.0.0.1:3201: ECONNREFUSED',
    });
    expect(service.replicas[1]).toMatchObject({ replica: 'enrichment-2', health: 'down', upSeconds: null });
  });

  it("counts one replica's restart once, whether its start time changes, its counters go back, or both", () => {
    const state = new TopState(groups, 60_000);
    state.next(at(0, replica(1, S1, 10), replica(2, S2, 20)));
    // Replica 2 restarted: a new start time and its counters from zero again.
    const { service, stage } = enrichment(state.next(at(2000, replica(1, S1, 14), replica(2, S2 + 100, 2))));
    expect(service.restarts).toBe(1);
    expect(service.replicas.map((r) => r.restarts)).toEqual([0, 1]);
    // 4 from replica 1, and the 2 since replica 2 restarted: never a negative rate.
    expect(stage.deadLettersPerMin).toBe(180);
    // Without a start time, a counter going back is the restart.
    const bare = new TopState(groups, 60_000);
    bare.next(at(0, replica(1, null, 10)));
    expect(enrichment(bare.next(at(1000, replica(1, null, 4)))).service.restarts).toBe(1);
  });

  it('keeps the watchdog restarts of a replica that restarted', () => {
    const state = new TopState(groups, 60_000);
    state.next(at(0, replica(1, S1, 10, 2), replica(2, S2, 20)));
    const { service } = enrichment(state.next(at(1000, replica(1, S1 + 100, 0, 0), replica(2, S2, 20))));
    // Two consumer restarts before, then the process itself.
    expect(service.restarts).toBe(3);
  });

  it('sees no restart and no burst of dead letters when a replica stops answering and comes back', () => {
    const state = new TopState(groups, 60_000);
    state.next(at(0, replica(1, S1, 10), replica(2, S2, 20)));
    const gone = enrichment(state.next(at(1000, replica(1, S1, 12), down(2))));
    expect(gone.service).toMatchObject({ replicasReady: 1, restarts: 0 });
    expect(gone.stage.deadLettersPerMin).toBe(120);
    const back = enrichment(state.next(at(2000, replica(1, S1, 14), replica(2, S2, 40))));
    expect(back.service).toMatchObject({ health: 'ready', replicasReady: 2, restarts: 0 });
    // Replica 2's 20 since it last answered are not counted as this second's.
    expect(back.stage.deadLettersPerMin).toBe(120);
  });
});

describe('sparkflow top on one address behind a load balancer (an explicit URL)', () => {
  /** The one address answered by pod `host`, its start time and dead letters. */
  const pod = (host: string, started: number, dead: number) =>
    ready(
      'enrichment',
      [
        `target_info{service_name="enrichment",host_name="${host}"} 1`,
        `sparkflow_process_start_time_seconds ${started}`,
        `sparkflow_records_dead_lettered_total{stage="enrichment"} ${dead}`,
      ].join('\n'),
    );
  const at = (t: number, probe: ServiceProbe) => {
    const s = sample(T0 + t, 1000, 1000);
    s.services.enrichment = [probe];
    return s;
  };
  const enrichment = (v: ReturnType<TopState['next']>) => ({
    restarts: v.services.find((s) => s.service === 'enrichment')!.restarts,
    perMin: v.stages.find((s) => s.stage === 'enrichment')!.deadLettersPerMin,
  });

  it('sees no restart and no burst when another pod answers, and a restart when one pod starts again', () => {
    const state = new TopState(groups, 60_000);
    state.next(at(0, pod('enrichment-a', 1796000000, 10)));
    // Pod b has dead-lettered 500 since it started: none of them in this second.
    expect(enrichment(state.next(at(1000, pod('enrichment-b', 1796000050, 500))))).toEqual({
      restarts: 0,
      perMin: null,
    });
    expect(enrichment(state.next(at(2000, pod('enrichment-b', 1796000050, 502))))).toEqual({
      restarts: 0,
      perMin: 120,
    });
    // The same pod with a new start time did restart.
    expect(enrichment(state.next(at(3000, pod('enrichment-b', 1796000900, 1))))).toEqual({
      restarts: 1,
      perMin: 60,
    });
  });
});

describe("the root README's sample of sparkflow top", () => {
  it('shows each stage with the flow the tool prints', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const sample = /SparkFlow top {2}[\s\S]*?```/.exec(readme)![0];
    for (const [stage, flow] of Object.entries(FLOW))
      expect(sample).toMatch(
        new RegExp(`^${stage} +${flow.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d`, 'm'),
      );
  });
});
