import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The two shapes SparkFlow runs in, declared once. The native stack (`npm run stack -- up --topology
 * cluster`), the Compose file and the Kubernetes manifests are checked against these numbers, so the
 * three cannot drift apart.
 */
export interface Topology {
  /** Kafka nodes, each a combined KRaft broker and controller. */
  readonly kafkaNodes: number;
  /** Copies of every topic partition, and how many must have a write before the broker acknowledges it. */
  readonly topicReplicationFactor: number;
  readonly minInsyncReplicas: number;
  /** Cassandra nodes in the one data centre, and copies of every row (NetworkTopologyStrategy). */
  readonly cassandraNodes: number;
  readonly keyspaceReplicationFactor: number;
  /** Processes of each of the four services. */
  readonly serviceReplicas: number;
}

export type TopologyName = 'single' | 'cluster';

export const TOPOLOGIES: Readonly<Record<TopologyName, Topology>> = Object.freeze({
  /** One machine, one of everything: the default of `npm start` and `npm test`. */
  single: {
    kafkaNodes: 1,
    topicReplicationFactor: 1,
    minInsyncReplicas: 1,
    cassandraNodes: 1,
    keyspaceReplicationFactor: 1,
    serviceReplicas: 1,
  },
  /**
   * Survives any one node or replica down: with three copies and two needed in sync, a broker can be lost
   * without refusing a write; LOCAL_QUORUM (2 of 3) still reads what it wrote with one Cassandra node down.
   */
  cluster: {
    kafkaNodes: 3,
    topicReplicationFactor: 3,
    minInsyncReplicas: 2,
    cassandraNodes: 3,
    keyspaceReplicationFactor: 3,
    serviceReplicas: 2,
  },
});

/**
 * The consistency level of every Cassandra read and write SparkFlow makes, in every topology: the services
 * and the CLI (`libs/cassandra`) and the Spark jobs (the Spark Cassandra Connector, through the generated
 * `cassandra.json`). A majority of the replicas in the local data centre: on one node that is the node; with
 * three copies a write is acknowledged by two, and a read asks two, so it always meets the latest
 * acknowledged write, even while a node is down or a returning node has not caught up. Either driver's
 * default would be weaker for reads (LOCAL_ONE): one replica, which may be the one that missed writes.
 */
export const CASSANDRA_CONSISTENCY_LEVEL = 'LOCAL_QUORUM';
/** The consistency of the serial phase of a conditional (`IF …`) write. */
export const CASSANDRA_SERIAL_CONSISTENCY_LEVEL = 'LOCAL_SERIAL';

/** 1…n: the numbers of a topology's nodes and replicas (`kafka-1`, `ingestion-2`). */
export const ordinals = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/**
 * Where the native stack (`deploy/local`) puts node n of an engine on one machine: a loopback address of
 * its own, 127.0.0.n, with the engine's usual port, as on separate machines.
 */
export const localNodeHost = (node: number): string => `127.0.0.${node}`;

/** Every node of an engine on the native stack, as a client lists them: `127.0.0.1:9092,127.0.0.2:9092,…`. */
export const localNodeAddresses = (nodes: number, port: number | string): string =>
  ordinals(nodes)
    .map((n) => `${localNodeHost(n)}:${port}`)
    .join(',');

/**
 * The port of replica r (1…) of a service on the native stack, on 127.0.0.1: 100·r above the service's
 * usual port, which HAProxy holds in front of ingestion and the audit (and nothing holds for the others).
 */
export const localReplicaPort = (port: number, replica: number): number => port + 100 * replica;

/** One process of a service on the native stack: its name (`enrichment`, `enrichment-2`) and HTTP port. */
export interface LocalServiceProcess {
  readonly name: string;
  readonly port: number;
}

/**
 * The processes of a service on the native stack, given the service's usual HTTP port: in `single` the
 * service itself on that port; in `cluster` its replicas `<service>-1`… on their replica ports.
 */
export function localServiceProcesses(
  topology: TopologyName,
  service: string,
  port: number,
): LocalServiceProcess[] {
  if (topology === 'single') return [{ name: service, port }];
  return ordinals(TOPOLOGIES[topology].serviceReplicas).map((r) => ({
    name: `${service}-${r}`,
    port: localReplicaPort(port, r),
  }));
}

/** The file in a native stack's home (`$SPARKFLOW_HOME`) recording which topology its data folders were made for. */
export const localTopologyFile = (home: string): string => join(home, 'topology');

/**
 * The topology a native stack's home was made for: the one its `topology` file names (`stack up` writes
 * it), else, for a home older than the record, the one its data folders fit (`kafka` single, `kafka-1`
 * cluster); null when the home has neither. A record that is there but cannot be read is an error naming
 * it: the folders beside it are not trusted over it.
 */
export function recordedLocalTopology(home: string): TopologyName | null {
  const file = localTopologyFile(home);
  if (existsSync(file)) {
    let name: string;
    try {
      name = readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new Error(
        `cannot read ${file}, which records the stack's topology: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (name === 'single' || name === 'cluster') return name;
  }
  if (existsSync(join(home, 'kafka'))) return 'single';
  if (existsSync(join(home, 'kafka-1'))) return 'cluster';
  return null;
}
