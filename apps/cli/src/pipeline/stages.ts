import { kafkaPrincipal } from '@sparkflow/contracts';
import type { CliConfig } from '../cli.config';
import type { GroupLag } from '../kafka/topics';

export type PipelineStage = 'enrichment' | 'persistence' | 'audit';

const PIPELINE_STAGES: readonly PipelineStage[] = ['enrichment', 'persistence', 'audit'];

/** Which group reads which topic: the stage that holds a record is the one whose group has not read it. */
export interface StageReader {
  stage: PipelineStage;
  groupId: string;
  topic: string;
}

/**
 * Every topic each stage reads, in pipeline order, as libs/contracts declares it (the topics its Kafka
 * principal consumes), with the stage's group as configured.
 */
export function stageReaders(cfg: Pick<CliConfig, 'groups'>): StageReader[] {
  return PIPELINE_STAGES.flatMap((stage) =>
    kafkaPrincipal(stage).consumes.map((topic) => ({ stage, groupId: cfg.groups[stage], topic })),
  );
}

/** Each stage's group and every topic it reads, in pipeline order: what `sparkflow top` fetches offsets for. */
export function stageGroups(
  cfg: Pick<CliConfig, 'groups'>,
): { stage: PipelineStage; groupId: string; topics: string[] }[] {
  const out: { stage: PipelineStage; groupId: string; topics: string[] }[] = [];
  for (const r of stageReaders(cfg)) {
    const known = out.find((g) => g.stage === r.stage);
    if (known) known.topics.push(r.topic);
    else out.push({ stage: r.stage, groupId: r.groupId, topics: [r.topic] });
  }
  return out;
}

export interface StalledStage {
  stage: PipelineStage;
  groupId: string;
  topic: string;
  partitions: number[];
  lag: number;
  /** The longest any of its partitions has had records waiting behind an unmoved committed offset. */
  stalledSeconds: number;
  lagSeconds: number | null;
}

/** The stages whose group is stalled on the topic it reads, in pipeline order, from `topics describe`'s view of each topic. */
export function stalledStages(
  readers: readonly StageReader[],
  groupsByTopic: ReadonlyMap<string, readonly GroupLag[]>,
): StalledStage[] {
  const out: StalledStage[] = [];
  for (const r of readers) {
    const g = groupsByTopic.get(r.topic)?.find((x) => x.groupId === r.groupId);
    if (!g?.stalled) continue;
    const stalled = g.partitions.filter((p) => p.stalled);
    out.push({
      stage: r.stage,
      groupId: r.groupId,
      topic: r.topic,
      partitions: stalled.map((p) => p.partition),
      lag: g.lag,
      stalledSeconds: Math.max(0, ...stalled.map((p) => p.stalledSeconds ?? 0)),
      lagSeconds: g.lagSeconds,
    });
  }
  return out;
}

/** Counts of a batch as the audit reports them. */
export interface BatchProgressCounts {
  expected: number | null;
  ingested: number;
  enriched: number;
  persisted: number;
  deadLettered: number;
  complete: boolean;
}

/** How far a batch is: settled (persisted or dead-lettered) out of what it declared, or of what arrived. */
export function batchProgress(b: BatchProgressCounts): { done: number; total: number; label: string } {
  const total = b.expected ?? b.ingested;
  const done = Math.min(total, b.persisted + b.deadLettered);
  const label =
    `ingested ${b.ingested}${b.expected === null ? '' : `/${b.expected}`} · enriched ${b.enriched} · ` +
    `persisted ${b.persisted} · dead-lettered ${b.deadLettered}`;
  return { done, total, label };
}

/**
 * Where a batch that stopped moving waits, from its counts alone (used when no group is stalled yet). The
 * audit records an event's enriched stage with persistence's ack or dead letter, so the counts cannot
 * tell a record waiting for enrichment from one waiting for persistence.
 */
export function waitingFor(b: BatchProgressCounts): 'ingestion' | 'enrichment or persistence' | 'audit' {
  if (b.expected !== null && b.ingested < b.expected) return 'ingestion';
  if (b.persisted + b.deadLettered >= b.ingested) return 'audit';
  return 'enrichment or persistence';
}

/** The trace id of a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`), or null. */
export function traceIdOf(traceparent: string | undefined): string | null {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent?.trim() ?? '');
  return m && !/^0+$/.test(m[1]) ? m[1] : null;
}
