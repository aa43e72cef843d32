import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReadinessBody, readinessProblems } from '@sparkflow/contracts';
import { engineClientEnv, kafkaClientEnv, type StackConfig } from '../config';
import { launch } from '../processes';
import type { SupervisorSpec } from '../supervisor/supervisor-state';
import {
  type Component,
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

/** Environment the services read: the addresses of what this stack started, and the service's port. */
function serviceEnv(cfg: StackConfig, name: ServiceName): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OTEL_SERVICE_NAME: name,
    // Sampled spans (a sampled traceparent, or SPARKFLOW_TRACE_RATIO of new traces) as JSON lines.
    SPARKFLOW_TRACE_FILE: join(cfg.home, 'traces', `${name}.jsonl`),
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
  };
}

/**
 * V8's old-space limit per service, in MB. Measured with `npm run bench` (30,000 users, 2 cores): without
 * a limit the services let their heaps grow to 250–340 MB RSS under load; at 160 MB the consumers peak
 * near 160 MB for about 10 % less throughput. Ingestion keeps more room, since it parses request bodies
 * of up to INGESTION_MAX_BODY several at a time. SERVICE_NODE_ARGS comes after and can override it.
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
 */
const SEMI_SPACE_MB = 8;

const SUPERVISOR_SRC = join('deploy', 'local', 'src', 'supervisor');

const buildDir = (cfg: StackConfig, name: ServiceName) => join(dataDir(cfg, name), 'build');

/**
 * Compiles the service, the libs and the supervisor to CommonJS with SWC (the same compiler the Docker image uses), so
 * the running service carries no TypeScript compiler: running the sources through @swc-node/register
 * cost each service about 75 MB of resident memory. Takes well under a second.
 */
function compile(cfg: StackConfig, name: ServiceName): void {
  const out = buildDir(cfg, name);
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
 * when it exits, and probed on /health/ready.
 */
export function service(name: ServiceName): Component {
  return {
    name,
    kind: 'service',
    stopSignal: 'SIGTERM',
    ports: (cfg) => [PORTS[name](cfg)],
    mainPort: (cfg) => PORTS[name](cfg),
    startTimeoutMs: () => 60_000,
    async prepare(cfg) {
      mkdirSync(dataDir(cfg, name), { recursive: true });
      compile(cfg, name);
    },
    supervised: true,
    start(cfg) {
      const spec: SupervisorSpec = {
        service: name,
        command: process.execPath,
        args: [
          `--max-old-space-size=${HEAP_MB[name]}`,
          `--max-semi-space-size=${SEMI_SPACE_MB}`,
          ...cfg.SERVICE_NODE_ARGS.split(/\s+/).filter(Boolean),
          join(buildDir(cfg, name), 'apps', name, 'src', 'main.js'),
          `--home=${dataDir(cfg, name)}`,
        ],
        cwd: cfg.repoRoot,
        logFile: logFile(cfg, name),
        childPidFile: pidFile(cfg, name),
        stateFile: stateFile(cfg, name),
        policy: {
          initialBackoffMs: cfg.SERVICE_RESTART_INITIAL_MS,
          maxBackoffMs: cfg.SERVICE_RESTART_MAX_MS,
          stableAfterMs: cfg.SERVICE_RESTART_STABLE_S * 1000,
        },
      };
      // The spec holds no settings: the supervisor passes its own environment on to the service.
      const specFile = join(dataDir(cfg, name), 'supervisor.json');
      writeFileSync(specFile, JSON.stringify(spec, null, 2));
      rmSync(stateFile(cfg, name), { force: true });
      return launch({
        command: process.execPath,
        args: [join(buildDir(cfg, name), SUPERVISOR_SRC, 'supervisor.js'), specFile],
        cwd: cfg.repoRoot,
        env: serviceEnv(cfg, name),
        logFile: logFile(cfg, name),
        pidFile: supervisorPidFile(cfg, name),
      });
    },
    async probe(cfg) {
      const res = await fetch(`http://127.0.0.1:${PORTS[name](cfg)}/health/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${readinessProblems(body)}`);
      const checks = ReadinessBody.safeParse(JSON.parse(body)).data?.details ?? {};
      return `ready (${Object.keys(checks).join(', ')} up)`;
    },
  };
}
