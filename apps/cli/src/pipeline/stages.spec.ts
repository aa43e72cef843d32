import type { GroupLag } from '../kafka/topics';
import { batchProgress, stageGroups, stageReaders, stalledStages, traceIdOf, waitingFor } from './stages';

const cfg = { groups: { enrichment: 'g-enrichment', persistence: 'g-persistence', audit: 'g-audit' } };

const group = (groupId: string, stalled: number[], lag = 5): GroupLag => ({
  groupId,
  state: 'Stable',
  members: 1,
  lag,
  lagSeconds: 12.5,
  stalled: stalled.length > 0,
  partitions: [0, 1, 2].map((partition) => ({
    partition,
    committed: '10',
    high: '15',
    lag: 1,
    lagSeconds: 12.5,
    stalledSeconds: stalled.includes(partition) ? 40 + partition : null,
    stalled: stalled.includes(partition),
  })),
});

describe('the stages and what they read', () => {
  it("gives each stage's group with every topic it reads, in pipeline order", () => {
    expect(stageGroups(cfg)).toEqual([
      { stage: 'enrichment', groupId: 'g-enrichment', topics: ['users.raw'] },
      { stage: 'persistence', groupId: 'g-persistence', topics: ['users.enriched'] },
      { stage: 'audit', groupId: 'g-audit', topics: ['users.raw', 'users.dlq', 'users.persisted'] },
    ]);
  });
});

describe('the stage that holds a batch', () => {
  it('is the stage whose group is stalled on the topic it reads, with the stalled partitions', () => {
    const byTopic = new Map([
      ['users.raw', [group('g-enrichment', [0, 2]), group('g-audit', [])]],
      ['users.enriched', [group('g-persistence', [])]],
    ]);
    expect(stalledStages(stageReaders(cfg), byTopic)).toEqual([
      {
        stage: 'enrichment',
        groupId: 'g-enrichment',
        topic: 'users.raw',
        partitions: [0, 2],
        lag: 5,
        stalledSeconds: 42,
        lagSeconds: 12.5,
      },
    ]);
  });

  it('ignores other groups on the same topic and names the audit on any topic it reads', () => {
    const byTopic = new Map([
      ['users.raw', [group('someone-else', [1])]],
      ['users.persisted', [group('g-audit', [1])]],
    ]);
    expect(stalledStages(stageReaders(cfg), byTopic).map((s) => [s.stage, s.topic])).toEqual([
      ['audit', 'users.persisted'],
    ]);
  });

  it('is read from the counts alone while no group is stalled yet', () => {
    const b = { expected: 10, ingested: 10, enriched: 4, persisted: 4, deadLettered: 1, complete: false };
    expect(waitingFor(b)).toBe('enrichment or persistence');
    expect(waitingFor({ ...b, persisted: 9 })).toBe('audit');
    expect(waitingFor({ ...b, ingested: 7 })).toBe('ingestion');
  });
});

describe('batch progress', () => {
  it('counts settled records out of the declared size, or of what arrived when none was declared', () => {
    const b = { expected: 20, ingested: 12, enriched: 10, persisted: 8, deadLettered: 1, complete: false };
    expect(batchProgress(b)).toEqual({
      done: 9,
      total: 20,
      label: 'ingested 12/20 · enriched 10 · persisted 8 · dead-lettered 1',
    });
    expect(batchProgress({ ...b, expected: null })).toMatchObject({ done: 9, total: 12 });
  });
});

describe('trace ids', () => {
  it('come from a W3C traceparent', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it('are unknown without a valid header or with the all-zero id', () => {
    expect(traceIdOf(undefined)).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
  });
});
