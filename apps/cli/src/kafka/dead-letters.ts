import { DeadLetterEvent, HEADERS, TOPICS, type DeadLetter } from '@sparkflow/contracts';
import { contractIssues, originalValue } from '@sparkflow/kafka';
import type { Kafka } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { CliError } from '../errors';
import { withAdmin } from './connection';
import { readRanges, type PartitionRange } from './reader';
import { headersOf } from './records';

/** One record of `users.dlq`, with where it sits. */
export interface DeadLetterRecord {
  dlqEventId: string;
  partition: number;
  offset: string;
  source: string;
  batchId: string;
  producedAt: string;
  deadLetter: DeadLetter;
  /** The letter's W3C trace context headers, when it has them: a replay carries them on (ADR 16). */
  trace?: { traceparent?: string; tracestate?: string };
}

export interface DeadLetterFilter {
  stage?: string;
  /** Epoch ms: only dead letters that failed at or after. */
  since?: number;
  batchId?: string;
  eventIds?: readonly string[];
}

/** An event id as compared: a UUID names the same event in either case (`events get` takes both). */
export const eventIdKey = (id: string): string => id.toLowerCase();

export function matchesFilter(d: DeadLetterRecord, f: DeadLetterFilter): boolean {
  if (f.stage !== undefined && d.deadLetter.stage !== f.stage) return false;
  if (f.since !== undefined && Date.parse(d.deadLetter.failedAt) < f.since) return false;
  if (f.batchId !== undefined && d.deadLetter.originalBatchId !== f.batchId && d.batchId !== f.batchId)
    return false;
  if (f.eventIds?.length && !f.eventIds.some((id) => eventIdKey(id) === eventIdKey(d.dlqEventId)))
    return false;
  return true;
}

interface PartitionBounds {
  partition: number;
  low: bigint;
  high: bigint;
  /** The first offset at or after `since`, when asked for; `high` when no record is that recent. */
  since?: bigint;
}

async function dlqBounds(cfg: CliConfig, kafka: Kafka, since?: number): Promise<PartitionBounds[]> {
  const topic = TOPICS.usersDlq;
  return withAdmin(cfg, kafka, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new CliError(
        `Kafka at ${cfg.kafkaBrokers.join(',')} has no ${topic} topic; \`npx sparkflow stack up\` creates the topics`,
      );
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const starts = since === undefined ? null : await admin.fetchTopicOffsetsByTimestamp(topic, since);
    return offsets.map((o) => {
      const s = starts?.find((x) => x.partition === o.partition);
      const bounds: PartitionBounds = { partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) };
      if (starts) bounds.since = s && BigInt(s.offset) >= 0n ? BigInt(s.offset) : bounds.high;
      return bounds;
    });
  });
}

/**
 * Reads the given offset ranges of `users.dlq` and hands each dead letter to `keep`, counting the
 * records that are not dead letters. `keep` returning true stops the read.
 */
async function scanDeadLetters(
  kafka: Kafka,
  ranges: readonly PartitionRange[],
  partitions: readonly number[],
  keep: (d: DeadLetterRecord) => boolean,
): Promise<number> {
  let unreadable = 0;
  await readRanges(
    kafka,
    TOPICS.usersDlq,
    ranges,
    (partition, m) => {
      let json: unknown = null;
      try {
        json = JSON.parse(m.value?.toString('utf8') ?? 'null');
      } catch {
        /* counted below */
      }
      const parsed = DeadLetterEvent.safeParse(json);
      if (!parsed.success) {
        unreadable++;
        return 'continue';
      }
      const { payload, eventId, source, batchId, producedAt } = parsed.data;
      const record: DeadLetterRecord = {
        dlqEventId: eventId,
        partition,
        offset: m.offset,
        source,
        batchId,
        producedAt,
        deadLetter: payload,
      };
      const headers = headersOf(m);
      if (headers[HEADERS.traceparent]) {
        record.trace = { traceparent: headers[HEADERS.traceparent] };
        if (headers[HEADERS.tracestate]) record.trace.tracestate = headers[HEADERS.tracestate];
      }
      return keep(record) ? 'stop' : 'continue';
    },
    { idleTimeoutMs: 30_000, allPartitions: partitions },
  );
  return unreadable;
}

