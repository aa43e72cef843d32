import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { generateUsers } from '@sparkflow/sources';
import { pgClientConfig, plainRow, uniqueName } from '@sparkflow/testing';
import { cassandra, post, settings, waitForBatch } from './pipeline-client';
import {
  PIPELINE_GROUPS,
  lagOf,
  resetPipelineGroupsToEarliest,
  stack,
  waitForNoLag,
} from './consumer-groups';

type Client = ReturnType<typeof cassandra>;

/** Every row of every table of the keyspace, every column (collections included), as sorted JSON lines. */
async function cassandraSnapshot(client: Client): Promise<Record<string, string[]>> {
  const tables = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
    [settings.CASSANDRA_KEYSPACE],
    { prepare: true },
  );
  const snapshot: Record<string, string[]> = {};
  for (const { table_name: table } of tables.rows) {
    const lines: string[] = [];
    // Whole pages (execute), not the driver's row stream: its row-by-row parser failed on large pages.
    let pageState: string | undefined;
    do {
      const rs = await client.execute(`SELECT * FROM ${String(table)}`, [], {
        prepare: true,
        fetchSize: 1000,
        pageState,
      });
      for (const row of rs.rows) lines.push(JSON.stringify(plainRow(row)));
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    snapshot[String(table)] = lines.sort();
  }
  return snapshot;
}

/** The audit's account: events per batch and outcome, and every batch with its expected size. */
async function auditSnapshot(): Promise<{ counts: string[]; batches: string[] }> {
  const pg = new PgClient(pgClientConfig(settings));
  await pg.connect();
  try {
    const counts = await pg.query(
      `SELECT batch_id, outcome, count(*)::int AS n FROM audit_events GROUP BY 1, 2`,
    );
    const batches = await pg.query(`SELECT batch_id, source, expected_count FROM batches`);
    return {
      counts: counts.rows.map((r) => JSON.stringify(r)).sort(),
      batches: batches.rows.map((r) => JSON.stringify(r)).sort(),
    };
  } finally {
    await pg.end();
  }
}

/** Rows in one snapshot and not the other, a few per table: readable when the invariant breaks. */
function differences(before: Record<string, string[]>, after: Record<string, string[]>) {
  const diff: Record<string, { gone: string[]; new: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = new Set(before[table] ?? []);
    const b = new Set(after[table] ?? []);
    const gone = [...a].filter((x) => !b.has(x));
    const added = [...b].filter((x) => !a.has(x));
    if (gone.length || added.length) diff[table] = { gone: gone.slice(0, 3), new: added.slice(0, 3) };
  }
  return diff;
}

describe('the replay invariant', () => {
  let client: Client;
  beforeAll(async () => {
    client = cassandra();
    await client.connect();
  });
  afterAll(async () => {
    await client.shutdown();
    await stack('up', ...PIPELINE_GROUPS.map((g) => g.service));
  });

  it(
    'replaying every topic from the earliest offset changes no Cassandra cell and no audit count',
    async () => {
      // A run through the real services: a batch, several versions of one person in one request, and a
      // person whose e-mail changed in a later request.
      const seed = uniqueName('replay');
      const synthetic = await post('/v1/synthetic', { count: 500, seed });
      expect(synthetic.status).toBe(202);
      const person = randomUUID();
      const versions = generateUsers({ seed: `${seed}-versions`, count: 4 }).map((u) => ({
        ...u,
        login: { ...u.login, uuid: person },
      }));
      const inOne = await post('/v1/users', versions.slice(0, 3));
      const later = await post('/v1/users', versions[3]);
      for (const r of [synthetic, inOne, later]) await waitForBatch(r.json['batchId'] as string);
      await waitForNoLag(120_000);

      const before = { cassandra: await cassandraSnapshot(client), audit: await auditSnapshot() };
      expect(before.cassandra['users'].length).toBeGreaterThanOrEqual(501);

      await stack('down', ...PIPELINE_GROUPS.map((g) => g.service));
      await resetPipelineGroupsToEarliest();
      // Every group now has its whole topic ahead of it again.
      for (const g of PIPELINE_GROUPS) expect(await lagOf(g.groupId, g.topics)).toBeGreaterThanOrEqual(501);
      await stack('up', ...PIPELINE_GROUPS.map((g) => g.service));
      await waitForNoLag(10 * 60_000);

      const after = { cassandra: await cassandraSnapshot(client), audit: await auditSnapshot() };
      expect(differences(before.cassandra, after.cassandra)).toEqual({});
      expect(after.audit).toEqual(before.audit);
      expect(after.cassandra).toEqual(before.cassandra);
    },
    20 * 60_000,
  );
});
