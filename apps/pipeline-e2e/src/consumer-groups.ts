import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONSUMER_GROUPS, Envelope, kafkaPrincipal } from '@sparkflow/contracts';
import { groupLag } from '@sparkflow/kafka';
import { type PartitionOffsets, type TopicRecord, readTopicToEnd } from '@sparkflow/testing';
import { kafka } from './pipeline-client';

const REPO = resolve(__dirname, '..', '..', '..');

/** The services' consumer groups (their defaults) and the topics each reads, as libs/contracts declares them. */
export const PIPELINE_GROUPS: readonly {
  service: keyof typeof CONSUMER_GROUPS;
  groupId: string;
  topics: string[];
}[] = (Object.keys(CONSUMER_GROUPS) as (keyof typeof CONSUMER_GROUPS)[]).map((service) => ({
  service,
  groupId: CONSUMER_GROUPS[service],
  topics: [...kafkaPrincipal(service).consumes],
}));

/** Runs `stack <args>` without blocking the event loop (a blocked loop breaks ingestion's keep-alive sockets). */
export async function stack(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)('bash', [join(REPO, 'deploy/local/bin/stack'), ...args], { encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`stack ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Records a group has not committed yet, over its topics. */
export const lagOf = (groupId: string, topics: readonly string[]): Promise<number> =>
  groupLag(kafka, groupId, topics);

/**
 * Waits until every pipeline group has committed everything on its topics. Upstream groups first:
 * enrichment has produced all it will to users.enriched once it has no lag, and so on down the line.
 */
export async function waitForNoLag(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const g of PIPELINE_GROUPS) {
    let lag = await lagOf(g.groupId, g.topics);
    while (lag > 0) {
      if (Date.now() > deadline)
        throw new Error(`${g.groupId} still ${lag} records behind after ${timeoutMs} ms`);
      await sleep(500);
      lag = await lagOf(g.groupId, g.topics);
    }
  }
}

/** Moves every pipeline group back to the earliest offset of each of its topics (the groups must be empty). */
export async function resetPipelineGroupsToEarliest(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const g of PIPELINE_GROUPS) {
      for (const topic of g.topics) await admin.resetOffsets({ groupId: g.groupId, topic, earliest: true });
    }
  } finally {
    await admin.disconnect();
  }
}

/** A record of one person's event as the broker holds it: its key, value and headers, to produce again. */
export interface StoredRecord extends Omit<TopicRecord, 'key' | 'value'> {
  topic: string;
  key: string;
  value: Buffer;
  eventId: string;
}

/**
 * The records of `topic` under `key` written since `from` (end offsets taken before the records were
 * sent), one per event of `eventIds`, in offset order. Reads to the end offsets, and again every 250 ms
 * until every event is there (`readTopicToEnd`), for at most 60 s: an event is one record however many
 * times it was written (a retried produce, a stage that worked a redelivered record again) or read (a
 * rebalance), the first one kept. Fails naming what was wanted and found, or when the key holds records
 * of any other event.
 */
export async function recordsOf(
  topic: string,
  key: string,
  from: PartitionOffsets,
  eventIds: readonly string[],
): Promise<StoredRecord[]> {
  // By event id; a record under the key without a readable envelope by its place, so it is reported.
  const eventsOf = (records: readonly TopicRecord[]) => {
    const events = new Map<string, StoredRecord>();
    for (const r of records) {
      if (r.key?.toString() !== key || !r.value) continue;
      const eventId = eventIdOf(r.value) ?? `no event (${r.partition}:${r.offset})`;
      if (!events.has(eventId)) events.set(eventId, { ...r, topic, key, value: r.value, eventId });
    }
    return events;
  };
  const others = (events: Map<string, StoredRecord>) =>
    [...events.keys()].filter((id) => !eventIds.includes(id));
  const events = eventsOf(
    await readTopicToEnd(kafka, topic, {
      from,
      groupPrefix: 'e2e-records',
      missing: (read) => {
        const found = eventsOf(read);
        const lacking = eventIds.filter((id) => !found.has(id));
        if (!lacking.length) return null;
        const other = others(found);
        return (
          `wanted ${eventIds.length} events of ${key}, found ${found.size - other.length}; missing ${lacking.join(', ')}` +
          (other.length ? `; others ${other.join(', ')}` : '')
        );
      },
    }),
  );
  const other = others(events);
  if (other.length)
    throw new Error(
      `${topic} holds records of ${key} not among its ${eventIds.length} events: ${other.join(', ')}`,
    );
  return [...events.values()];
}

/** The event id of a record's envelope, or null when its value holds none. */
function eventIdOf(value: Buffer): string | null {
  try {
    return Envelope.parse(JSON.parse(value.toString('utf8'))).eventId;
  } catch {
    return null;
  }
}
