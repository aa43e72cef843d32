import {
  DeadLetterEvent,
  EnrichedUserEvent,
  Envelope,
  HEADERS,
  RawUserEvent,
  TOPICS,
  type DeadLetter,
} from '@sparkflow/contracts';
import type { Kafka, Message } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { CliError } from '../errors';
import { withAdmin } from './connection';
import { readRanges } from './reader';

/** One record of `users.dlq`, with where it sits. */
export interface DeadLetterRecord {
  dlqEventId: string;
  partition: number;
  offset: string;
  source: string;
  batchId: string;
  producedAt: string;
  deadLetter: DeadLetter;
}

export interface DeadLetterFilter {
  stage?: string;
  /** Epoch ms: only dead letters that failed at or after. */
  since?: number;
  batchId?: string;
  eventIds?: readonly string[];
}

export function matchesFilter(d: DeadLetterRecord, f: DeadLetterFilter): boolean {
  if (f.stage !== undefined && d.deadLetter.stage !== f.stage) return false;
  if (f.since !== undefined && Date.parse(d.deadLetter.failedAt) < f.since) return false;
  if (f.batchId !== undefined && d.deadLetter.originalBatchId !== f.batchId && d.batchId !== f.batchId)
    return false;
  if (f.eventIds?.length && !f.eventIds.includes(d.dlqEventId)) return false;
  return true;
}

/** Reads `users.dlq` up to its current end (from `since`, when given, to skip older records) and keeps the matches. */
export async function readDeadLetters(
  cfg: CliConfig,
  kafka: Kafka,
  filter: DeadLetterFilter,
): Promise<{ records: DeadLetterRecord[]; unreadable: number }> {
  const topic = TOPICS.usersDlq;
  const { ranges, partitions } = await withAdmin(cfg, kafka, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new CliError(
        `Kafka at ${cfg.kafkaBrokers.join(',')} has no ${topic} topic; \`npx sparkflow stack up\` creates the topics`,
      );
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const starts =
      filter.since === undefined ? null : await admin.fetchTopicOffsetsByTimestamp(topic, filter.since);
    return {
      partitions: offsets.map((o) => o.partition),
      ranges: offsets.map((o) => {
        const s = starts?.find((x) => x.partition === o.partition);
        const from = s && BigInt(s.offset) >= 0n ? BigInt(s.offset) : starts ? BigInt(o.high) : BigInt(o.low);
        return { partition: o.partition, from, to: BigInt(o.high) };
      }),
    };
  });
  const records: DeadLetterRecord[] = [];
  let unreadable = 0;
  await readRanges(
    kafka,
    topic,
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
      const record = {
        dlqEventId: eventId,
        partition,
        offset: m.offset,
        source,
        batchId,
        producedAt,
        deadLetter: payload,
      };
      if (matchesFilter(record, filter)) records.push(record);
      return 'continue';
    },
    { timeoutMs: 120_000, allPartitions: partitions },
  );
  records.sort((a, b) => a.deadLetter.failedAt.localeCompare(b.deadLetter.failedAt));
  return { records, unreadable };
}

/** The bytes the failed stage received, exactly: UTF-8 text or base64-decoded. */
export function originalValue(d: DeadLetter): Buffer {
  return d.payloadEncoding === 'base64' ? Buffer.from(d.payload, 'base64') : Buffer.from(d.payload, 'utf8');
}

/**
 * The record a replay publishes: the original (or corrected) value to the original topic under the
 * original key, marked with the dead letter it replays. Envelope headers come from the value when it
 * has a readable envelope (it keeps its event id, so the audit joins it to its history), else from the
 * dead letter. No batch-size header: a replay must not redefine how big the original batch was.
 */
export function replayMessage(d: DeadLetterRecord, value: Buffer): Message {
  let envelope: Envelope | null = null;
  try {
    const e = Envelope.safeParse(JSON.parse(value.toString('utf8')));
    if (e.success) envelope = e.data;
  } catch {
    /* not JSON: replayed as bytes */
  }
  const headers: Record<string, string> = { [HEADERS.replayOf]: d.dlqEventId };
  const eventId = envelope?.eventId ?? d.deadLetter.originalEventId;
  const batchId = envelope?.batchId ?? d.deadLetter.originalBatchId;
  if (eventId) headers[HEADERS.eventId] = eventId;
  if (batchId) headers[HEADERS.batchId] = batchId;
  headers[HEADERS.source] = envelope?.source ?? d.source;
  if (envelope) headers[HEADERS.schemaVersion] = String(envelope.schemaVersion);
  return { key: d.deadLetter.key, value, headers };
}

/** Issues of a corrected value against its topic's contract; empty when it passes (or the topic has none). */
export function contractIssues(topic: string, value: Buffer): string[] {
  const schema =
    topic === TOPICS.usersRaw ? RawUserEvent : topic === TOPICS.usersEnriched ? EnrichedUserEvent : null;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  if (!schema) return [];
  const r = schema.safeParse(json);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}
