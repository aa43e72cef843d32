import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReadinessBody, readinessProblems } from '@sparkflow/contracts';
import { engineClientEnv, kafkaClientEnv, type StackConfig } from '../config';
import { launch } from '../processes';
import type { SupervisorSpec } from '../supervisor/supervisor-state';
import { replicaPort } from '../topology';
import {
  type Component,
  type ComponentName,
  type ServiceName,
  dataDir,
  logFile,
  pidFile,
  stateFile,
  supervisorPidFile,
} from './component';

const PORTS: Record<ServiceName, (cfg: StackConfig) => number> = {
  ingestion: (cfg) => cfg.INGESTION_HTTP_PORT,
  enrichment: (cfg) => cfg.ENRICHMENT_HTTP_PORT,
  persistence: (cfg) => cfg.PERSISTENCE_HTTP_PORT,
  audit: (cfg) => cfg.AUDIT_HTTP_PORT,
};

/**
 * Environment the services read: the addresses of what this stack started, and the service's port (a
 * replica's own, see `replicaPort`).
 */
function serviceEnv(
  cfg: StackConfig,
  name: ServiceName,
  instance: ComponentName,
  port: number,
): NodeJS.ProcessEnv {
  return {
    // glibc's malloc arenas (by default up to 8 per core) each keep freed memory of their own. At 2,
    // 200,000-user saturation runs back to back with the default (bench/results/2026-12-01-malloc-arenas.md)
    // enrichment peaked at 192–193 MB instead of 201–202 and the audit at 165 instead of 171–173, for the
    // same CPU per user within the noise. A value set outside wins.
    MALLOC_ARENA_MAX: '2',
    // glibc serves a block above this from its own mapping, returned on free. By default the threshold
    // rises to the largest block freed so far (up to 32 MB), after which a request body, a Kafka batch or
    // a fetch lands in the heap and its pages stay. Fixed at 128 KB, two pairs of 200,000-user runs peaked
    // lower in ingestion (221, 216 against 228, 227 MB), enrichment (202, 201 against 221, 208) and
    // persistence (195, 193 against 205, 206), for the same CPU per user within the noise
    // (bench/results/2026-12-01-rss.md).
    MALLOC_MMAP_THRESHOLD_: '131072',
    ...process.env,
    OTEL_SERVICE_NAME: name,
    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
    // Sampled spans (a sampled traceparent, or SPARKFLOW_TRACE_RATIO of new traces) as JSON lines.
    SPARKFLOW_TRACE_FILE: join(cfg.home, 'traces', `${instance}.jsonl`),
    ...engineClientEnv(cfg),
    // Each service signs in to Kafka as its own principal, whose ACLs cover exactly its topics and group.
    ...kafkaClientEnv(cfg, name),
    // The compiled build lives under the stack's home; its packages are the repository's.
    NODE_PATH: join(cfg.repoRoot, 'node_modules'),
    INGESTION_API_KEYS: cfg.INGESTION_API_KEYS,
    AUDIT_API_KEYS: cfg.AUDIT_API_KEYS,
    INGESTION_HTTP_PORT: String(cfg.INGESTION_HTTP_PORT),
    ENRICHMENT_HTTP_PORT: String(cfg.ENRICHMENT_HTTP_PORT),
    PERSISTENCE_HTTP_PORT: String(cfg.PERSISTENCE_HTTP_PORT),
    AUDIT_HTTP_PORT: String(cfg.AUDIT_HTTP_PORT),
    [`${name.toUpperCase()}_HTTP_PORT`]: String(port),
  };
}

/**
 * V8's old-space limit per service, in MB. Measured with `npm run bench` (30,000 users, 2 cores): without
 * a limit the services let their heaps grow to 250–340 MB RSS under load; at 160 MB the consumers peak
 * near 160 MB for about 10 % less throughput. Ingestion keeps more room, since it parses request bodies
 * of up to INGESTION_MAX_BODY several at a time (INGESTION_BODIES_IN_FLIGHT bounds them). Its peak RSS is
 * not set by this cap: at 160 MB it peaked at 219 MB as at 192 (bench/results/2026-11-30-services.md).
 * SERVICE_NODE_ARGS comes after and can override it.
 */
const HEAP_MB: Record<ServiceName, number> = {
  ingestion: 192,
  enrichment: 160,
  persistence: 160,
  audit: 160,
};

