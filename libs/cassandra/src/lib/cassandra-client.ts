import { Client, auth } from 'cassandra-driver';

export interface CassandraSettings {
  contactPoints: string[];
  localDataCenter: string;
  username: string;
  password: string;
  keyspace?: string;
}

/** One shared Client per process (the driver pools connections itself); prepared statements everywhere. */
export function createCassandraClient(s: CassandraSettings): Client {
  return new Client({
    contactPoints: s.contactPoints,
    localDataCenter: s.localDataCenter,
    keyspace: s.keyspace,
    authProvider: new auth.PlainTextAuthProvider(s.username, s.password),
    socketOptions: { connectTimeout: 5000, readTimeout: 12000 },
    queryOptions: { prepare: true },
  });
}

/** A readiness check: Cassandra answers a query on this client's connection (system.local, any keyspace). */
export function cassandraReady(client: Pick<Client, 'execute'>): () => Promise<unknown> {
  return () => client.execute('SELECT now() FROM system.local');
}
