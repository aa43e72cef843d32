import {
  EnrichedUserEvent,
  Envelope,
  HEADERS,
  RawUserEvent,
  TOPICS,
  type DeadLetter,
} from '@sparkflow/contracts';
import type { OutboundRecord } from '../producer/event-producer';

/** A `users.dlq` record as a replay needs it: its own event id, the source it came from, and its content. */
export interface ReplayableDeadLetter {
  dlqEventId: string;
  source: string;
  deadLetter: DeadLetter;
}

/** Where a replay publishes: `EventProducer` (acks from all in-sync replicas, every partition checked). */
export interface RecordPublisher {
  sendRecords(
    topic: string,
    records: readonly OutboundRecord[],
  ): Promise<{ partition: number; baseOffset?: string }[]>;
}

export interface ReplayResult {
  dlqEventId: string;
  topic: string;
  key: string | null;
  eventId: string | null;
  corrected: boolean;
  /** Where the record landed; null on a dry run. */
  partition: number | null;
  offset: string | null;
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
export function replayMessage(d: ReplayableDeadLetter, value: Buffer): OutboundRecord {
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

/**
 * Re-publishes dead letters to their original topics, one at a time and in the order given, each
 * acknowledged before the next: what `sparkflow dlq replay` does. `corrected` replaces the value of the
 * (single) dead letter; `dryRun` publishes nothing and says what would be published.
 */
export async function replayDeadLetters(
  publisher: RecordPublisher,
  letters: readonly ReplayableDeadLetter[],
  options: { corrected?: Buffer | null; dryRun?: boolean } = {},
): Promise<ReplayResult[]> {
  const corrected = options.corrected ?? null;
  if (corrected && letters.length !== 1) {
    throw new Error(`a corrected value replaces one dead letter, not ${letters.length}`);
  }
  const results: ReplayResult[] = [];
  for (const d of letters) {
    const record = replayMessage(d, corrected ?? originalValue(d.deadLetter));
    const result: ReplayResult = {
      dlqEventId: d.dlqEventId,
      topic: d.deadLetter.originalTopic,
      key: d.deadLetter.key,
      eventId: record.headers?.[HEADERS.eventId] ?? null,
      corrected: corrected !== null,
      partition: null,
      offset: null,
    };
    if (!options.dryRun) {
      const [landed] = await publisher.sendRecords(d.deadLetter.originalTopic, [record]);
      result.partition = landed.partition;
      result.offset = landed.baseOffset ?? null;
    }
    results.push(result);
  }
  return results;
}
