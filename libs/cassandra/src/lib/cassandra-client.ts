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

/** The driver's port when a contact point names none, and the port it reaches other nodes at unless told. */
const DEFAULT_CQL_PORT = 9042;

/**
 * The one port the contact points name (`host:port`, `[v6]:port`, or a bare host for 9042), to give the
 * driver as `protocolOptions.port`: it reaches every node it learns of from a node's peers at that port, not
 * at the contact points' port. Without it, a cluster listening on another port had each node after the first
 * sought at 9042, where nothing answers or, on a machine that also runs another Cassandra there, the wrong
 * cluster does. The driver has one such port, so contact points naming different ports are refused.
 */
export function cqlPortOf(contactPoints: readonly string[]): number {
  const ports = new Set(
    contactPoints.map((point) => {
      const port = /^(?:\[[^\]]*\]|[^:[\]]*):(\d+)$/.exec(point.trim())?.[1];
      return port === undefined ? DEFAULT_CQL_PORT : Number(port);
    }),
  );
  if (ports.size > 1) {
    throw new Error(
      `CASSANDRA_CONTACT_POINTS name ${ports.size} ports (${[...ports].join(', ')}): every node of a cluster must be reached at one port (${contactPoints.join(',')})`,
    );
  }
  return [...ports][0] ?? DEFAULT_CQL_PORT;
}

/** One shared Client per process (the driver pools connections itself); prepared statements everywhere. */
export function createCassandraClient(s: CassandraSettings): Client {
  return new Client({
    contactPoints: s.contactPoints,
    protocolOptions: { port: cqlPortOf(s.contactPoints) },
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

/** A user id nobody has (randomuser ids are v4): the readiness probe reads its partition. */
const PROBE_USER_ID = '00000000-0000-0000-0000-000000000000';

/**
 * A readiness check that means what persistence needs: a read of one partition of the keyspace's `users`
 * table at this client's level (LOCAL_QUORUM), so it answers only while a majority of that partition's
 * replicas do. A query of `system.local` was answered by any live node, and said "up" while a keyspace
 * whose replication factor exceeded the live nodes refused every write.
 */
export function cassandraReady(client: Pick<Client, 'execute'>): () => Promise<unknown> {
  return () =>
    client.execute('SELECT user_id FROM users WHERE user_id = ?', [PROBE_USER_ID], { prepare: true });
}
