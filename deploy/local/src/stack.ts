import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackConfig } from './config';
import {
  type Component,
  type ComponentName,
  dataDir,
  logFile,
  pidFile,
  stateFile,
  supervisorPidFile,
} from './components/component';
import { kafka, kafkaNodes } from './components/kafka';
import { cassandra, cassandraNodes } from './components/cassandra';
import { postgres } from './components/postgres';
import { service } from './components/service';
import { haproxy } from './components/haproxy';
import { airflow } from './components/airflow';
import { sparkMaster, sparkWorker } from './components/spark';
import { SetupError, UsageError } from './errors';
import {
  portInUse,
  portOwner,
  procView,
  removePidFile,
  runningPid,
  stillStarting,
  stopProcess,
  tail,
} from './processes';
import { CRASH_LOOP, describeExit, isCrashLooping, recentRestarts } from './supervisor/restart-policy';
import { type SupervisorState, readState } from './supervisor/supervisor-state';

import { ordinals, topologyOf } from './topology';

/** The single topology: one of everything. */
export const COMPONENTS: readonly Component[] = [
  kafka,
  cassandra,
  postgres,
  sparkMaster,
  service('ingestion'),
  service('enrichment'),
  service('persistence'),
  service('audit'),
  sparkWorker,
  airflow,
];

/**
 * The components of the stack's topology. The cluster has three Kafka and three Cassandra nodes, each
 * service's replicas and HAProxy in front of ingestion and the audit; PostgreSQL, Spark and Airflow stay one.
 */
export function componentsOf(cfg: StackConfig): Component[] {
  if (cfg.SPARKFLOW_TOPOLOGY === 'single') return [...COMPONENTS];
  const replicas = ordinals(topologyOf(cfg).serviceReplicas);
  const services = (['ingestion', 'enrichment', 'persistence', 'audit'] as const).flatMap((name) =>
    replicas.map((r) => service(name, r)),
  );
  const topology = topologyOf(cfg);
  return [
    ...kafkaNodes(topology),
    ...cassandraNodes(topology),
    postgres,
    sparkMaster,
    ...services,
    haproxy,
    sparkWorker,
    airflow,
  ];
}

/** By name (`kafka-2`), or all nodes and replicas of one (`kafka`, `ingestion`); none selects every one. */
export function selectComponents(cfg: StackConfig, names: string[]): Component[] {
  const all = componentsOf(cfg);
  if (!names.length) return all;
  return names.flatMap((n) => {
    const chosen = all.filter((x) => x.name === n || x.base === n);
    if (!chosen.length)
      throw new UsageError(`unknown component "${n}"; expected one of ${all.map((x) => x.name).join(', ')}`);
    return chosen;
  });
}

export class ComponentFailure extends SetupError {
  constructor(
    readonly component: ComponentName,
    reason: string,
    readonly log: string,
  ) {
    super(`${component}: ${reason}\n  log: ${log}`);
  }
}

/** The component's process: the server itself, or the supervisor of a supervised one. */
const pidOf = (cfg: StackConfig, c: Component) =>
  runningPid(c.supervised ? supervisorPidFile(cfg, c.name) : pidFile(cfg, c.name), dataDir(cfg, c.name));

/** A supervised server's own pid, while it runs. */
const serverPidOf = (cfg: StackConfig, c: Component) =>
  runningPid(pidFile(cfg, c.name), dataDir(cfg, c.name));

const UNSUPERVISED = (c: Component) =>
  `runs without its supervisor (started by an older stack, or the supervisor was killed); ` +
  `\`npm run stack -- down ${c.name}\` and \`up ${c.name}\` put it under one`;

/** What the supervisor of a running supervised component recorded; null for the others. */
const supervision = (cfg: StackConfig, c: Component): SupervisorState | null =>
  c.supervised ? readState(stateFile(cfg, c.name)) : null;

/** `crash-looping: 4 restarts within 5 min, last exit code 1`, or null. */
function crashLoop(s: SupervisorState | null, now = Date.now()): string | null {
  if (!s || !isCrashLooping(s.restartTimes, now)) return null;
  const last = s.lastExit
    ? `, last ${describeExit(s.lastExit)} after ${Math.round(s.lastExit.uptimeMs / 1000)} s`
    : '';
  return `crash-looping: ${recentRestarts(s.restartTimes, now)} restarts within ${CRASH_LOOP.windowMs / 60_000} min${last}`;
}

/** A service that exited refusing its settings: its supervisor stopped, and `up` is a usage error (exit 2). */
class SettingsRefused extends UsageError {
  constructor(cfg: StackConfig, c: Component) {
    super(
      `${c.name}: ${REFUSED_SETTINGS(c)}. Last log lines:\n${indent(tail(logFile(cfg, c.name), 15))}\n  log: ${logFile(cfg, c.name)}`,
    );
  }
}

const REFUSED_SETTINGS = (c: Component) =>
  `refused its settings (the log names each), so it was not restarted; set them right and run \`npm run stack -- up ${c.name}\``;

