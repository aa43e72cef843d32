import type { QualityReason } from '@sparkflow/contracts';

const PENALTY_PER_REASON = 0.1;

/** Distinct reasons, alphabetically, so equal records compare equal and the score counts each reason once. */
export function sortedQualityReasons(reasons: readonly QualityReason[]): QualityReason[] {
  return [...new Set(reasons)].sort();
}

/** 1 − 0.1 per distinct reason, never below 0, to 2 decimals (0.7, not 0.7000000000000001). */
export function qualityScore(reasons: readonly QualityReason[]): number {
  const score = 1 - PENALTY_PER_REASON * new Set(reasons).size;
  return Math.max(0, Math.round(score * 100) / 100);
}
