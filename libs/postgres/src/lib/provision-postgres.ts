import { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS_TABLE } from '@sparkflow/audit-store';
import { migratePostgres } from './postgres-migrations';

export interface PostgresCredentials {
  username: string;
  password: string;
}

export interface PostgresProvisioning {
  host: string;
  port: number;
  /** The database holding the audit tables (`public`) and the Spark jobs' tables (`analytics`). */
  database: string;
  /** A superuser, and the database it connects to for cluster-wide statements (roles, databases). */
  admin: PostgresCredentials & { maintenanceDatabase: string };
  /** Owns the database, its schemas and tables, and is the only role that runs migrations. */
  owner: PostgresCredentials;
  /** What the services and the Spark job connect as: rows in existing tables, nothing else. */
  app: PostgresCredentials;
}

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Restated on every run, so a role an older stack created with more rights loses them. */
const LOGIN_ONLY = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
const DML = 'SELECT, INSERT, UPDATE, DELETE';

async function withConnection<T>(
  s: PostgresProvisioning,
  who: PostgresCredentials,
  database: string,
  fn: (query: Query) => Promise<T>,
): Promise<T> {
  const ds = await new DataSource({
    type: 'postgres',
    host: s.host,
    port: s.port,
    username: who.username,
    password: who.password,
    database,
    extra: { max: 1, connectionTimeoutMillis: 5000 },
  }).initialize();
  try {
    return await fn((sql, params) => ds.query(sql, params));
  } finally {
    await ds.destroy();
  }
}

async function ensureRole(query: Query, role: PostgresCredentials): Promise<string[]> {
  const exists = (await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.username])).length > 0;
  await query(
    `${exists ? 'ALTER' : 'CREATE'} ROLE ${ident(role.username)} ${LOGIN_ONLY} PASSWORD ${literal(role.password)}`,
  );
  return exists ? [] : [`created role ${role.username}`];
}

/** Cluster level: both roles, and the database owned by the owner role; only the app role may connect besides. */
async function rolesAndDatabase(query: Query, s: PostgresProvisioning): Promise<string[]> {
  const changes = [...(await ensureRole(query, s.owner)), ...(await ensureRole(query, s.app))];
  const db = ident(s.database);
  const [current] = await query(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [s.database],
  );
  if (!current) {
    await query(`CREATE DATABASE ${db} OWNER ${ident(s.owner.username)}`);
    changes.push(`created database ${s.database}`);
  } else if (current['owner'] !== s.owner.username) {
    await query(`ALTER DATABASE ${db} OWNER TO ${ident(s.owner.username)}`);
    changes.push(`database ${s.database} now owned by ${s.owner.username} (was ${String(current['owner'])})`);
  }
  await query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
  await query(`GRANT CONNECT ON DATABASE ${db} TO ${ident(s.app.username)}`);
  return changes;
}

/**
 * Inside the database: whatever the app role owns (a stack from before the owner role ran migrations as
 * it) passes to the owner; the app role gets DML on every table, now and — through default privileges —
 * in every later migration, and CREATE nowhere.
 */
async function appPrivileges(query: Query, s: PostgresProvisioning): Promise<string[]> {
  const owner = ident(s.owner.username);
  const app = ident(s.app.username);
  const changes: string[] = [];
  const [owned] = await query(
    `SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid AND relkind IN ('r', 'p', 'v', 'm', 'S'))
          + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) AS n
       FROM pg_roles r WHERE rolname = $1`,
    [s.app.username],
  );
  await query(`REASSIGN OWNED BY ${app} TO ${owner}`);
  const reowned = Number(owned?.['n'] ?? 0);
  if (reowned)
    changes.push(`re-owned ${reowned} table(s)/schema(s) of ${s.app.username} to ${s.owner.username}`);
  await query(`ALTER SCHEMA public OWNER TO ${owner}`);
  await query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  await query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SCHEMAS TO ${app}`);
  await query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT ${DML} ON TABLES TO ${app}`);
  await query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE, SELECT ON SEQUENCES TO ${app}`);
  const schemas = await query(
    `SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
    [s.owner.username],
  );
  for (const { nspname } of schemas) {
    const schema = ident(String(nspname));
    await query(`REVOKE CREATE ON SCHEMA ${schema} FROM ${app}`);
    await query(`GRANT USAGE ON SCHEMA ${schema} TO ${app}`);
    await query(`GRANT ${DML} ON ALL TABLES IN SCHEMA ${schema} TO ${app}`);
    await query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${app}`);
  }
  return changes;
}

/**
 * SparkFlow's PostgreSQL, idempotently: the owner and app roles, the database, the app role's privileges,
 * then the pending migrations of both schemas run as the owner. `npm run stack -- up` and Compose's init
 * both run it.
 */
export async function provisionPostgres(s: PostgresProvisioning): Promise<string[]> {
  const names = new Set([s.admin.username, s.owner.username, s.app.username]);
  if (names.size !== 3) {
    throw new Error(
      `the admin (${s.admin.username}), owner (${s.owner.username}) and app (${s.app.username}) roles must be three different roles`,
    );
  }
  const changes = await withConnection(s, s.admin, s.admin.maintenanceDatabase, (q) =>
    rolesAndDatabase(q, s),
  );
  changes.push(...(await withConnection(s, s.admin, s.database, (q) => appPrivileges(q, s))));
  const applied = await migratePostgres({ host: s.host, port: s.port, database: s.database, ...s.owner });
  changes.push(...applied.map((name) => `applied migration ${name}`));
  // The migration history is the owner's record: the app role may read it, never rewrite it.
  await withConnection(s, s.owner, s.database, (q) =>
    q(`REVOKE INSERT, UPDATE, DELETE ON ${ident(AUDIT_MIGRATIONS_TABLE)} FROM ${ident(s.app.username)}`),
  );
  return changes;
}
