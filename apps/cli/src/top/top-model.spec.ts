import { parsePrometheusText } from './prometheus-text';
import { TopState, type Sample, type ServiceProbe } from './top-model';

const groups = { enrichment: 'g-enrichment', persistence: 'g-persistence', audit: 'g-audit' };
const T0 = Date.parse('2026-11-30T10:00:00Z');

const ready = (metrics = ''): ServiceProbe => ({
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
      ingestion: ready('sparkflow_process_start_time_seconds 1796000000'),
      enrichment: ready('sparkflow_records_dead_lettered_total{stage="enrichment"} 0'),
      persistence: ready(),
      audit: ready(),
    },
    batchesInFlight: 2,
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
    expect(view.batchesInFlight).toBe(2);
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
    stalledAudit.services.audit = ready(
      'sparkflow_consumer_stalled{stage="audit",topic="users.raw",partition="0"} 1',
    );
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
    restarted.services.ingestion = ready(
      'sparkflow_process_start_time_seconds 1796000900\nsparkflow_consumer_restarts_total 0',
    );
    restarted.services.enrichment = {
      health: 'no answer',
      detail: 'no answer within 1500 ms',
      metrics: null,
    };
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
