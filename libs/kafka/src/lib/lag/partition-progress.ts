import { isStalled, lagMessages, lagSeconds, nextUnread, stalledForMs } from './lag';

/** One partition of a group, as a lag report shows it. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Null when the group has committed nothing on it. */
  committed: string | null;
  high: string;
  lag: number;
  /** Age of the oldest unread record in seconds (a lower bound when `lagSecondsExact` is false); null when unknown. */
  lagSeconds: number | null;
  lagSecondsExact: boolean;
  /** How long records have waited while the committed offset stood still; null when not lagging. */
  stalledForMs: number | null;
  stalled: boolean;
}

/** What a consumer sees of one partition at one moment. */
export interface PartitionObservation {
  topic: string;
  partition: number;
  committed: bigint;
  low: bigint;
  high: bigint;
  /** Timestamp of the oldest unread record when the consumer has it in hand (a batch in flight). */
  oldestUnreadTimestampMs: number | null;
}

/**
 * Watches a consumer's partitions over time, for a consumer that cannot read the coordinator's commit
 * log: since when each committed offset has stood still, and since when records have waited behind it.
 * Both are first-seen times, so a stall is never reported early. When the oldest unread record's own
 * timestamp is not in hand, its age is at least the time since it was first seen waiting.
 */
export class PartitionProgress {
  private readonly seen = new Map<string, { committed: bigint; sinceMs: number; waitingSinceMs: number | null }>();

  constructor(private readonly stallAfterMs: number) {}

  observe(o: PartitionObservation, nowMs: number): PartitionLag {
    const key = `${o.topic}:${o.partition}`;
    const lag = lagMessages(o.committed, o.low, o.high);
    let s = this.seen.get(key);
    if (!s || s.committed !== o.committed) s = { committed: o.committed, sinceMs: nowMs, waitingSinceMs: null };
    s.waitingSinceMs = lag === 0n ? null : (s.waitingSinceMs ?? nowMs);
    this.seen.set(key, s);

    const exact = o.oldestUnreadTimestampMs !== null && nextUnread(o.committed, o.low, o.high) !== null;
    const arrivedMs = exact ? o.oldestUnreadTimestampMs : s.waitingSinceMs;
    const stalledMs = stalledForMs(nowMs, lag, s.sinceMs, arrivedMs);
    return {
      topic: o.topic,
      partition: o.partition,
      committed: o.committed < 0n ? null : o.committed.toString(),
      high: o.high.toString(),
      lag: Number(lag),
      lagSeconds: lagSeconds(nowMs, arrivedMs, lag),
      lagSecondsExact: exact || lag === 0n,
      stalledForMs: stalledMs,
      stalled: isStalled(stalledMs, this.stallAfterMs),
    };
  }

  /** Drops the partitions not in `keep` (no longer assigned to this member). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.seen.keys()) if (!keep.has(key)) this.seen.delete(key);
  }
}
