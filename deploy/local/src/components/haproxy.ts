import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from '../config';
import { debianProgram } from '../debian';
import { launch, run } from '../processes';
import { ordinals, replicaPort, topologyOf } from '../topology';
import { type Component, dataDir, logFile, pidFile } from './component';

/**
 * HAProxy in front of the ingestion and audit replicas of the cluster topology, on the ports clients
 * already use (INGESTION_HTTP_PORT, AUDIT_HTTP_PORT). It sends a request only to a replica whose
 * /health/ready answers 200, and a request whose connection a dead replica refused goes to the other.
 */
const NAME = 'haproxy';

/** Debian's haproxy and the libraries it needs beyond a base system, unpacked (not installed) into the cache. */
const PACKAGES = ['haproxy', 'liblua5.3-0', 'libopentracing-c-wrapper0', 'libopentracing1'];

/** The services HAProxy fronts: the ones people and Airflow call. Enrichment and persistence take no requests. */
const FRONTED = ['ingestion', 'audit'] as const;

const files = (cfg: StackConfig) => {
  const dir = dataDir(cfg, NAME);
  return { dir, config: join(dir, 'haproxy.cfg'), unpacked: join(cfg.cache, 'debian', NAME) };
};

const binary = (cfg: StackConfig) => join(files(cfg).unpacked, 'usr', 'sbin', 'haproxy');
const libraryPath = (cfg: StackConfig) => join(files(cfg).unpacked, 'usr', 'lib', 'x86_64-linux-gnu');

function ensureBinary(cfg: StackConfig): void {
  debianProgram(cfg.cache, NAME, PACKAGES, 'usr/sbin/haproxy');
}

const PORT = {
  ingestion: (cfg: StackConfig) => cfg.INGESTION_HTTP_PORT,
  audit: (cfg: StackConfig) => cfg.AUDIT_HTTP_PORT,
};

function config(cfg: StackConfig): string {
  const replicas = ordinals(topologyOf(cfg).serviceReplicas);
  const proxies = FRONTED.flatMap((service) => [
    `frontend ${service}`,
    `  bind 127.0.0.1:${PORT[service](cfg)}`,
    `  default_backend ${service}`,
    '',
    `backend ${service}`,
    '  balance leastconn',
    // A replica that cannot make progress says so on /health/ready and gets no requests until it recovers.
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    ...replicas.map(
      (r) =>
        `  server ${service}-${r} 127.0.0.1:${replicaPort(PORT[service](cfg), r)} check inter 2s fall 3 rise 2`,
    ),
    '',
  ]);
  return [
    '# Written by `npm run stack -- up --topology cluster` (deploy/local/src/components/haproxy.ts).',
    'global',
    // Server state changes (a replica down or back), not one line per request.
    '  log stdout format raw local0 notice',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option dontlognull',
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-request 30s',
    // A replica is out after three checks in a row failed or took over 5 s: one slow answer on a busy
    // machine must not take both replicas out at once.
    '  timeout check 5s',
    // Only a connection the replica refused is tried again (on the other one): the request never reached
    // it. A POST that reached a replica is never sent twice.
    '  retries 2',
    '  retry-on conn-failure',
    '  option redispatch 1',
    '',
    ...proxies,
    'frontend stats',
    `  bind 127.0.0.1:${cfg.HAPROXY_STATS_PORT}`,
    '  stats enable',
    '  stats uri /stats',
    '  stats refresh 5s',
    '',
  ].join('\n');
}

export const haproxy: Component = {
  name: NAME,
  base: NAME,
  kind: 'service',
  stopSignal: 'SIGTERM',
  ports: (cfg) => [cfg.INGESTION_HTTP_PORT, cfg.AUDIT_HTTP_PORT, cfg.HAPROXY_STATS_PORT],
  mainPort: (cfg) => cfg.INGESTION_HTTP_PORT,
  startTimeoutMs: () => 90_000,

  async prepare(cfg) {
    ensureBinary(cfg);
    mkdirSync(files(cfg).dir, { recursive: true });
    writeFileSync(files(cfg).config, config(cfg));
    run(binary(cfg), ['-c', '-q', '-f', files(cfg).config], {
      env: { ...process.env, LD_LIBRARY_PATH: libraryPath(cfg) },
    });
  },

  start(cfg) {
    return launch({
      command: binary(cfg),
      // -db: stay in the foreground, as the stack's other servers do.
      args: ['-db', '-f', files(cfg).config],
      cwd: files(cfg).dir,
      env: { ...process.env, LD_LIBRARY_PATH: libraryPath(cfg) },
      logFile: logFile(cfg, NAME),
      pidFile: pidFile(cfg, NAME),
    });
  },

  /** Ready when every fronted service has at least one replica HAProxy's own checks find ready. */
  async probe(cfg) {
    const res = await fetch(`http://127.0.0.1:${cfg.HAPROXY_STATS_PORT}/stats;csv`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`stats page answered HTTP ${res.status}`);
    const rows = (await res.text()).split('\n').map((l) => l.split(','));
    const servers = rows.filter(
      (r) => FRONTED.some((s) => r[0] === s) && r[1] !== 'FRONTEND' && r[1] !== 'BACKEND',
    );
    const summary = FRONTED.map((service) => {
      const own = servers.filter((r) => r[0] === service);
      return { service, up: own.filter((r) => r[17]?.startsWith('UP')).length, of: own.length };
    });
    const text = summary.map((s) => `${s.service} ${s.up}/${s.of} replicas up`).join(', ');
    if (summary.some((s) => s.up === 0)) throw new Error(text);
    return text;
  },
};
