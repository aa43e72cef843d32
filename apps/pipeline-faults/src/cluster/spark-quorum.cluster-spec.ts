import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { type Client, types } from 'cassandra-driver';
import { localNodeHost } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { cassandraConnection, uniqueName } from '@sparkflow/testing';
import { stackWith } from '../stack-control';
import { CLUSTER_ENV, clusterSettings } from './cluster-stack';

/**
 * The daily Spark aggregation on the cluster topology counts every person written at LOCAL_QUORUM, when one
 * of the three Cassandra nodes missed those writes and has not caught up: it was down while they were made,
 * and the others hold its hints (handoff paused, as when it comes back before they are delivered, or after
 * the hint window). The job runs as Airflow runs it, through `spark-submit`. Reading at the connector's
 * default, LOCAL_ONE, the stale node answered alone for the ranges it was asked for and the counts were
 * short.
 */
const REPO = resolve(__dirname, '..', '..', '..', '..');
const SUBMIT = join(REPO, 'spark-jobs', 'scripts', 'submit-job.sh');
const s = clusterSettings();
const stack = (...args: string[]) => stackWith(CLUSTER_ENV, ...args);
const execFileAsync = promisify(execFile);

const COUNTRIES = ['GB', 'FR', 'DE', 'NL', 'ES', 'IT'];
const PER_COUNTRY = 500;
const INSERT = `INSERT INTO users_by_country_day (country_code, event_day, user_id, full_name, gender, age_band,
  email_domain, quality_score, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const PARTITION = 'SELECT user_id FROM users_by_country_day WHERE country_code = ? AND event_day = ?';

const nextDay = (day: string) => new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);

/** A day of its own for this run, within the job's range: 2015-01-01 plus up to ten years. */
function dayOf(runId: string): string {
  const offset = createHash('sha256').update(runId).digest().readUInt32BE(0) % 3650;
  return new Date(Date.UTC(2015, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
}

/** How many rows each of the countries has on `day`, at LOCAL_QUORUM. */
async function rowsByCountry(client: Client, day: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const country of COUNTRIES) {
    counts[country] = (await client.execute(PARTITION, [country, day], { prepare: true })).rowLength;
  }
  return counts;
}

const none = (counts: Record<string, number>) => Object.values(counts).every((n) => n === 0);

/** The day's users in each of the countries, as the job counted them into PostgreSQL. */
async function countedByCountry(day: string): Promise<Record<string, number>> {
  const pg = new PgClient({
    host: s.POSTGRES_HOST,
    port: s.POSTGRES_PORT,
    user: s.POSTGRES_USER,
    password: s.POSTGRES_PASSWORD,
    database: s.POSTGRES_DB,
  });
  await pg.connect();
  try {
    const rs = await pg.query<{ value: string; users: number }>(
      "SELECT value, users FROM analytics.daily_user_counts WHERE day = $1 AND dimension = 'country' AND value = ANY($2)",
      [day, COUNTRIES],
    );
    return Object.fromEntries(rs.rows.map((r) => [r.value, r.users]));
  } finally {
    await pg.end();
  }
}

/** Until the client has seen node n go down, so that no write is sent to it. */
async function downFor(client: Client, node: number): Promise<void> {
  const host = () => client.hosts.values().find((h) => h.address.startsWith(`${localNodeHost(node)}:`));
  const deadline = Date.now() + 60_000;
  while (host()?.isUp()) {
    if (Date.now() > deadline) throw new Error(`the driver still sees cassandra-${node} up after 60 s`);
    await sleep(200);
  }
}

beforeAll(() => {
  stack('up', '--topology', 'cluster', 'cassandra', 'postgres');
});

afterAll(() => {
  stack('down');
});

describe('the daily Spark aggregation on three Cassandra nodes', () => {
  it('counts every person written at LOCAL_QUORUM while a node that missed them is back', async () => {
    const quorum = createCassandraClient(cassandraConnection(s));
    await quorum.connect();
    try {
      // A day no earlier run of this home wrote in these countries.
      let day = dayOf(uniqueName('spark-quorum'));
      while (!none(await rowsByCountry(quorum, day))) day = nextDay(day);

      // cassandra-1 misses the day's writes: down while they are made, and the others keep its hints.
      stack('nodetool', 'cassandra-2', 'pausehandoff');
      stack('nodetool', 'cassandra-3', 'pausehandoff');
      stack('down', 'cassandra-1');
      await downFor(quorum, 1);
      for (const country of COUNTRIES) {
        await Promise.all(
          Array.from({ length: PER_COUNTRY }, (_, i) =>
            quorum.execute(
              INSERT,
              [
                country,
                day,
                types.Uuid.fromString(randomUUID()),
                `Person ${i}`,
                i % 2 ? 'female' : 'male',
                '25-34',
                'example.org',
                0.5,
                new Date(`${day}T12:00:00Z`),
              ],
              // The same row again if a try is retried on another node.
              { prepare: true, isIdempotent: true },
            ),
          ),
        );
      }
      stack('up', 'cassandra-1');
      // No read of the day before the job's: a quorum read that met cassandra-1 would repair its copy.
      // The coordinators the driver chose hold hints for cassandra-1: it has not had them.
      const pending = ['cassandra-2', 'cassandra-3'].map((node) =>
        stack('nodetool', node, 'listpendinghints'),
      );
      expect(pending.join('\n')).toContain(`${localNodeHost(1)}:`);

      // The job as Airflow submits it, given all three nodes.
      const env: NodeJS.ProcessEnv = { ...CLUSTER_ENV, CASSANDRA_CONTACT_POINTS: s.CASSANDRA_CONTACT_POINTS };
      delete env['SPARK_MASTER_URL']; // local[*]: the cluster test starts no Spark master
      await execFileAsync('bash', [SUBMIT, 'daily_user_aggregates', '--date', day], {
        env,
        maxBuffer: 64 << 20,
        timeout: 15 * 60_000,
      });

      const written = Object.fromEntries(COUNTRIES.map((c) => [c, PER_COUNTRY]));
      expect(await countedByCountry(day)).toEqual(written);
      expect(await rowsByCountry(quorum, day)).toEqual(written);
    } finally {
      await quorum.shutdown();
    }
  });
});
