import { DataSource } from 'typeorm';
import { integrationSettings, uniqueName } from '@sparkflow/testing';
import { provisionPostgres, type PostgresProvisioning } from './provision-postgres';

const s = integrationSettings();
const provisioning: PostgresProvisioning = {
  host: s.POSTGRES_HOST,
  port: s.POSTGRES_PORT,
  database: s.POSTGRES_DB,
  admin: {
    username: s.POSTGRES_ADMIN_USER,
    password: s.POSTGRES_ADMIN_PASSWORD,
    maintenanceDatabase: 'postgres',
  },
  owner: { username: s.POSTGRES_OWNER_USER, password: s.POSTGRES_OWNER_PASSWORD },
  app: { username: s.POSTGRES_USER, password: s.POSTGRES_PASSWORD },
};

const connect = (who: { username: string; password: string }) =>
  new DataSource({
    type: 'postgres',
    host: s.POSTGRES_HOST,
    port: s.POSTGRES_PORT,
    database: s.POSTGRES_DB,
    ...who,
    extra: { max: 1 },
  }).initialize();

/** PostgreSQL's insufficient_privilege: "permission denied for …" or "must be owner of …". */
const refused = { code: '42501' };

describe('the services’ PostgreSQL role (the stack’s, after `stack up`)', () => {
  let app: DataSource;
  beforeAll(async () => (app = await connect(provisioning.app)));
  afterAll(() => app.destroy());

  it('is a plain login role: not superuser, cannot create databases or roles', async () => {
    const [role] = await app.query(
      'SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user',
    );
    expect(role).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
    });
  });

  it('reads and writes rows of the audit tables and of the analytics tables the Spark job replaces', async () => {
    const batchId = uniqueName('app-role');
    await app.query(`INSERT INTO batches (batch_id, source, expected_count) VALUES ($1, 'synthetic', 1)`, [
      batchId,
    ]);
    await app.query(`UPDATE batches SET completed_at = now() WHERE batch_id = $1`, [batchId]);
    expect(await app.query('SELECT expected_count FROM batches WHERE batch_id = $1', [batchId])).toEqual([
      { expected_count: 1 },
    ]);
    await app.query('DELETE FROM batches WHERE batch_id = $1', [batchId]);

    // daily_user_aggregates' load: delete the day, insert it again, in one transaction.
    await app.transaction(async (tx) => {
      await tx.query(`DELETE FROM analytics.daily_user_counts WHERE day = '1999-01-01'`);
      await tx.query(
        `INSERT INTO analytics.daily_user_counts (day, dimension, value, users, computed_at) VALUES ('1999-01-01', 'seen', 'all', 1, now())`,
      );
      await tx.query(`DELETE FROM analytics.daily_user_counts WHERE day = '1999-01-01'`);
    });
    expect((await app.query('SELECT count(*)::int AS n FROM audit_events WHERE false'))[0]).toEqual({ n: 0 });
  });

  it.each([
    ['CREATE TABLE', 'CREATE TABLE app_role_probe (id int)'],
    ['CREATE TABLE in analytics', 'CREATE TABLE analytics.app_role_probe (id int)'],
    ['CREATE TEMP TABLE', 'CREATE TEMP TABLE app_role_probe (id int)'],
    ['CREATE SCHEMA', 'CREATE SCHEMA app_role_probe'],
    ['DROP TABLE audit_events', 'DROP TABLE audit_events'],
    ['ALTER TABLE', 'ALTER TABLE audit_events ADD COLUMN app_role_probe int'],
    ['TRUNCATE', 'TRUNCATE batches'],
    ['CREATE ROLE', 'CREATE ROLE app_role_probe'],
    ['rewriting the migration history', `DELETE FROM typeorm_migrations`],
  ])('is refused %s (permission denied)', async (_what, sql) => {
    await expect(app.query(sql)).rejects.toMatchObject(refused);
  });

  it('owns nothing: every table and schema of the database belongs to the owner role', async () => {
    const owners = await app.query(
      `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'analytics')
       UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('public', 'analytics')`,
    );
    expect(owners).toEqual([{ owner: s.POSTGRES_OWNER_USER }]);
  });
});

describe('provisionPostgres on a database from before the owner role', () => {
  const legacy = uniqueName('legacy_probe').replaceAll('-', '_');
  let admin: DataSource;
  beforeAll(
    async () =>
      (admin = await connect({ username: s.POSTGRES_ADMIN_USER, password: s.POSTGRES_ADMIN_PASSWORD })),
  );
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${legacy}`);
    await admin.destroy();
  });

  it('hands a table the app role owned to the owner, keeps the app role’s rows working, and is idempotent', async () => {
    // What migrations run as the app role left behind.
    await admin.query(`CREATE TABLE ${legacy} (id int PRIMARY KEY)`);
    await admin.query(`ALTER TABLE ${legacy} OWNER TO ${s.POSTGRES_USER}`);

    expect(await provisionPostgres(provisioning)).toEqual([
      `re-owned 1 table(s)/schema(s) of ${s.POSTGRES_USER} to ${s.POSTGRES_OWNER_USER}`,
    ]);
    expect(await admin.query(`SELECT tableowner FROM pg_tables WHERE tablename = $1`, [legacy])).toEqual([
      { tableowner: s.POSTGRES_OWNER_USER },
    ]);
    const app = await connect(provisioning.app);
    try {
      await app.query(`INSERT INTO ${legacy} (id) VALUES (1)`);
      await expect(app.query(`DROP TABLE ${legacy}`)).rejects.toMatchObject(refused);
    } finally {
      await app.destroy();
    }
    expect(await provisionPostgres(provisioning)).toEqual([]);
  });
});