async function waitHealthy(cfg: StackConfig, c: Component, pid: number): Promise<string> {
  const deadline = Date.now() + c.startTimeoutMs(cfg);
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (supervision(cfg, c)?.state === 'refused-settings') throw new SettingsRefused(cfg, c);
    if (!pidOf(cfg, c) && !stillStarting(procView(pid), dataDir(cfg, c.name))) {
      throw new ComponentFailure(
        c.name,
        `the process (pid ${pid}) exited during start-up. Last log lines:\n${indent(tail(logFile(cfg, c.name), 15))}\n` +
          `  If its data folder is damaged, \`npm run stack -- reset ${c.name}\` wipes it.`,
        logFile(cfg, c.name),
      );
    }
    const looping = crashLoop(supervision(cfg, c));
    if (looping) {
      throw new ComponentFailure(
        c.name,
        `${looping}; its supervisor keeps restarting it (\`npm run stack -- down ${c.name}\` stops it). Last log lines:\n` +
          indent(tail(logFile(cfg, c.name), 15)),
        logFile(cfg, c.name),
      );
    }
    try {
      return await c.probe(cfg);
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(1000);
  }
  throw new ComponentFailure(
    c.name,
    `not healthy within ${c.startTimeoutMs(cfg) / 1000}s (last probe: ${lastError}). Last log lines:\n` +
      indent(tail(logFile(cfg, c.name), 15)),
    logFile(cfg, c.name),
  );
}

const indent = (s: string) =>
  s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

/**
 * A component `up` has to start: its ports are free and it is prepared (jars resolved, storage formatted,
 * service compiled). Null when it already runs.
 */
async function prepareOne(cfg: StackConfig, c: Component): Promise<Component | null> {
  if (pidOf(cfg, c)) return null;
  if (c.supervised && serverPidOf(cfg, c))
    throw new ComponentFailure(c.name, UNSUPERVISED(c), logFile(cfg, c.name));
  for (const port of c.ports(cfg)) {
    if (await portInUse(port, c.host)) {
      throw new ComponentFailure(
        c.name,
        `port ${port} is already in use on ${c.host ?? '127.0.0.1'} by ${portOwner(port)}. Stop that process or choose another port ` +
          `(see deploy/local/README.md for the ${c.base.toUpperCase()}_* variables).`,
        logFile(cfg, c.name),
      );
    }
  }
  await c.prepare(cfg);
  return c;
}

/** Starts one prepared component, or confirms the one already running answers. */
async function startOne(
  cfg: StackConfig,
  c: Component,
  prepared: boolean,
  log: (line: string) => void,
): Promise<void> {
  if (!prepared) {
    const existing = pidOf(cfg, c);
    if (!existing)
      throw new ComponentFailure(
        c.name,
        'stopped while the others were being prepared',
        logFile(cfg, c.name),
      );
    const health = await waitHealthy(cfg, c, existing);
    const server = c.supervised
      ? `pid ${serverPidOf(cfg, c) ?? '-'}, supervisor pid ${existing}`
      : `pid ${existing}`;
    log(`${c.name}: already running (${server}, port ${c.mainPort(cfg)}) — ${health}`);
    return;
  }
  const started = Date.now();
  const pid = c.start(cfg);
  log(`${c.name}: started (${c.supervised ? 'supervisor ' : ''}pid ${pid}), waiting for it to answer…`);
  const health = await waitHealthy(cfg, c, pid);
  log(
    `${c.name}: healthy on port ${c.mainPort(cfg)} after ${((Date.now() - started) / 1000).toFixed(1)}s — ${health}`,
  );
}

const failuresOf = (results: PromiseSettledResult<unknown>[]) =>
  results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));

async function upAll(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
  // Every component is prepared before any starts: preparing runs Maven, initdb, the Kafka storage tool
  // and the compiler, some of them synchronously, and that time must never count against another
  // component's start-up timeout (a first run that downloads Cassandra's jars takes minutes).
  const prepared = await Promise.allSettled(components.map((c) => prepareOne(cfg, c)));
  const prepareFailures = failuresOf(prepared);
  if (prepareFailures.length) throw new SetupError(prepareFailures.map((f) => f.message).join('\n'));
  // Then they start in parallel; any failure is reported with the others' outcome.
  const results = await Promise.allSettled(
    components.map((c, i) => {
      const p = prepared[i];
      return startOne(cfg, c, p.status === 'fulfilled' && p.value !== null, log);
    }),
  );
  const failures = failuresOf(results);
  if (failures.length) {
    const message = failures.map((f) => f.message).join('\n');
    // Exit 2 when every failure is the user's settings, as a bad setting the stack reads itself is.
    throw failures.every((f) => f instanceof UsageError) ? new UsageError(message) : new SetupError(message);
  }
}

