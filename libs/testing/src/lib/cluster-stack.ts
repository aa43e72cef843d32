/**
 * A cluster-topology stack a test or a benchmark starts for itself: its own home, and ports in a block of
 * its own (`<block>092` for Kafka, `<block>042` for Cassandra, …), so it never meets the single-node stack
 * on the default ports nor another such cluster. Replica i of a service listens 100·i above its port.
 */
export function ownClusterEnv(env: NodeJS.ProcessEnv, home: string, block: number): NodeJS.ProcessEnv {
  const port = (suffix: number) => String(block * 1000 + suffix);
  return {
    ...env,
    SPARKFLOW_HOME: home,
    SPARKFLOW_TOPOLOGY: 'cluster',
    KAFKA_PORT: port(92),
    KAFKA_CONTROLLER_PORT: port(93),
    CASSANDRA_PORT: port(42),
    CASSANDRA_STORAGE_PORT: port(700),
    CASSANDRA_JMX_PORT: port(199),
    POSTGRES_PORT: port(432),
    // HAProxy holds ingestion's and the audit's; the replicas listen above them.
    INGESTION_HTTP_PORT: port(300),
    ENRICHMENT_HTTP_PORT: port(301),
    PERSISTENCE_HTTP_PORT: port(302),
    AUDIT_HTTP_PORT: port(303),
    HAPROXY_STATS_PORT: port(980),
    // Three JVMs of each engine start at once on two cores.
    KAFKA_START_TIMEOUT_S: '300',
    CASSANDRA_START_TIMEOUT_S: '600',
  };
}

/** The pipeline and its engines, without Airflow or Spark, whose CPU the pipeline needs on two cores. */
export const CLUSTER_PIPELINE_COMPONENTS = [
  'kafka',
  'cassandra',
  'postgres',
  'ingestion',
  'enrichment',
  'persistence',
  'audit',
  'haproxy',
] as const;
