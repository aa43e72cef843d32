import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'cassandra-driver';

/**
 * Where the numbered CQL files live: `NNNN_name.cql`, CREATE/ALTER only, never edited once merged.
 * Tables are written `{{keyspace}}.name` so one set of files serves any configured keyspace.
 */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`;
const SELECT_APPLIED = 'SELECT version, name, checksum FROM schema_migrations';
const INSERT_APPLIED =
  'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)';

export interface CqlMigration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Splits a CQL file into statements: `--` comments dropped, one statement per `;`. */
export function parseCql(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadMigrations(dir = MIGRATIONS_DIR): CqlMigration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cql'))
    .sort()
    .map((file) => {
      const match = /^(\d+)_([\w-]+)\.cql$/.exec(file);
      if (!match) throw new Error(`CQL migration "${file}" must be named NNNN_name.cql`);
      const text = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2],
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: parseCql(text),
      };
    });
}

/**
 * A keyspace's replication: `rf` copies in the named data centre (NetworkTopologyStrategy, what a
 * cluster needs), or without one SimpleStrategy.
 */
export function keyspaceReplication(rf: number, dataCenter?: string): Record<string, string> {
  return dataCenter
    ? { class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', [dataCenter]: String(rf) }
    : { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: String(rf) };
}

/** A CQL string literal: `'it''s'`. */
export const cqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * A name as a quoted CQL identifier, for statements that take no bind marker (role DDL): `"sparkflow-superuser"`.
 * An unquoted name may hold only letters, digits and `_` and is lower-cased; a role made elsewhere may hold
 * any character (K8ssandra names its superuser `<cluster>-superuser`), and a login matches it exactly.
 */
export const cqlIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A CQL map literal: `{'class': '…', 'datacenter1': '3'}`. */
export const cqlMap = (m: Record<string, string>) =>
  `{${Object.entries(m)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ')}}`;

/** Whether a keyspace's replication map (as `system_schema.keyspaces` reads it) is `b`. */
export const sameReplication = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/**
 * Refuses a replication factor above the nodes the client knows of in the data centre (all of them without
 * one): Cassandra only warns, and then refuses every read and write at LOCAL_QUORUM until it is altered back.
 */
function refuseMoreCopiesThanNodes(
  client: Pick<Client, 'hosts'>,
  keyspace: string,
  replicationFactor: number,
  dataCenter?: string,
): void {
  const nodes = client.hosts.values().filter((h) => !dataCenter || h.datacenter === dataCenter).length;
  if (replicationFactor > nodes) {
    throw new Error(
      `replication factor ${replicationFactor} for keyspace ${keyspace} is more than the ${nodes} node(s) ${dataCenter ? `of data centre ${dataCenter} ` : ''}the cluster has: every read and write at LOCAL_QUORUM would fail`,
    );
  }
}

/**
 * Creates the keyspace if needed (or alters its replication when it differs) and applies, in order, the migrations the keyspace has not seen.
 * A migration whose file changed after it was applied is an error: history is append-only.
 * The client must be connected as a role allowed to create tables (the stack's admin role).
 */
export async function migrateKeyspace(
  client: Client,
  keyspace: string,
  options: { replicationFactor?: number; dataCenter?: string; dir?: string } = {},
): Promise<string[]> {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new Error(`invalid keyspace name "${keyspace}"`);
  const done: string[] = [];
  const replicationFactor = options.replicationFactor ?? 1;
  refuseMoreCopiesThanNodes(client, keyspace, replicationFactor, options.dataCenter);
  const replication = keyspaceReplication(replicationFactor, options.dataCenter);
  const current = await client.execute(
    'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
    [keyspace],
  );
  if (!current.rowLength) {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${cqlMap(replication)}`,
    );
  } else if (!sameReplication(current.first()['replication'] as Record<string, string>, replication)) {
    // The new copies fill in as rows are read and written; `nodetool repair` copies the rest at once.
    await client.execute(`ALTER KEYSPACE ${keyspace} WITH replication = ${cqlMap(replication)}`);
    done.push(`keyspace ${keyspace}: replication ${cqlMap(replication)}`);
  }
  const q = (cql: string) => cql.replace(/\b(schema_migrations)\b/, `${keyspace}.$1`);
  await client.execute(q(CREATE_LEDGER));
  const applied = new Map(
    (await client.execute(q(SELECT_APPLIED))).rows.map((r) => [
      r['version'] as number,
      r['checksum'] as string,
    ]),
  );
  for (const m of loadMigrations(options.dir)) {
    const seen = applied.get(m.version);
    if (seen !== undefined) {
      if (seen !== m.checksum) {
        throw new Error(
          `CQL migration ${m.version}_${m.name} changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of m.statements) {
      await client.execute(statement.replaceAll('{{keyspace}}', keyspace));
    }
    await client.execute(q(INSERT_APPLIED), [m.version, m.name, m.checksum, new Date()], { prepare: true });
    done.push(`applied CQL migration ${m.version}_${m.name}`);
  }
  return done;
}
