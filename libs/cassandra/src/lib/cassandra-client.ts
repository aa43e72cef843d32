import { Client, auth, types } from 'cassandra-driver';
import { CASSANDRA_CONSISTENCY_LEVEL, CASSANDRA_SERIAL_CONSISTENCY_LEVEL } from '@sparkflow/contracts';

export interface CassandraSettings {
  contactPoints: string[];
  localDataCenter: string;
  username: string;
  password: string;
  keyspace?: string;
}

/** The driver's codes for the level names `libs/contracts` gives. */
const LEVELS = {
  LOCAL_QUORUM: types.consistencies.localQuorum,
  LOCAL_SERIAL: types.consistencies.localSerial,
} as const;

/**
 * Every read and write of SparkFlow's clients, at the levels `libs/contracts` sets for every Cassandra
 * client (the Spark jobs read the same names): a majority of the replicas in the local data centre. On one
 * node (replication factor 1) that is the node; with three replicas a write is acknowledged by two, so it
 * survives one node going down (or losing its unsynced commit log), and a read always meets the latest
 * acknowledged write. The driver's default, LOCAL_ONE, would acknowledge a write one replica holds.
 */
export const CASSANDRA_CONSISTENCY = LEVELS[CASSANDRA_CONSISTENCY_LEVEL];
export const CASSANDRA_SERIAL_CONSISTENCY = LEVELS[CASSANDRA_SERIAL_CONSISTENCY_LEVEL];

/** One shared Client per process (the driver pools connections itself); prepared statements everywhere. */
export function createCassandraClient(s: CassandraSettings): Client {
  return new Client({
    contactPoints: s.contactPoints,
    localDataCenter: s.localDataCenter,
    keyspace: s.keyspace,
    authProvider: new auth.PlainTextAuthProvider(s.username, s.password),
    socketOptions: { connectTimeout: 5000, readTimeout: 12000 },
    queryOptions: {
      prepare: true,
      consistency: CASSANDRA_CONSISTENCY,
      serialConsistency: CASSANDRA_SERIAL_CONSISTENCY,
    },
  });
}

/** A readiness check: Cassandra answers a query on this client's connection (system.local, any keyspace). */
export function cassandraReady(client: Pick<Client, 'execute'>): () => Promise<unknown> {
  return () => client.execute('SELECT now() FROM system.local');
}
