import { join, resolve } from 'node:path';
import { TOPOLOGIES } from '@sparkflow/contracts';
import { integrationSettings } from '@sparkflow/testing';

const REPO = resolve(__dirname, '..', '..', '..', '..');

/**
 * The cluster the cluster fault test starts for itself: a home and ports of its own (3xxxx), so it never
 * meets the single-node stack the other integration tests use, whether that one runs or not.
 */
export const CLUSTER_HOME = join(REPO, '.sparkflow-cluster');

export const CLUSTER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  SPARKFLOW_HOME: CLUSTER_HOME,
  SPARKFLOW_TOPOLOGY: 'cluster',
  KAFKA_PORT: '31092',
  KAFKA_CONTROLLER_PORT: '31093',
  CASSANDRA_PORT: '31042',
  CASSANDRA_STORAGE_PORT: '31700',
  CASSANDRA_JMX_PORT: '31199',
  POSTGRES_PORT: '31432',
  INGESTION_HTTP_PORT: '31300',
  ENRICHMENT_HTTP_PORT: '31301',
  PERSISTENCE_HTTP_PORT: '31302',
  AUDIT_HTTP_PORT: '31303',
  HAPROXY_STATS_PORT: '31980',
  // Three JVMs of each engine start at once on two cores.
  KAFKA_START_TIMEOUT_S: '300',
  CASSANDRA_START_TIMEOUT_S: '600',
};

const hosts = (nodes: number, port: string | undefined) =>
  Array.from({ length: nodes }, (_, i) => `127.0.0.${i + 1}:${port}`).join(',');

/** How the test's own clients reach that cluster: every broker and every Cassandra node. */
export const clusterSettings = () =>
  integrationSettings({
    ...CLUSTER_ENV,
    KAFKA_BROKERS: hosts(TOPOLOGIES.cluster.kafkaNodes, CLUSTER_ENV['KAFKA_PORT']),
    CASSANDRA_CONTACT_POINTS: hosts(TOPOLOGIES.cluster.cassandraNodes, CLUSTER_ENV['CASSANDRA_PORT']),
  });

/** What the test needs of the cluster: no Airflow or Spark, whose CPU the two cores need for the pipeline. */
export const CLUSTER_COMPONENTS = [
  'kafka',
  'cassandra',
  'postgres',
  'ingestion',
  'enrichment',
  'persistence',
  'audit',
  'haproxy',
];
