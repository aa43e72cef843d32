import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, auth } from 'cassandra-driver';
import { LOCAL_DATA_CENTER } from './components/cassandra';
import { loadStackConfig } from './config';
import { runStack } from './testing/run-stack';

/**
 * The promise persistence makes rests on one property of the stack's Cassandra: a write it has
 * acknowledged is still there after the process is killed. Persistence reports a user persisted as
 * soon as Cassandra acknowledges the upsert, and the single local node holds the only copy, so a write
 * lost on restart is a user the audit calls persisted and Cassandra does not have.
 *
 * Runs a throw-away node (its own data folder and ports), writes from many concurrent clients, kills it
 * with SIGKILL while writes are in flight, starts it again and reads back every acknowledged write.
 */
const PORT_OFFSET = 1100;
const env = {
  SPARKFLOW_HOME: mkdtempSync(join(tmpdir(), 'sparkflow-cassandra-durability-it-')),
  CASSANDRA_PORT: String(Number(process.env['CASSANDRA_PORT'] ?? 9042) + PORT_OFFSET),
  CASSANDRA_STORAGE_PORT: String(Number(process.env['CASSANDRA_STORAGE_PORT'] ?? 7000) + PORT_OFFSET),
  CASSANDRA_JMX_PORT: String(Number(process.env['CASSANDRA_JMX_PORT'] ?? 7199) + PORT_OFFSET),
};
/** What the `stack` command makes of that environment: the node's port and its superuser. */
const cfg = loadStackConfig({ ...process.env, ...env });
const WRITERS = 64;
/** Acknowledged writes before the kill: long enough for the commit log to be mid-way between syncs. */
const ACKED_BEFORE_KILL = 4000;

async function up(): Promise<void> {
  const run = await runStack(['up', 'cassandra'], env);
  if (run.code !== 0) throw new Error(`stack up cassandra failed:\n${run.stdout}${run.stderr}`);
}

function admin(): Client {
  return new Client({
    contactPoints: [`127.0.0.1:${cfg.CASSANDRA_PORT}`],
    localDataCenter: LOCAL_DATA_CENTER,
    authProvider: new auth.PlainTextAuthProvider(cfg.CASSANDRA_ADMIN_USER, cfg.CASSANDRA_ADMIN_PASSWORD),
    // A dead node must fail the in-flight writes quickly, not hold them for the default 12 s.
    socketOptions: { readTimeout: 5000 },
  });
}

function processIsGone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

describe('the local Cassandra', () => {
  beforeAll(up);

  afterAll(async () => {
    await runStack(['down', 'cassandra'], env);
    rmSync(env.SPARKFLOW_HOME, { recursive: true, force: true });
  });

  it('keeps every write it acknowledged when it is killed with SIGKILL mid-write', async () => {
    const acknowledged: number[] = [];
    const writer = admin();
    await writer.connect();
    try {
      await writer.execute(
        "CREATE KEYSPACE IF NOT EXISTS durability WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
      );
      await writer.execute('CREATE TABLE IF NOT EXISTS durability.writes (id int PRIMARY KEY, body text)');

      const pid = Number(readFileSync(join(env.SPARKFLOW_HOME, 'run', 'cassandra.pid'), 'utf8'));
      let next = 0;
      let killed = false;
      const body = 'x'.repeat(300);
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          while (!killed) {
            const id = next++;
            try {
              await writer.execute('INSERT INTO durability.writes (id, body) VALUES (?, ?)', [id, body], {
                prepare: true,
              });
            } catch {
              if (killed) return; // in flight when the node died: never acknowledged, may or may not be there
              throw new Error(`write ${id} failed before the kill`);
            }
            acknowledged.push(id);
            if (!killed && acknowledged.length >= ACKED_BEFORE_KILL) {
              killed = true;
              process.kill(pid, 'SIGKILL');
            }
          }
        }),
      );
      while (!processIsGone(pid)) await sleep(100);
    } finally {
      await writer.shutdown();
    }

    await up();
    const reader = admin();
    await reader.connect();
    try {
      const present = new Set<number>();
      let pageState: string | undefined;
      do {
        const page = await reader.execute('SELECT id FROM durability.writes', [], {
          fetchSize: 5000,
          pageState,
        });
        for (const row of page.rows) present.add(row['id'] as number);
        pageState = page.pageState ?? undefined;
      } while (pageState);
      const lost = acknowledged.filter((id) => !present.has(id));
      expect({ acknowledged: acknowledged.length, lost: lost.length, firstLost: lost.slice(0, 5) }).toEqual({
        acknowledged: acknowledged.length,
        lost: 0,
        firstLost: [],
      });
    } finally {
      await reader.shutdown();
    }
  });
});
