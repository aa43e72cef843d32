import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders } from 'kafkajs';
import { CONSUMER_GROUPS, kafkaPrincipal } from '@sparkflow/contracts';
import { groupLag } from '@sparkflow/kafka';
import { uniqueName } from '@sparkflow/testing';
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

export interface StoredRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: IHeaders;
}

/**
 * The records of `topic` under `key` written since `sinceMs`, read with a throw-away group, in offset
 * order; waits until `expected` of them arrived.
 */
export async function recordsOf(
  topic: string,
  key: string,
  sinceMs: number,
  expected: number,
): Promise<StoredRecord[]> {
  const groupId = uniqueName('e2e-records');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
    // A partition with nothing written since then answers -1: start it at its end.
    const partitions = (await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)).map((p) => ({
      partition: p.partition,
      offset: Number(p.offset) < 0 ? (ends.get(p.partition) ?? p.offset) : p.offset,
    }));
    await admin.setOffsets({ groupId, topic, partitions });
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic });
  const found: StoredRecord[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${found.length}/${expected} records of ${key} on ${topic}`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (message.key?.toString() !== key || !message.value) return;
          found.push({
            topic,
            partition,
            offset: message.offset,
            key,
            value: message.value,
            headers: message.headers ?? {},
          });
          if (found.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return found.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
}