/** Reads `users.dlq` up to its current end (from `since`, when given, to skip older records) and keeps the matches. */
export async function readDeadLetters(
  cfg: CliConfig,
  kafka: Kafka,
  filter: DeadLetterFilter,
): Promise<{ records: DeadLetterRecord[]; unreadable: number }> {
  if (filter.eventIds?.length && filter.since === undefined) return findDeadLetters(cfg, kafka, filter);
  const bounds = await dlqBounds(cfg, kafka, filter.since);
  const records: DeadLetterRecord[] = [];
  const unreadable = await scanDeadLetters(
    kafka,
    bounds.map((b) => ({ partition: b.partition, from: b.since ?? b.low, to: b.high })),
    bounds.map((b) => b.partition),
    (d) => {
      if (matchesFilter(d, filter)) records.push(d);
      return false;
    },
  );
  records.sort((a, b) => a.deadLetter.failedAt.localeCompare(b.deadLetter.failedAt));
  return { records, unreadable };
}

/** Records per partition in the newest window `findDeadLetters` reads first; each next window is 8× larger. */
export const FIRST_SEARCH_WINDOW = 512n;

/**
 * Dead letters by id, newest first: the last FIRST_SEARCH_WINDOW records of every partition, then the
 * 8× larger window before them, and so on, stopping after the window in which the last id was found (every
 * record of that window holding a wanted id is kept). Ids usually come from a
 * recent `dlq list`, so a topic holding gigabytes of old letters is not read from its start.
 */
async function findDeadLetters(
  cfg: CliConfig,
  kafka: Kafka,
  filter: DeadLetterFilter,
): Promise<{ records: DeadLetterRecord[]; unreadable: number }> {
  const wanted = new Set(filter.eventIds?.map(eventIdKey));
  const records: DeadLetterRecord[] = [];
  const found = new Set<string>();
  let unreadable = 0;
  const bounds = await dlqBounds(cfg, kafka);
  const upper = new Map(bounds.map((b) => [b.partition, b.high]));
  for (let size = FIRST_SEARCH_WINDOW; wanted.size; size *= 8n) {
    const ranges = bounds
      .filter((b) => (upper.get(b.partition) ?? b.low) > b.low)
      .map((b) => {
        const to = upper.get(b.partition) ?? b.low;
        const from = to - size > b.low ? to - size : b.low;
        upper.set(b.partition, from);
        return { partition: b.partition, from, to };
      });
    if (!ranges.length) break;
    unreadable += await scanDeadLetters(
      kafka,
      ranges,
      bounds.map((b) => b.partition),
      (d) => {
        if (!wanted.has(eventIdKey(d.dlqEventId)) || !matchesFilter(d, filter)) return false;
        // The window is read to its end: a dead letter written twice is held by two records.
        found.add(eventIdKey(d.dlqEventId));
        records.push(d);
        return false;
      },
    );
    for (const id of found) wanted.delete(id);
  }
  records.sort((a, b) => a.deadLetter.failedAt.localeCompare(b.deadLetter.failedAt));
  return { records, unreadable };
}

/** Where a dead letter's own record is: `users.dlq[1]@40`. */
export const placeOf = (d: Pick<DeadLetterRecord, 'partition' | 'offset'>): string =>
  `users.dlq[${d.partition}]@${d.offset}`;

/**
 * One record per dead letter, the first of those read (oldest first), and the dead letters more than one
 * record holds, with those records: a dead letter written twice (a send retried after the broker wrote it)
 * is one dead letter.
 */
export function distinctDeadLetters(records: readonly DeadLetterRecord[]): {
  letters: DeadLetterRecord[];
  repeated: DeadLetterRecord[][];
} {
  const byId = new Map<string, DeadLetterRecord[]>();
  for (const r of records) {
    const same = byId.get(eventIdKey(r.dlqEventId));
    if (same) same.push(r);
    else byId.set(eventIdKey(r.dlqEventId), [r]);
  }
  const all = [...byId.values()];
  return { letters: all.map((same) => same[0]), repeated: all.filter((same) => same.length > 1) };
}

/**
 * The event a dead letter is about, as the audit files it: its original event id, or the letter's own id
 * when the record never named an event (bytes that did not parse have nothing else). A replayed record
 * that fails again lands at a new offset, so it is a new dead letter with a new id, about the same event.
 */
export const originalEventOf = (d: DeadLetterRecord): string =>
  eventIdKey(d.deadLetter.originalEventId ?? d.dlqEventId);

