import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import {
  TOPOLOGIES,
  type Topology,
  type TopologyName,
  localNodeHost,
  localReplicaPort,
  localTopologyFile,
  ordinals as contractOrdinals,
  recordedLocalTopology,
} from '@sparkflow/contracts';
import type { StackConfig } from './config';
import { UsageError } from './errors';

/**
 * Where the nodes and replicas of a topology live on this machine. Every Kafka and Cassandra node has a
 * loopback address of its own (127.0.0.1–127.0.0.3) and the usual ports, as on separate machines;
 * Cassandra needs that, since a cluster shares one storage port. A service replica cannot take the usual
 * port (HAProxy holds it in front of ingestion and the audit), so replica i listens 100·i above it.
 */
export const nodeHost = localNodeHost;
export const replicaPort = localReplicaPort;

/** 1…n. */
export const ordinals = contractOrdinals;

export const topologyOf = (cfg: StackConfig): Topology => TOPOLOGIES[cfg.SPARKFLOW_TOPOLOGY];

/** The file in the stack's home recording which topology its data folders were made for. */
const topologyFile = (cfg: StackConfig) => localTopologyFile(cfg.home);

/**
 * The topology a command works on: the one asked for, else the one the home was made for, else single.
 * A home's data folders fit one topology (a single broker's metadata log cannot join a three-node quorum),
 * so asking `up` for the other one is refused with the way out.
 */
export function settleTopology(
  cfg: StackConfig,
  asked: TopologyName | undefined,
  command: string,
): StackConfig {
  const recorded = recordedLocalTopology(cfg.home);
  const chosen = asked ?? recorded ?? cfg.SPARKFLOW_TOPOLOGY;
  if (recorded && chosen !== recorded) {
    throw new UsageError(
      `${cfg.home} holds a ${recorded} stack; \`npm run stack -- reset\` wipes it before \`up --topology ${chosen}\`, ` +
        'or set SPARKFLOW_HOME to another folder',
    );
  }
  if (command === 'up' && !existsSync(topologyFile(cfg))) {
    mkdirSync(cfg.home, { recursive: true });
    writeFileSync(topologyFile(cfg), `${chosen}\n`);
  }
  return Object.freeze({ ...cfg, SPARKFLOW_TOPOLOGY: chosen });
}

/** After `reset` of every component the home holds no data, so it fits either topology again. */
export const forgetTopology = (cfg: StackConfig) => rmSync(topologyFile(cfg), { force: true });
