// What the shared rate limit costs per request, against Throttler's in-memory storage: N requests of one
// API key through each storage, CONCURRENCY at a time, at ingestion's default limit (200/s, burst 400,
// a 2 s window), timing the wall clock, this process's CPU and the stack's PostgreSQL processes' CPU.
//
//   source /work/stacks/env-<k>.sh   # or any stack's ports
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/rate-limit-store/measure/rate-limit-cost.ts
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { integrationSettings } from '@sparkflow/testing';
import { RateLimitRepository } from '../src/lib/rate-limit.repository';
import { SharedThrottlerStorage } from '../src/lib/shared-throttler-storage';

const N = Number(process.env['RATE_LIMIT_MEASURE_REQUESTS'] ?? 20_000);
const CONCURRENCY = Number(process.env['RATE_LIMIT_MEASURE_CONCURRENCY'] ?? 16);
const TTL_MS = 2000;
const LIMIT = 400;
const s = integrationSettings();
const TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by the processes of the stack's PostgreSQL cluster (postmaster and its children). */
function postgresCpuSeconds(): number {
  const postmaster = Number(
    readFileSync(join(s.SPARKFLOW_HOME, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pid) === postmaster || Number(fields[1]) === postmaster) {
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  }
  return ticks / TICKS;
}

async function measure(name: string, storage: ThrottlerStorage) {
  let next = 0;
  let allowed = 0;
  const pg0 = postgresCpuSeconds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) {
        const r = await storage.increment('measure-key', TTL_MS, LIMIT, 0, 'default');
        if (!r.isBlocked) allowed++;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const pgMs = (postgresCpuSeconds() - pg0) * 1000;
  const nodeMs = (cpu.user + cpu.system) / 1000;
  console.log(
    JSON.stringify({
      storage: name,
      requests: N,
      concurrency: CONCURRENCY,
      allowed,
      wallMs: Math.round(wallMs),
      requestsPerSecond: Math.round(N / (wallMs / 1000)),
      nodeCpuMsPerRequest: +(nodeMs / N).toFixed(4),
      postgresCpuMsPerRequest: +(pgMs / N).toFixed(4),
    }),
  );
}

async function main() {
  await measure('in-process', new ThrottlerStorageService());
  const repository = new RateLimitRepository(
    {
      host: s.POSTGRES_HOST,
      port: s.POSTGRES_PORT,
      username: s.POSTGRES_USER,
      password: s.POSTGRES_PASSWORD,
      database: s.POSTGRES_DB,
    },
    500,
    (err) => console.error(err),
  );
  const shared = new SharedThrottlerStorage(repository, { warn: console.error, log: console.error });
  // Connections opened and the statement planned before the clock starts, as in a running service.
  await measure('postgres (warm-up)', shared);
  await measure('postgres', shared);
  await shared.onApplicationShutdown();
}

void main();
