import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackConfig } from './config';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './components/component';
import { kafka } from './components/kafka';
import { cassandra } from './components/cassandra';
import { postgres } from './components/postgres';
import { service } from './components/service';
import { airflow } from './components/airflow';
import { sparkMaster, sparkWorker } from './components/spark';
import { SetupError, UsageError } from './errors';
import { portInUse, portOwner, removePidFile, runningPid, stopProcess, tail } from './processes';

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

export function selectComponents(names: string[]): Component[] {
  if (!names.length) return [...COMPONENTS];
  return names.map((n) => {
    const c = COMPONENTS.find((x) => x.name === n);
    if (!c) throw new UsageError(`unknown component "${n}"; expected one of ${COMPONENTS.map((x) => x.name).join(', ')}`);
    return c;
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

const pidOf = (cfg: StackConfig, c: Component) => runningPid(pidFile(cfg, c.name), dataDir(cfg, c.name));

async function waitHealthy(cfg: StackConfig, c: Component, pid: number): Promise<string> {
  const deadline = Date.now() + c.startTimeoutMs(cfg);
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (!pidOf(cfg, c)) {
      throw new ComponentFailure(
        c.name,
        `the process (pid ${pid}) exited during start-up. Last log lines:\n${indent(tail(logFile(cfg, c.name), 15))}\n` +
          `  If its data folder is damaged, \`npm run stack -- reset ${c.name}\` wipes it.`,
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

/** Starts one component, or confirms the one already running answers. */
async function upOne(cfg: StackConfig, c: Component, log: (line: string) => void): Promise<void> {
  const existing = pidOf(cfg, c);
  if (existing) {
    const health = await waitHealthy(cfg, c, existing);
    log(`${c.name}: already running (pid ${existing}, port ${c.mainPort(cfg)}) — ${health}`);
    return;
  }
  for (const port of c.ports(cfg)) {
    if (await portInUse(port)) {
      throw new ComponentFailure(
        c.name,
        `port ${port} is already in use by ${portOwner(port)}. Stop that process or choose another port ` +
          `(see deploy/local/README.md for the ${c.name.toUpperCase()}_* variables).`,
        logFile(cfg, c.name),
      );
    }
  }
  const started = Date.now();
  await c.prepare(cfg);
  const pid = c.start(cfg);
  log(`${c.name}: started (pid ${pid}), waiting for it to answer…`);
  const health = await waitHealthy(cfg, c, pid);
  log(`${c.name}: healthy on port ${c.mainPort(cfg)} after ${((Date.now() - started) / 1000).toFixed(1)}s — ${health}`);
}

async function upAll(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
  // Components start in parallel; any failure is reported with the others' outcome.
  const results = await Promise.allSettled(components.map((c) => upOne(cfg, c, log)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length) {
    throw new SetupError(failures.map((f) => f.message).join('\n'));
  }
}

/** Engines first (in parallel), then their topics, schemas and roles, then the services (in parallel). */
export async function up(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
  const engines = components.filter((c) => c.kind === 'engine');
  await upAll(cfg, engines, log);
  for (const c of engines) {
    if (!c.bootstrap) continue;
    for (const change of await c.bootstrap(cfg)) log(`${c.name}: ${change}`);
  }
  await upAll(cfg, components.filter((c) => c.kind === 'service'), log);
}

export async function down(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
  // Services first, so they finish their in-flight work while Kafka and the databases are still there.
  await stopAll(cfg, components.filter((c) => c.kind === 'service'), log);
  await stopAll(cfg, components.filter((c) => c.kind === 'engine'), log);
}

async function stopAll(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
  await Promise.all(
    components.map(async (c) => {
      const pid = pidOf(cfg, c);
      if (!pid) {
        removePidFile(pidFile(cfg, c.name));
        log(`${c.name}: not running`);
        return;
      }
      await stopProcess(pid, 60_000, c.stopSignal);
      removePidFile(pidFile(cfg, c.name));
      log(`${c.name}: stopped (pid ${pid})`);
    }),
  );
}

export async function reset(cfg: StackConfig, components: Component[], log: (line: string) => void): Promise<void> {
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
  pid: number | null;
  state: 'healthy' | 'unhealthy' | 'stopped';
  detail: string;
  log: string;
}

export async function status(cfg: StackConfig, components: Component[]): Promise<ComponentStatus[]> {
  return Promise.all(
    components.map(async (c) => {
      const pid = pidOf(cfg, c);
      const base = { component: c.name, port: c.mainPort(cfg), pid, log: logFile(cfg, c.name) };
      if (!pid) return { ...base, state: 'stopped' as const, detail: `start it with \`npm run stack -- up ${c.name}\`` };
      try {
        return { ...base, state: 'healthy' as const, detail: await c.probe(cfg) };
      } catch (err) {
        return { ...base, state: 'unhealthy' as const, detail: (err as Error).message };
      }
    }),
  );
}
