import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { topicEndOffsets, uniqueName } from '@sparkflow/testing';
import { cassandra, deadLettersOfBatch, kafka, post, userIdsPresent, waitForBatch } from './pipeline-client';

const REPO = resolve(__dirname, '..', '..', '..');

/**
 * Runs `stack <args>` without blocking the event loop: a blocked loop misses ingestion closing idle
 * keep-alive sockets, and the next POST would go out on a closed one ("other side closed").
 */
async function stack(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)('bash', [join(REPO, 'deploy/local/bin/stack'), ...args], { encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`stack ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('a Cassandra outage while users flow', () => {
  // Outages are waited out (RetryPolicy.outageBudgetMs), so normally every user is persisted; a dead
  // letter is only acceptable with stage persistence and CASSANDRA_UNAVAILABLE, and nobody may vanish.
  afterAll(() => stack('up', 'cassandra'));

  it('ends every user either in Cassandra or on users.dlq with stage persistence — none vanish', async () => {
    const seed = uniqueName('e2e-outage');
    const users = generateUsers({ seed, count: 300 });
    const dlqFrom = await topicEndOffsets(kafka, TOPICS.usersDlq);
    await stack('down', 'cassandra');
    const res = await post('/v1/synthetic', { count: 300, seed });
    expect(res.status).toBe(202);
    const batchId = res.json['batchId'] as string;
    // Long enough for persistence to fail and back off several times.
    await sleep(8000);
    await stack('up', 'cassandra');

    const counts = await waitForBatch(batchId);
    expect(counts.ingested).toBe(300);
    expect(counts.persisted + counts.deadLettered).toBe(300);

    const client = cassandra();
    await client.connect();
    try {
      const present = await userIdsPresent(
        client,
        users.map((u) => u.login.uuid.toLowerCase()),
      );
      expect(present.size).toBe(counts.persisted);
      if (counts.deadLettered) {
        const dead = await deadLettersOfBatch(batchId, counts.deadLettered, { from: dlqFrom });
        expect(new Set(dead.map((d) => d.payload.stage))).toEqual(new Set(['persistence']));
        expect(dead.every((d) => d.payload.reasons[0].code === 'CASSANDRA_UNAVAILABLE')).toBe(true);
        // Every user is accounted for exactly once: written, or explained on the DLQ.
        const deadIds = new Set(dead.map((d) => d.payload.key));
        expect(
          users.filter(
            (u) => !present.has(u.login.uuid.toLowerCase()) && !deadIds.has(u.login.uuid.toLowerCase()),
          ),
        ).toEqual([]);
      }
    } finally {
      await client.shutdown();
    }
  });
});
