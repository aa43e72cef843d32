import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { type BatchCounts, TOPICS } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { groupLag } from '@sparkflow/kafka';
import { generateUsers } from '@sparkflow/sources';
import {
  asDeadLetter,
  cassandraConnection,
  integrationSettings,
  kafkaConnection,
  readTopicToEnd,
  uniqueName,
} from '@sparkflow/testing';
import { kill9 as killStackProcess, stack } from './stack-control';
import { type SentPerson, compareStoredUsers } from './stored-users';

/**
 * Breaks the running stack while 50,000 users flow through it — every service, the Kafka broker and
 * Cassandra killed with SIGKILL and restarted (Cassandra after 20 s down), PostgreSQL stopped for 20 s —
 * then checks the promise: every user in Cassandra exactly once with every column what a run without
 * faults stores, every batch reconciled in the audit, nothing on the DLQ, no lag.
 */
const s = integrationSettings();
const USERS = Number(process.env['FAULT_TEST_USERS'] ?? 50_000);
const BATCHES = 10;
const INGESTION = `http://127.0.0.1:${s.INGESTION_HTTP_PORT}`;
const AUDIT = `http://127.0.0.1:${s.AUDIT_HTTP_PORT}`;
const API_KEY = s.INGESTION_API_KEYS.split(',')[0];
const kafka = new Kafka({ clientId: 'faults', ...kafkaConnection(s), logLevel: logLevel.NOTHING });
const log: string[] = [];
const note = (line: string) => {
  log.push(`${new Date().toISOString()} ${line}`);
  console.log(line);
};

async function kill9(component: string): Promise<void> {
  const pid = await killStackProcess(s.SPARKFLOW_HOME, component);
  note(`kill -9 ${component} (pid ${pid})`);
}

/** A killed service comes back through its supervisor; `stack up` returns once the component answers again. */
async function restartKilled(component: string): Promise<void> {
  await kill9(component);
  stack('up', component);
}

/** POSTs one batch, retrying while ingestion is down (a client of an at-least-once API retries). */
async function ingest(seed: string, count: number): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${INGESTION}/v1/synthetic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ count, seed }),
      });
      if (res.status === 202) return ((await res.json()) as { batchId: string }).batchId;
      note(`ingest ${seed}: HTTP ${res.status}, retrying`);
    } catch (err) {
      note(`ingest ${seed}: ${(err as Error).message}, retrying`);
    }
    if (attempt > 60) throw new Error(`could not ingest ${seed}`);
    await sleep(1000);
  }
}

async function batch(batchId: string): Promise<BatchCounts | null> {
  try {
    const res = await fetch(`${AUDIT}/v1/batches/${encodeURIComponent(batchId)}`, {
      headers: { 'x-api-key': s.AUDIT_API_KEYS.split(',')[0] },
    });
    return res.ok ? ((await res.json()) as never) : null;
  } catch {
    return null;
  }
}

/** Times a service's watchdog replaced its Kafka consumer since `since` (from the services' logs). */
function consumerRestarts(since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const service of ['enrichment', 'persistence', 'audit']) {
    const lines = readFileSync(join(s.SPARKFLOW_HOME, 'logs', `${service}.log`), 'utf8').split('\n');
    counts[service] = lines.filter((line) => {
      if (!line.startsWith('{') || !line.includes('restarting the Kafka consumer')) return false;
      const time = Date.parse((JSON.parse(line) as { time?: string }).time ?? '');
      return time >= since;
    }).length;
  }
  return counts;
}

const lagOf = (groupId: string, topic: string) => groupLag(kafka, groupId, [topic]);

