import type { StackConfig } from '../config';

export type EngineName = 'kafka' | 'cassandra' | 'postgres';
export type ServiceName = 'ingestion' | 'enrichment' | 'persistence' | 'audit';
export type BaseName = EngineName | ServiceName | 'airflow' | 'spark-master' | 'spark-worker' | 'haproxy';
/** A component, or in the cluster topology one node or replica of it: `kafka-2`, `ingestion-1`. */
export type ComponentName = BaseName | `${EngineName | ServiceName}-${number}`;

/**
 * One server of the native stack. `up` runs prepare → start → wait for probe; a component owns its
 * data folder (`<home>/<name>`), its log file and its pid file, and nothing else.
 */
export interface Component {
  readonly name: ComponentName;
  /** Engines start first and are bootstrapped; services start once every engine is ready. */
  readonly kind: 'engine' | 'service';
  /** What the name is one node or replica of (`kafka` for `kafka-2`); `npm run stack -- down kafka` selects all. */
  readonly base: BaseName;
  /** The loopback address it binds (127.0.0.1 unless it is a node of a cluster). */
  readonly host?: string;
  /** Ports the server binds; `up` refuses to start when another process holds one. */
  ports(cfg: StackConfig): number[];
  /** The port people connect to, for `status`. */
  mainPort(cfg: StackConfig): number;
  startTimeoutMs(cfg: StackConfig): number;
  /** Resolve binaries, write config, format storage. Idempotent. */
  prepare(cfg: StackConfig): Promise<void>;
  /** Launch the server detached; returns its pid. */
  start(cfg: StackConfig): number;
  /** A real request (metadata, CQL, SQL). Resolves with a one-line description; throws when not ready. */
  probe(cfg: StackConfig): Promise<string>;
  /** Signal that shuts the server down cleanly. */
  readonly stopSignal: NodeJS.Signals;
  /**
   * Run under a supervisor (`supervisor/supervisor.ts`) that restarts the server when it exits: `start`
   * launches the supervisor, whose pid is in `supervisorPidFile`; the server's own pid stays in `pidFile`.
   */
  readonly supervised?: boolean;
  /** After the whole stack is healthy: topics, schemas, roles. Idempotent. */
  bootstrap?(cfg: StackConfig): Promise<string[]>;
}

export const dataDir = (cfg: StackConfig, c: ComponentName) => `${cfg.home}/${c}`;
export const logFile = (cfg: StackConfig, c: ComponentName) => `${cfg.home}/logs/${c}.log`;
export const pidFile = (cfg: StackConfig, c: ComponentName) => `${cfg.home}/run/${c}.pid`;
export const supervisorPidFile = (cfg: StackConfig, c: ComponentName) =>
  `${cfg.home}/run/${c}.supervisor.pid`;
export const stateFile = (cfg: StackConfig, c: ComponentName) => `${cfg.home}/run/${c}.state.json`;
