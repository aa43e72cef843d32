import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { BatchCounts, DeadLetterEvent } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import {
  type PartitionOffsets,
  auditHeaders,
  cassandraConnection,
  deadLettersWhere,
  integrationSettings,
  kafkaConnection,
} from '@sparkflow/testing';

/** Talks to the running pipeline the way its users do: ingestion's and audit's HTTP APIs, Kafka, Cassandra. */
export const settings = integrationSettings();
export const INGESTION = `http://127.0.0.1:${settings.INGESTION_HTTP_PORT}`;
export const AUDIT = `http://127.0.0.1:${settings.AUDIT_HTTP_PORT}`;
export const API_KEY = settings.INGESTION_API_KEYS.split(',')[0];
export const AUDIT_HEADERS = auditHeaders(settings);

export const kafka = new Kafka({
  clientId: 'pipeline-e2e',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});

export function cassandra() {
  return createCassandraClient(cassandraConnection(settings));
}

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${INGESTION}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json: json as Record<string, unknown> };
}

export type { BatchCounts };

/** Polls the audit until the batch settles (every event persisted or dead-lettered), bounded in time. */
export async function waitForBatch(batchId: string, timeoutMs = 180_000): Promise<BatchCounts> {
  const deadline = Date.now() + timeoutMs;
  let last: BatchCounts | null = null;
  while (Date.now() < deadline) {
    const res = await fetch(`${AUDIT}/v1/batches/${encodeURIComponent(batchId)}`, { headers: AUDIT_HEADERS });
    if (res.status === 401)
      throw new Error(`the audit refused the key (AUDIT_API_KEYS): ${await res.text()}`);
    if (res.ok) {
      last = (await res.json()) as BatchCounts;
      if (last.complete) return last;
    }
    await sleep(250);
  }
  throw new Error(
    `batch ${batchId} not complete within ${timeoutMs} ms; last counts ${JSON.stringify(last)}`,
  );
}

/**
 * The dead letters of one batch on users.dlq, each event once (`deadLettersWhere`), once at least `expected`
 * events of the batch were dead-lettered: every one read is returned, so a caller's count of them is a
 * count of the people refused. `from`, the end offsets taken before the batch was sent, spares reading the
 * letters older specs left.
 */
export const deadLettersOfBatch = (
  batchId: string,
  expected: number,
  { from, timeoutMs = 60_000 }: { from?: PartitionOffsets; timeoutMs?: number } = {},
): Promise<DeadLetterEvent[]> =>
  deadLettersWhere(kafka, (d) => d.payload.originalBatchId === batchId, expected, {
    from,
    timeoutMs,
    what: `dead letters of batch ${batchId}`,
  });

export async function userIdsPresent(
  client: ReturnType<typeof cassandra>,
  ids: string[],
): Promise<Set<string>> {
  const present = new Set<string>();
  for (let i = 0; i < ids.length; i += 100) {
    const rs = await client.execute('SELECT user_id FROM users WHERE user_id IN ?', [ids.slice(i, i + 100)], {
      prepare: true,
    });
    for (const row of rs.rows) present.add(String(row['user_id']));
  }
  return present;
}
