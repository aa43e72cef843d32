import { randomUUID } from 'node:crypto';
import { auth, Client as DriverClient, types, type Client } from 'cassandra-driver';
import { cassandraConnection, integrationSettings } from '@sparkflow/testing';
import { cassandraReady, createCassandraClient } from './cassandra-client';
import { cqlIdentifier, cqlMap, cqlString, keyspaceReplication, migrateKeyspace } from './cql-migrations';

const s = integrationSettings();

const UPSERT = 'INSERT INTO users (user_id, email, postcode, full_name, updated_at) VALUES (?, ?, ?, ?, ?)';
const SELECT = 'SELECT user_id, email, postcode, full_name FROM users WHERE user_id = ?';

describe('Cassandra on the local stack, as the application role', () => {
  let client: Client;
  beforeAll(async () => {
    client = createCassandraClient(cassandraConnection(s));
    await client.connect();
  });
  afterAll(() => client.shutdown());

  it('upserts a user twice under one key and reads back one row with the last values', async () => {
    const id = randomUUID();
    await client.execute(UPSERT, [id, 'a@example.com', 'EC1A 1BB', 'Olivia Harris', new Date()], {
      prepare: true,
    });
    await client.execute(UPSERT, [id, 'a@example.com', 'K1A 0B1', 'Olivia Harris', new Date()], {
      prepare: true,
    });
    const rs = await client.execute(SELECT, [id], { prepare: true });
    expect(rs.rowLength).toBe(1);
    expect(rs.first()['postcode']).toBe('K1A 0B1');
    expect(rs.first()['user_id'].toString()).toBe(id);
  });

  it('writes and reads at LOCAL_QUORUM unless a query says otherwise', async () => {
    const id = randomUUID();
    const write = await client.execute(UPSERT, [id, 'q@example.com', '1000', 'Quorum', new Date()]);
    const read = await client.execute(SELECT, [id]);
    expect([write.info.achievedConsistency, read.info.achievedConsistency]).toEqual([
      types.consistencies.localQuorum,
      types.consistencies.localQuorum,
    ]);
  });

  it('stores injection-looking strings verbatim through bound parameters', async () => {
    const id = randomUUID();
    const name = "Robert'); DROP TABLE users;--";
    await client.execute(UPSERT, [id, 'bobby@example.com', '0000', name, new Date()], { prepare: true });
    expect((await client.execute(SELECT, [id], { prepare: true })).first()['full_name']).toBe(name);
  });

  it('is not allowed to change the schema', async () => {
    await expect(client.execute('CREATE TABLE not_allowed (id int PRIMARY KEY)')).rejects.toThrow(
      /permission/i,
    );
  });
});

describe('role statements on the local stack, as its superuser', () => {
  const connection = cassandraConnection(s);
  const signIn = async (user: string, password: string) => {
    const client = new DriverClient({
      contactPoints: connection.contactPoints,
      localDataCenter: connection.localDataCenter,
      authProvider: new auth.PlainTextAuthProvider(user, password),
    });
    try {
      await client.connect();
      return (await client.execute('SELECT release_version FROM system.local')).rowLength;
    } finally {
      await client.shutdown();
    }
  };

  it('creates, alters and drops a role whose name an unquoted identifier cannot hold', async () => {
    // K8ssandra's superuser is `<cluster>-superuser`; a bootstrap that altered it unquoted failed to parse.
    const name = `sparkflow-it-${randomUUID().slice(0, 8)}-Super"user`;
    const admin = new DriverClient({
      contactPoints: connection.contactPoints,
      localDataCenter: connection.localDataCenter,
      authProvider: new auth.PlainTextAuthProvider(s.CASSANDRA_ADMIN_USER, s.CASSANDRA_ADMIN_PASSWORD),
    });
    await admin.connect();
    try {
      // Made without a password: Cassandra refuses a second password change within 5 s.
      await admin.execute(`CREATE ROLE ${cqlIdentifier(name)} WITH LOGIN = false`);
      await admin.execute(
        `ALTER ROLE ${cqlIdentifier(name)} WITH PASSWORD = ${cqlString("it's-pw")} AND LOGIN = true`,
      );
      await expect(signIn(name, "it's-pw")).resolves.toBe(1);
      await expect(signIn(name, 'another-pw')).rejects.toThrow(/credentials|Authentication/i);
    } finally {
      await admin.execute(`DROP ROLE IF EXISTS ${cqlIdentifier(name)}`).finally(() => admin.shutdown());
    }
  });
});

describe('a keyspace with more copies than the stack has nodes (one)', () => {
  const connection = cassandraConnection(s);
  const keyspace = `sparkflow_it_rf_${randomUUID().slice(0, 8)}`;
  const asAdmin = (ks?: string) =>
    createCassandraClient({
      ...connection,
      keyspace: ks,
      username: s.CASSANDRA_ADMIN_USER,
      password: s.CASSANDRA_ADMIN_PASSWORD,
    });
  let admin: Client;
  beforeAll(async () => {
    admin = asAdmin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).finally(() => admin.shutdown());
  });

  it('is refused by the migration, naming the factor and the nodes, before any keyspace is made', async () => {
    await expect(
      migrateKeyspace(admin, keyspace, { replicationFactor: 3, dataCenter: connection.localDataCenter }),
    ).rejects.toThrow(`replication factor 3 for keyspace ${keyspace} is more than the 1 node(s)`);
    const made = await admin.execute(
      'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [keyspace],
    );
    expect(made.rowLength).toBe(0);
  });

  it("makes persistence's readiness check fail, where the application keyspace's passes", async () => {
    await expect(cassandraReady(admin)()).rejects.toThrow(); // no keyspace chosen: no `users` to read
    const app = createCassandraClient(connection);
    await app.connect();
    await expect(cassandraReady(app)().finally(() => app.shutdown())).resolves.toBeDefined();

    // Made by hand, as an operator's ALTER would leave it: Cassandra only warns.
    await admin.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = ${cqlMap(keyspaceReplication(3, connection.localDataCenter))}`,
    );
    await admin.execute(`CREATE TABLE ${keyspace}.users (user_id uuid PRIMARY KEY)`);
    const overReplicated = asAdmin(keyspace);
    await overReplicated.connect();
    await expect(cassandraReady(overReplicated)().finally(() => overReplicated.shutdown())).rejects.toThrow(
      /replicas|Cannot achieve consistency/i,
    );
  });
});
