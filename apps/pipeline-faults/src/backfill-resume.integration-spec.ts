import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchCounts } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { enrichUser } from '@sparkflow/enrichment-core';
import {
  type Backfill,
  backfillBatchId,
  backfillEventId,
  backfillEventTime,
  backfillPeople,
  backfillRegisteredBy,
  daysBetween,
} from '@sparkflow/ingestion-core';
import {
  cassandraConnection,
  expectedUsersRow,
  integrationSettings,
  plainRow,
  uniqueName,
} from '@sparkflow/testing';
import { kill9, stack } from './stack-control';

/**
 * A backfill outlives the ingestion process working it: kill -9 while it produces, and the restarted
 * process answers for it and takes it over where its recorded progress stands. The promise checked is
 * the whole one — every person of every day in Cassandra once, every column what a run without the kill
 * stores, each audit batch exactly its size (a chunk produced twice is one set of events, not two).
 */
const s = integrationSettings();
const INGESTION = `http://127.0.0.1:${s.INGESTION_HTTP_PORT}`;
const AUDIT = `http://127.0.0.1:${s.AUDIT_HTTP_PORT}`;
const headers = { 'content-type': 'application/json', 'x-api-key': s.INGESTION_API_KEYS.split(',')[0] };
const PER_DAY = 4000;
const FROM = '2025-03-01';
const TO = '2025-03-04';

async function backfill(id: string): Promise<{ status: number; body: Backfill | null }> {
  try {
    const res = await fetch(`${INGESTION}/v1/backfills/${id}`, { headers });
    return { status: res.status, body: res.ok ? ((await res.json()) as Backfill) : null };
  } catch {
    return { status: 0, body: null };
  }
}

async function batch(batchId: string): Promise<BatchCounts | null> {
  const res = await fetch(`${AUDIT}/v1/batches/${encodeURIComponent(batchId)}`, {
    headers: { 'x-api-key': s.AUDIT_API_KEYS.split(',')[0] },
  });
  return res.ok ? ((await res.json()) as BatchCounts) : null;
}

const produced = (b: Backfill) => b.batches.reduce((n, x) => n + x.produced, 0);

describe('a backfill whose ingestion process is killed mid-way', () => {
  it('is answered for and finished by the restarted process: every person once, every column as without the kill', async () => {
    const seed = uniqueName('resume');
    const started = Date.now();
    const res = await fetch(`${INGESTION}/v1/backfills`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ from: FROM, to: TO, perDay: PER_DAY, seed }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Backfill;
    const total = daysBetween(FROM, TO).length * PER_DAY;

    // Kill it once some of it, not all, is produced.
    let before: Backfill | null = null;
    while (Date.now() - started < 60_000) {
      before = (await backfill(id)).body;
      if (before && produced(before) > 0) break;
      await sleep(50);
    }
    const pid = await kill9(s.SPARKFLOW_HOME, 'ingestion');
    expect(before).not.toBeNull();
    // The test means something only when the kill lands mid-way.
    expect({
      status: before?.status,
      started: produced(before!) > 0,
      midway: produced(before!) < total,
    }).toEqual({
      status: 'running',
      started: true,
      midway: true,
    });
    console.log(`killed ingestion (pid ${pid}) with ${produced(before!)} of ${total} produced`);

    // The supervisor restarts it; the new process answers for the backfill the old one started…
    stack('up', 'ingestion');
    let after = await backfill(id);
    // `stack up` may find the supervisor already restarting it: wait for it to answer at all.
    while (after.status === 0 && Date.now() - started < 2 * 60_000) {
      await sleep(250);
      after = await backfill(id);
    }
    expect(after.status).toBe(200);
    expect(after.body?.id).toBe(id);

    // …and finishes it once the dead process's lease runs out.
    let finished: Backfill | null = null;
    while (Date.now() - started < 5 * 60_000) {
      finished = (await backfill(id)).body;
      if (finished && finished.status !== 'running') break;
      await sleep(1000);
    }
    expect(finished).toMatchObject({ status: 'produced' });
    expect(finished?.batches.map((b) => b.produced)).toEqual(daysBetween(FROM, TO).map(() => PER_DAY));

    // Each day's batch in the audit: exactly its people, each persisted once.
    const days = daysBetween(FROM, TO);
    const batchIds = days.map((day) => backfillBatchId(seed, day));
    let counts: (BatchCounts | null)[] = [];
    while (Date.now() - started < 8 * 60_000) {
      counts = await Promise.all(batchIds.map(batch));
      if (counts.every((c) => c?.complete)) break;
      await sleep(1000);
    }
    expect(counts.map((c) => c && [c.expected, c.ingested, c.persisted, c.deadLettered])).toEqual(
      days.map(() => [PER_DAY, PER_DAY, PER_DAY, 0]),
    );

    // Cassandra: every person once, every column what enrichment makes of them, with the event id and the
    // event time (the write timestamp, `updated_at`, `event_day`) their day and place in the backfill give them.
    const requestedAt = new Date(finished!.requestedAt);
    const client = createCassandraClient(cassandraConnection(s));
    await client.connect();
    const mismatched: unknown[] = [];
    let present = 0;
    try {
      for (const [d, day] of days.entries()) {
        const people = backfillPeople(seed, day, 0, PER_DAY, backfillRegisteredBy(requestedAt, day, PER_DAY));
        const index = new Map(people.map((u, i) => [u.login.uuid.toLowerCase(), { user: u, i }]));
        const ids = [...index.keys()];
        for (let i = 0; i < ids.length; i += 200) {
          const rs = await client.execute('SELECT * FROM users WHERE user_id IN ?', [ids.slice(i, i + 200)]);
          present += rs.rowLength;
          for (const r of rs.rows) {
            const row = plainRow(r);
            const { user, i: position } = index.get(String(row['user_id']))!;
            const eventTime = String(row['updated_at']);
            const enriched = enrichUser(user, new Date(eventTime));
            const want = enriched.ok
              ? expectedUsersRow(enriched.user, {
                  source: 'backfill',
                  batchId: batchIds[d],
                  eventId: backfillEventId(id, batchIds[d], position),
                  producedAt: eventTime,
                })
              : { enrichment: enriched.reasons };
            for (const column of new Set([...Object.keys(row), ...Object.keys(want)])) {
              const ok =
                column === 'updated_at'
                  ? Date.parse(eventTime) ===
                    Number(backfillEventTime(requestedAt, day, PER_DAY, position) / 1000n)
                  : JSON.stringify(row[column]) === JSON.stringify(want[column]);
              if (!ok)
                mismatched.push({ user: row['user_id'], column, stored: row[column], want: want[column] });
            }
          }
        }
      }
    } finally {
      await client.shutdown();
    }
    expect({ present, mismatched: mismatched.slice(0, 5) }).toEqual({ present: total, mismatched: [] });
  });
});