/**
 * V8's young-generation semi-space limit, in MB. Node 24 lets the young generation grow to several times
 * this by default, which on top of the old-space caps above put the services at 193–236 MB peak RSS in
 * `npm run bench -- --quick` and, with the old space squeezed, sent one run into GC thrashing (3× the CPU
 * per user). At 8 MB they peaked at 155–185 MB with no loss of throughput (4 MB: 150–182 MB, slightly slower).
 * 16 and 32 MB (20,000 users, back to back with 8) raised every service's peak RSS by 13–22 and 39–51 MB
 * for a CPU per user within the run-to-run noise of the shared machine (bench/results/2026-11-30-services.md).
 */
const SEMI_SPACE_MB = 8;

const SUPERVISOR_SRC = join('deploy', 'local', 'src', 'supervisor');

const buildDir = (cfg: StackConfig, instance: ComponentName) => join(dataDir(cfg, instance), 'build');

/**
 * Compiles the service, the libs and the supervisor to CommonJS with SWC (the same compiler the Docker image uses), so
 * the running service carries no TypeScript compiler: running the sources through @swc-node/register
 * cost each service about 75 MB of resident memory. Takes well under a second.
 */
function compile(cfg: StackConfig, name: ServiceName, instance: ComponentName): void {
  const out = buildDir(cfg, instance);
  rmSync(out, { recursive: true, force: true });
  const run = spawnSync(
    process.execPath,
    [join(cfg.repoRoot, 'deploy', 'docker', 'compile.js'), out, join('apps', name), 'libs', SUPERVISOR_SRC],
    { cwd: cfg.repoRoot, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`${name}: compiling the service failed:\n${run.stdout}${run.stderr}`);
}

/**
 * One of the four NestJS services, compiled from its TypeScript, run under a supervisor that restarts it
 * when it exits, and probed on /health/ready. In the cluster topology `replica` numbers one of its
 * processes (`ingestion-2`), each with its own port, data folder and log.
 */
export function service(name: ServiceName, replica?: number): Component {
  const instance: ComponentName = replica ? `${name}-${replica}` : name;
  const port = (cfg: StackConfig) => (replica ? replicaPort(PORTS[name](cfg), replica) : PORTS[name](cfg));
  return {
    name: instance,
    base: name,
    kind: 'service',
    stopSignal: 'SIGTERM',
    ports: (cfg) => [port(cfg)],
    mainPort: port,
    startTimeoutMs: () => 60_000,
    async prepare(cfg) {
      mkdirSync(dataDir(cfg, instance), { recursive: true });
      compile(cfg, name, instance);
    },
    supervised: true,
    start(cfg) {
      const spec: SupervisorSpec = {
        service: instance,
        command: process.execPath,
        args: [
          `--max-old-space-size=${HEAP_MB[name]}`,
          `--max-semi-space-size=${SEMI_SPACE_MB}`,
          ...cfg.SERVICE_NODE_ARGS.split(/\s+/).filter(Boolean),
          join(buildDir(cfg, instance), 'apps', name, 'src', 'main.js'),
          `--home=${dataDir(cfg, instance)}`,
        ],
        cwd: cfg.repoRoot,
        logFile: logFile(cfg, instance),
        logMaxBytes: cfg.SERVICE_LOG_MAX_MB * 2 ** 20,
        childPidFile: pidFile(cfg, instance),
        stateFile: stateFile(cfg, instance),
        policy: {
          initialBackoffMs: cfg.SERVICE_RESTART_INITIAL_MS,
          maxBackoffMs: cfg.SERVICE_RESTART_MAX_MS,
          stableAfterMs: cfg.SERVICE_RESTART_STABLE_S * 1000,
        },
      };
      // The spec holds no settings: the supervisor passes its own environment on to the service.
      const specFile = join(dataDir(cfg, instance), 'supervisor.json');
      writeFileSync(specFile, JSON.stringify(spec, null, 2));
      rmSync(stateFile(cfg, instance), { force: true });
      return launch({
        command: process.execPath,
        args: [join(buildDir(cfg, instance), SUPERVISOR_SRC, 'supervisor.js'), specFile],
        cwd: cfg.repoRoot,
        env: serviceEnv(cfg, name, instance, port(cfg)),
        logFile: logFile(cfg, instance),
        pidFile: supervisorPidFile(cfg, instance),
      });
    },
    async probe(cfg) {
      const res = await fetch(`http://127.0.0.1:${port(cfg)}/health/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${readinessProblems(body)}`);
      const checks = ReadinessBody.safeParse(JSON.parse(body)).data?.details ?? {};
      return `ready (${Object.keys(checks).join(', ')} up)`;
    },
  };
}
