import { join, resolve } from 'node:path';
import { Client, auth, policies } from 'cassandra-driver';
import { CASSANDRA_CONSISTENCY, CASSANDRA_SERIAL_CONSISTENCY, cqlPortOf } from '@sparkflow/cassandra';
import {
  CLUSTER_PIPELINE_COMPONENTS,
  cassandraConnection,
  integrationSettings,
  ownClusterEnv,
} from '@sparkflow/testing';

const REPO = resolve(__dirname, '..', '..', '..', '..');

/**
 * The cluster the cluster fault tests start for themselves: a home and ports of their own (31xxx), so it
 * never meets the single-node stack the other integration tests use, whether that one runs or not.
 */
export const CLUSTER_HOME = join(REPO, '.sparkflow-cluster');

export const CLUSTER_ENV = ownClusterEnv(process.env, CLUSTER_HOME, 31);

/** The `sparkflow` command as a person runs it: spawned, never imported (apps do not import apps). */
export const SPARKFLOW_CLI = join(REPO, 'apps', 'cli', 'bin', 'sparkflow');

/** How the tests' own clients reach that cluster: every broker and every Cassandra node. */
export const clusterSettings = () => integrationSettings(CLUSTER_ENV);

/** What the fault test needs of the cluster. */
export const CLUSTER_COMPONENTS = CLUSTER_PIPELINE_COMPONENTS;

/**
 * The tests' own Cassandra client of the cluster, as `createCassandraClient` makes one (LOCAL_QUORUM,
 * prepared statements, the other nodes sought at the contact points' port). Given `only`, it sends nothing
 * to the nodes the filter leaves out.
 */
export function clusterCassandraClient(only?: (contactPoint: string) => boolean): Client {
  const c = cassandraConnection(clusterSettings());
  const contactPoints = only ? c.contactPoints.filter(only) : c.contactPoints;
  const nearest = new policies.loadBalancing.DCAwareRoundRobinPolicy(c.localDataCenter);
  return new Client({
    contactPoints,
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    authProvider: new auth.PlainTextAuthProvider(c.username, c.password),
    protocolOptions: { port: cqlPortOf(contactPoints) },
    socketOptions: { connectTimeout: 5000, readTimeout: 12000 },
    queryOptions: {
      prepare: true,
      consistency: CASSANDRA_CONSISTENCY,
      serialConsistency: CASSANDRA_SERIAL_CONSISTENCY,
    },
    ...(only && {
      policies: { loadBalancing: new policies.loadBalancing.AllowListPolicy(nearest, contactPoints) },
    }),
  });
}
