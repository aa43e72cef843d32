import type { Kafka } from 'kafkajs';
import { DeadLetterEvent, TOPICS } from '@sparkflow/contracts';
import { type PartitionOffsets, type TopicRecord, readTopicToEnd } from './topic-reader';

/**
 * A users.dlq record as a dead letter, or null for anything else the topic holds: the hostile-input
 * specs write arbitrary bytes onto it, and a long-lived home keeps letters of older shapes.
 */
export function asDeadLetter(value: Buffer | null): DeadLetterEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString() ?? 'null');
  } catch {
    return null;
  }
  const parsed = DeadLetterEvent.safeParse(json);
  return parsed.success ? parsed.data : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The event a dead letter stands for, as the audit files it: the original record's event id when it is a
 * UUID, else the letter's own. Two letters of one event are one refusal: the letter a retried produce
 * wrote twice, the record dead-lettered again after a redelivery, the record a retried produce wrote twice
 * upstream (its letters have two ids, derived from two offsets, but one original event).
 */
const deadLetterEventId = (letter: DeadLetterEvent): string => {
  const original = letter.payload.originalEventId;
  return original !== null && UUID.test(original) ? original : letter.eventId;
};

export interface DeadLettersRead {
  /**
   * Where users.dlq is read from: its start (the default), or the end offsets `topicEndOffsets` gave
   * before the step that dead-letters, which spares reading every letter older specs left.
   */
  from?: 'beginning' | PartitionOffsets;
  /** How long to wait for them before failing with what was found. 30 s by default, within a test's 60 s. */
  timeoutMs?: number;
  /** What `matches` accepts, for the failure's message (`dead letters of batch b-1`). */
  what?: string;
}

/**
 * The dead letters on users.dlq that `matches` accepts, once at least `count` events were dead-lettered:
 * users.dlq is read to its end offsets, and again every 250 ms until they are there (`readTopicToEnd`).
 * Every other record is passed over, so what earlier specs left on the topic can neither stall nor fool
 * the reader.
 *
 * Each event once (`deadLetterEventId`), the first letter read of it; a record a rebalance delivers again
 * is read once. Every such event read is returned, which may be more than `count`: a caller that
 * asserts exactly how many were refused compares the length. Fails on the deadline with how many were
 * wanted and the events found.
 */
export async function deadLettersWhere(
  kafka: Kafka,
  matches: (letter: DeadLetterEvent) => boolean,
  count = 1,
  read: DeadLettersRead = {},
): Promise<DeadLetterEvent[]> {
  return (await deadLetterRecordsWhere(kafka, matches, count, read)).map((r) => r.letter);
}

/** As `deadLettersWhere`, each dead letter with the headers of its record. */
export async function deadLetterRecordsWhere(
  kafka: Kafka,
  matches: (letter: DeadLetterEvent) => boolean,
  count = 1,
  { from, timeoutMs = 30_000, what = 'dead letters' }: DeadLettersRead = {},
): Promise<{ letter: DeadLetterEvent; headers: Record<string, string> }[]> {
  // Each record is decoded once, however many times the read asks what is missing.
  const decoded = new WeakMap<TopicRecord, DeadLetterEvent | null>();
  const letterOf = (r: TopicRecord) => {
    if (!decoded.has(r)) {
      const letter = asDeadLetter(r.value);
      decoded.set(r, letter && matches(letter) ? letter : null);
    }
    return decoded.get(r) ?? null;
  };
  const distinct = (records: readonly TopicRecord[]) => {
    const byEvent = new Map<string, { letter: DeadLetterEvent; record: TopicRecord }>();
    for (const record of records) {
      const letter = letterOf(record);
      if (letter && !byEvent.has(deadLetterEventId(letter)))
        byEvent.set(deadLetterEventId(letter), { letter, record });
    }
    return [...byEvent.values()];
  };
  const records = await readTopicToEnd(kafka, TOPICS.usersDlq, {
    from,
    timeoutMs,
    groupPrefix: 'it-dlq-reader',
    missing: (read) => {
      const found = distinct(read);
      if (found.length >= count) return null;
      const ids = found.map((f) => deadLetterEventId(f.letter));
      const letters = read.filter((r) => letterOf(r)).length;
      return `wanted ${count} ${what}, found ${ids.length} event(s) in ${letters} letter(s)${ids.length ? `: ${ids.join(', ')}` : ''}`;
    },
  });
  return distinct(records).map(({ letter, record }) => ({ letter, headers: headersOf(record) }));
}

/** A record's headers as text, the first value of a repeated one. */
function headersOf(record: TopicRecord): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value).toString();
  }
  return headers;
}
