import type { Kafka } from 'kafkajs';
import { DeadLetterEvent, TOPICS } from '@sparkflow/contracts';

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

/**
 * The first `count` dead letters on users.dlq, read from its start as `groupId` (a scratch group: the
 * reader has left it once this resolves), that `matches` accepts. Every other record is passed over, so
 * what earlier specs left on the topic can neither stall nor fool the reader.
 */
export async function deadLettersWhere(
  kafka: Kafka,
  groupId: string,
  matches: (letter: DeadLetterEvent) => boolean,
  count = 1,
): Promise<DeadLetterEvent[]> {
  return (await deadLetterRecordsWhere(kafka, groupId, matches, count)).map((r) => r.letter);
}

/** As `deadLettersWhere`, each dead letter with the headers of its record. */
export async function deadLetterRecordsWhere(
  kafka: Kafka,
  groupId: string,
  matches: (letter: DeadLetterEvent) => boolean,
  count = 1,
): Promise<{ letter: DeadLetterEvent; headers: Record<string, string> }[]> {
  const reader = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: TOPICS.usersDlq, fromBeginning: true });
  try {
    return await new Promise((resolve) => {
      const found: { letter: DeadLetterEvent; headers: Record<string, string> }[] = [];
      void reader.run({
        eachMessage: async ({ message }) => {
          const letter = asDeadLetter(message.value);
          if (!letter || found.length >= count || !matches(letter)) return;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value).toString();
          }
          found.push({ letter, headers });
          if (found.length === count) resolve(found);
        },
      });
    });
  } finally {
    await reader.disconnect();
  }
}