/** Whether dead letter `a` was written after `b`: by the time it failed, then by its place on users.dlq. */
function isNewer(a: DeadLetterRecord, b: DeadLetterRecord): boolean {
  const byTime = Date.parse(a.deadLetter.failedAt) - Date.parse(b.deadLetter.failedAt);
  if (byTime) return byTime > 0;
  if (a.partition !== b.partition) return a.partition > b.partition;
  return BigInt(a.offset) > BigInt(b.offset);
}

/**
 * One dead letter per original event (`originalEventOf`), the newest, in the order read, of those of
 * `stage` when given; the older letters of an event it kept (`superseded`: the event failed again, after a
 * replay or a redelivery) and the dead letters more than one record holds (`repeated`, as
 * `distinctDeadLetters`). An event counts once, as the audit counts it, and a replay republishes it once.
 * Which letter is an event's newest is decided before `stage` is applied, so an event that failed at
 * another stage since is that stage's. `newestOf(d)` is the newest letter of `d`'s event, `d` itself when
 * it is not superseded.
 */
export function latestPerEvent(
  records: readonly DeadLetterRecord[],
  stage?: string,
): {
  letters: DeadLetterRecord[];
  superseded: DeadLetterRecord[];
  repeated: DeadLetterRecord[][];
  newestOf: (d: DeadLetterRecord) => DeadLetterRecord;
} {
  const { letters, repeated } = distinctDeadLetters(records);
  const newest = new Map<string, DeadLetterRecord>();
  for (const d of letters) {
    const held = newest.get(originalEventOf(d));
    if (!held || isNewer(d, held)) newest.set(originalEventOf(d), d);
  }
  const kept = new Set(newest.values());
  const ofStage = (d: DeadLetterRecord) => stage === undefined || d.deadLetter.stage === stage;
  return {
    letters: letters.filter((d) => kept.has(d) && ofStage(d)),
    superseded: letters.filter((d) => !kept.has(d) && ofStage(d)),
    repeated: repeated.filter((copies) => ofStage(copies[0])),
    newestOf: (d) => newest.get(originalEventOf(d)) ?? d,
  };
}

/**
 * The dead letter that supersedes `d`: the newest letter of `d`'s original event among `records`, as
 * `latestPerEvent` picks it (so as `dlq replay` selects it), when that is another letter; null when `d` is
 * its event's newest of those. A record holding `d` again (written twice) is `d`, not a newer letter.
 */
export function supersedingLetter(
  d: DeadLetterRecord,
  records: readonly DeadLetterRecord[],
): DeadLetterRecord | null {
  const same = records.filter(
    (r) => originalEventOf(r) === originalEventOf(d) && eventIdKey(r.dlqEventId) !== eventIdKey(d.dlqEventId),
  );
  const newest = latestPerEvent([d, ...same]).newestOf(d);
  return newest === d ? null : newest;
}

/** Where the failed record was: `users.raw[2]@78`, or, for a person ingestion refused, that it never got there. */
export function originOf(d: Pick<DeadLetter, 'originalTopic' | 'partition' | 'offset'>): string {
  if (d.partition === null || d.offset === null) return `never on ${d.originalTopic} (refused before it)`;
  return `${d.originalTopic}[${d.partition}]@${d.offset}`;
}

/** The newest `limit` of records read oldest first, still oldest first, and what was left out if any. */
export function newestOf<T>(records: readonly T[], limit: number): { records: T[]; cut: string | null } {
  const shown = records.slice(-limit);
  return {
    records: shown,
    cut:
      shown.length < records.length
        ? `showing the newest ${shown.length} of ${records.length} dead letters that match; ` +
          '--limit, --since, --stage or --batch shows others'
        : null,
  };
}

/**
 * The dead letters whose original record fails its topic's contract (a person ingestion refused, a record
 * no stage could read), with the issues: replayed as they are, they would only be dead-lettered again.
 */
export function failingOriginals(
  records: readonly DeadLetterRecord[],
): { dlqEventId: string; issues: string[] }[] {
  return records
    .map((r) => ({
      dlqEventId: r.dlqEventId,
      issues: contractIssues(r.deadLetter.originalTopic, originalValue(r.deadLetter)),
    }))
    .filter((f) => f.issues.length > 0);
}
