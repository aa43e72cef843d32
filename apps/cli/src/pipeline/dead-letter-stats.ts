import type { DeadLetterRecord } from '../kafka/dead-letters';

export interface DeadLetterStat {
  stage: string;
  code: string;
  count: number;
  /** The fields this reason named most often, e.g. `payload.email`. */
  paths: string[];
  lastFailedAt: string;
}

export interface DeadLetterStats {
  total: number;
  byStage: Record<string, number>;
  reasons: DeadLetterStat[];
}

/**
 * Dead letters counted by stage and by reason code. A letter with three reasons counts once in its
 * stage and once under each distinct code it carries; rows are ordered by count, largest first.
 */
export function deadLetterStats(records: readonly DeadLetterRecord[]): DeadLetterStats {
  const byStage: Record<string, number> = {};
  const rows = new Map<string, DeadLetterStat & { pathCounts: Map<string, number> }>();
  for (const r of records) {
    const d = r.deadLetter;
    byStage[d.stage] = (byStage[d.stage] ?? 0) + 1;
    const codes = new Set<string>(d.reasons.map((x) => x.code));
    if (!codes.size) codes.add('UNKNOWN');
    for (const code of codes) {
      const key = `${d.stage}\u0000${code}`;
      const row = rows.get(key) ?? { stage: d.stage, code, count: 0, paths: [], lastFailedAt: d.failedAt, pathCounts: new Map() };
      row.count++;
      if (d.failedAt > row.lastFailedAt) row.lastFailedAt = d.failedAt;
      for (const reason of d.reasons)
        if (reason.code === code && reason.path) row.pathCounts.set(reason.path, (row.pathCounts.get(reason.path) ?? 0) + 1);
      rows.set(key, row);
    }
  }
  const reasons = [...rows.values()]
    .map(({ pathCounts, ...row }) => ({
      ...row,
      paths: [...pathCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3).map(([p]) => p),
    }))
    .sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.code.localeCompare(b.code));
  return { total: records.length, byStage, reasons };
}