/** Engines first (in parallel), then their topics, schemas and roles, then the services (in parallel). */
export async function up(
  cfg: StackConfig,
  components: Component[],
  log: (line: string) => void,
): Promise<void> {
  const engines = components.filter((c) => c.kind === 'engine');
  await upAll(cfg, engines, log);
  for (const c of engines) {
    if (!c.bootstrap) continue;
    for (const change of await c.bootstrap(cfg)) log(`${c.name}: ${change}`);
  }
  await upAll(
    cfg,
    components.filter((c) => c.kind === 'service'),
    log,
  );
}

export async function down(
  cfg: StackConfig,
  components: Component[],
  log: (line: string) => void,
): Promise<void> {
  // Services first, so they finish their in-flight work while Kafka and the databases are still there.
  await stopAll(
    cfg,
    components.filter((c) => c.kind === 'service'),
    log,
  );
  await stopAll(
    cfg,
    components.filter((c) => c.kind === 'engine'),
    log,
  );
}

async function stopAll(
  cfg: StackConfig,
  components: Component[],
  log: (line: string) => void,
): Promise<void> {
  await Promise.all(
    components.map(async (c) => {
      const pid = pidOf(cfg, c);
      // A server whose supervisor is gone (killed by hand) is stopped all the same.
      const orphan = c.supervised && !pid ? serverPidOf(cfg, c) : null;
      if (!pid && !orphan) {
        removePidFile(pidFile(cfg, c.name));
        if (c.supervised) removePidFile(supervisorPidFile(cfg, c.name));
        log(`${c.name}: not running`);
        return;
      }
      // A supervisor is asked alone: it passes SIGTERM on to its server and, seeing it asked, does not
      // count the exit as a crash. Its process group gets SIGKILL after the grace period.
      if (pid) await stopProcess(pid, 60_000, c.stopSignal, { group: !c.supervised });
      if (orphan) await stopProcess(orphan, 60_000, c.stopSignal);
      removePidFile(pidFile(cfg, c.name));
      if (c.supervised) removePidFile(supervisorPidFile(cfg, c.name));
      log(`${c.name}: stopped (${c.supervised && pid ? `supervisor pid ${pid}` : `pid ${pid ?? orphan}`})`);
    }),
  );
}

export async function reset(
  cfg: StackConfig,
  components: Component[],
  log: (line: string) => void,
): Promise<void> {
  await down(cfg, components, log);
  for (const c of components) {
    rmSync(dataDir(cfg, c.name), { recursive: true, force: true });
    rmSync(logFile(cfg, c.name), { force: true });
    log(`${c.name}: data wiped (${dataDir(cfg, c.name)})`);
  }
}

export interface ComponentStatus {
  component: ComponentName;
  port: number;
  /** The server's pid (for a supervised service, the service's, not its supervisor's). */
  pid: number | null;
  state: 'healthy' | 'unhealthy' | 'stopped';
  detail: string;
  log: string;
  /** Supervised services only. */
  supervision?: {
    supervisorPid: number;
    restarts: number;
    crashLooping: boolean;
    lastExit: string | null;
  };
}

export async function status(cfg: StackConfig, components: Component[]): Promise<ComponentStatus[]> {
  return Promise.all(
    components.map(async (c): Promise<ComponentStatus> => {
      const pid = pidOf(cfg, c);
      const base = { component: c.name, port: c.mainPort(cfg), log: logFile(cfg, c.name) };
      const orphan = c.supervised && !pid ? serverPidOf(cfg, c) : null;
      if (orphan) return { ...base, pid: orphan, state: 'unhealthy', detail: UNSUPERVISED(c) };
      const s = supervision(cfg, c);
      if (!pid) {
        return {
          ...base,
          pid: null,
          state: 'stopped',
          detail:
            s?.state === 'refused-settings'
              ? REFUSED_SETTINGS(c)
              : `start it with \`npm run stack -- up ${c.name}\``,
        };
      }
      const serverPid = c.supervised ? serverPidOf(cfg, c) : pid;
      const supervised = s && {
        supervision: {
          supervisorPid: pid,
          restarts: s.restarts,
          crashLooping: crashLoop(s) !== null,
          lastExit: s.lastExit
            ? `${describeExit(s.lastExit)} at ${new Date(s.lastExit.at).toISOString()}`
            : null,
        },
      };
      const looping = crashLoop(s);
      if (looping || (c.supervised && !serverPid)) {
        const waiting = s?.nextStartAt
          ? `; restarting in ${Math.max(0, Math.ceil((s.nextStartAt - Date.now()) / 1000))} s`
          : '';
        return {
          ...base,
          pid: serverPid,
          ...supervised,
          state: 'unhealthy',
          detail: `${looping ?? 'not running'}${waiting}`,
        };
      }
      try {
        return { ...base, pid: serverPid, ...supervised, state: 'healthy', detail: await c.probe(cfg) };
      } catch (err) {
        // A driver's error can run to a stack trace; status keeps one line per component.
        const detail = (err as Error).message.split('\n')[0];
        return { ...base, pid: serverPid, ...supervised, state: 'unhealthy', detail };
      }
    }),
  );
}