describe(`faults while ${USERS} users flow`, () => {
  it('loses nobody, duplicates nobody, dead-letters nobody valid, and leaves no lag', async () => {
    const started = Date.now();
    const runId = uniqueName('faults');
    const per = USERS / BATCHES;
    const seeds = Array.from({ length: BATCHES }, (_, i) => `${runId}-${i}`);
    const batchIds: string[] = [];
    const faults: Promise<void>[] = [];

    for (const [i, seed] of seeds.entries()) {
      batchIds.push(await ingest(seed, per));
      note(`batch ${i + 1}/${BATCHES} accepted`);
      if (i === 1) await restartKilled('enrichment');
      if (i === 2) await restartKilled('persistence');
      if (i === 3) await restartKilled('audit');
      if (i === 4) await restartKilled('ingestion');
      if (i === 5) await restartKilled('kafka');
      if (i === 6) {
        faults.push(
          (async () => {
            await kill9('cassandra');
            note('Cassandra down for 20 s');
            await sleep(20_000);
            stack('up', 'cassandra');
            note('Cassandra back');
          })(),
        );
      }
      if (i === 8) {
        await Promise.all(faults);
        note('stopping PostgreSQL for 20 s');
        stack('down', 'postgres');
        await sleep(20_000);
        stack('up', 'postgres');
        note('PostgreSQL back');
      }
    }
    await Promise.all(faults);

    // Every batch settles.
    const deadline = Date.now() + 10 * 60_000;
    let settled: Awaited<ReturnType<typeof batch>>[] = [];
    while (Date.now() < deadline) {
      settled = await Promise.all(batchIds.map(batch));
      if (settled.every((b) => b?.complete)) break;
      await sleep(2000);
    }
    note(
      `settled after ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(settled.map((b) => b && [b.ingested, b.persisted, b.deadLettered]))}`,
    );
    expect(settled.every((b) => b?.complete)).toBe(true);
    expect(settled.reduce((n, b) => n + (b?.deadLettered ?? 0), 0)).toBe(0);

    // Cassandra holds exactly the users generated, once each, every column as a run without faults
    // stores it: enrichment's own function computes each row here. The event id and time are the
    // pipeline's (ingestion assigns them); they must belong to this run.
    const people = seeds.flatMap((seed, b) =>
      generateUsers({ seed, count: per }).map((user): SentPerson => ({
        user,
        source: 'synthetic',
        batchId: batchIds[b],
        eventId: null,
      })),
    );
    const expected = new Set(people.map((p) => p.user.login.uuid.toLowerCase()));
    const client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    const { present, differences: mismatched } = await compareStoredUsers(client, people, {
      from: started,
      to: Date.now(),
    }).finally(() => client.shutdown());
    const lost = expected.size - present;
    note(
      `Cassandra: ${present} of ${expected.size} users present, ${lost} lost, ${mismatched.length} cells differ from a run without faults`,
    );
    expect(lost).toBe(0);
    expect(mismatched.slice(0, 5)).toEqual([]);

    // users.dlq holds nothing from these batches: every record on it to its end offsets is read (it may also
    // hold raw bytes another test wrote onto it, which are not this run's dead letters).
    const dlq = await readTopicToEnd(kafka, TOPICS.usersDlq, {
      groupPrefix: 'faults-dlq',
      timeoutMs: 5 * 60_000,
    });
    const ourOffsets = new Set(
      dlq
        .filter((r) => batchIds.includes(asDeadLetter(r.value)?.payload.originalBatchId ?? ''))
        .map((r) => `${r.partition}:${r.offset}`),
    );
    expect(ourOffsets.size).toBe(0);

    // And no consumer group is left behind.
    for (const [group, topic] of [
      ['sparkflow-enrichment', TOPICS.usersRaw],
      ['sparkflow-persistence', TOPICS.usersEnriched],
      ['sparkflow-audit', TOPICS.usersPersisted],
    ]) {
      expect({ group, lag: await lagOf(group, topic) }).toEqual({ group, lag: 0 });
    }

    // The whole stack comes back: anything that gave up during the outages (Airflow's scheduler exits
    // when its database goes away) is started again, and every component answers.
    stack('up');
    stack('status');

    const restarts = consumerRestarts(started);
    note(`consumer watchdog restarts: ${JSON.stringify(restarts)}`);
    const report = join(s.SPARKFLOW_HOME, 'reports');
    mkdirSync(report, { recursive: true });
    writeFileSync(
      join(report, 'faults-last-run.json'),
      JSON.stringify(
        {
          users: USERS,
          kills: 6,
          sigkilled: ['enrichment', 'persistence', 'audit', 'ingestion', 'kafka', 'cassandra'],
          cassandraOutageS: 20,
          postgresOutageS: 20,
          lost,
          duplicateRows: Math.max(0, present - expected.size),
          mismatchedCells: mismatched.length,
          deadLettered: 0,
          consumerRestarts: restarts,
          seconds: Math.round((Date.now() - started) / 1000),
          log,
        },
        null,
        2,
      ),
    );
  });
});
