import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, types, type Client } from 'cassandra-driver';
import { createCassandraClient } from '@sparkflow/cassandra';
import { enrichUser } from '@sparkflow/enrichment-core';
import {
  STATEMENTS_PER_USER,
  UsersRepository,
  WRITE_CHUNK_LIMITS,
  estimatedWriteBytes,
  writeRounds,
  type UserWrite,
} from '@sparkflow/persistence-core';
import { cassandraConnection } from '@sparkflow/testing';
import { forEachConcurrent, perSecond, type RunContext } from '../run-context';
import { meterEngine } from '../stack-process';

export interface CassandraLimitResult {
  records: number;
  /** Statements per record: those persistence makes (users, users_by_country_day, users.first_event_day). */
  statementsPerRecord: number;
  /** At most this many records' statements per UNLOGGED batch, as persistence writes them. */
  recordsPerBatch: number;
  probes: { concurrency: number; records: number; recordsPerSec: number; writeTimeoutsRetried: number }[];
  concurrency: number;
  wallMs: number;
  recordsPerSec: number;
  /** Cassandra's CPU over the full write, per user. */
  cassandraCpuMsPerUser: number;
  /** Batches Cassandra timed out (it was saturated) and the stage wrote again, over the probes and the full run. */
  writeTimeoutsRetried: number;
}

/** A batch may be written again this many times after a write timeout before the stage gives up. */
const TIMEOUT_RETRIES = 5;

/**
 * Writes a chunk with `write`, again after each server-side write timeout: persistence does the same (it is
 * retriable). Used by this stage and by `schema-options.ts`.
 */
export class RetryingWriter {
  timeoutsRetried = 0;

  constructor(private readonly write: (chunk: readonly UserWrite[]) => Promise<void>) {}

  async upsertMany(chunk: readonly UserWrite[]): Promise<void> {
    for (let retries = 0; ; retries++) {
      try {
        return await this.write(chunk);
      } catch (e) {
        const timedOut =
          e instanceof errors.ResponseError && e.code === types.responseErrorCodes.writeTimeout;
        if (!timedOut || retries === TIMEOUT_RETRIES) throw e;
        this.timeoutsRetried++;
        // Not straight back into a saturated node: 100, 200, … ms.
        await sleep(100 * (retries + 1));
      }
    }
  }
}

export function benchCassandra(ctx: RunContext): Client {
  const s = ctx.opts.settings;
  return createCassandraClient(cassandraConnection(s));
}

/** The rows persistence would write for these users: enriched by the same use case, written by the same repository. */
function userWrites(ctx: RunContext): UserWrite[] {
  const now = new Date();
  const batchId = `bench-${ctx.runId}-cassandra`;
  return ctx.users.map((payload) => {
    const r = enrichUser(payload, now);
    if (!r.ok)
      throw new Error(`generated user ${payload.login.uuid} does not enrich: ${JSON.stringify(r.reasons)}`);
    return {
      user: r.user,
      source: 'synthetic',
      batchId,
      eventId: randomUUID(),
      producedAt: now.toISOString(),
    };
  });
}

/** Writes as persistence groups a Kafka batch, `concurrency` records in flight; the wall time in ms. */
export async function timedWrites(
  repo: RetryingWriter,
  writes: readonly UserWrite[],
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  // Grouped into batches as persistence groups a Kafka batch; `concurrency` counts records in flight.
  const chunksAtOnce = Math.max(1, Math.ceil(concurrency / WRITE_CHUNK_LIMITS.maxRecords));
  for (const round of writeRounds(writes, (w) => w.user.userId, estimatedWriteBytes, WRITE_CHUNK_LIMITS)) {
    await forEachConcurrent(round, chunksAtOnce, (chunk) => repo.upsertMany(chunk));
  }
  return performance.now() - started;
}

/**
 * Raw write rate of the enriched rows with cassandra-driver, no Kafka, written as persistence writes
 * them (UNLOGGED batches of several users' upserts): a short probe of each
 * concurrency on a slice, then all N at the best one. These are the same people the pipeline writes
 * later, so the rows converge to the pipeline's (newer write timestamps win).
 */
export async function cassandraLimit(ctx: RunContext): Promise<CassandraLimitResult> {
  const writes = userWrites(ctx);
  const client = benchCassandra(ctx);
  await client.connect();
  try {
    // A saturating concurrency can time out a batch; the limit is what Cassandra sustains, so it is written again.
    const users = new UsersRepository(client);
    const repo = new RetryingWriter((chunk) => users.upsertMany(chunk));
    await timedWrites(repo, writes.slice(0, 200), 32); // prepares the statements, opens the pool
    const probeSize = Math.min(writes.length, ctx.opts.quick ? 1000 : 10_000);
    const probes: CassandraLimitResult['probes'] = [];
    for (const concurrency of ctx.opts.cassandraConcurrencies) {
      const retriedBefore = repo.timeoutsRetried;
      const ms = await timedWrites(repo, writes.slice(0, probeSize), concurrency);
      probes.push({
        concurrency,
        records: probeSize,
        recordsPerSec: perSecond(probeSize, ms),
        writeTimeoutsRetried: repo.timeoutsRetried - retriedBefore,
      });
      ctx.log(`cassandra-limit: probe concurrency ${concurrency}: ${perSecond(probeSize, ms)} records/s`);
    }
    const best = probes.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
    const { result: wallMs, engineCpuMsPerRecord } = await meterEngine(
      ctx.opts.settings.SPARKFLOW_HOME,
      'cassandra',
      writes.length,
      () => timedWrites(repo, writes, best.concurrency),
    );
    ctx.log(
      `cassandra-limit: ${writes.length} records at concurrency ${best.concurrency} in ${Math.round(wallMs)} ms; ` +
        `Cassandra ${engineCpuMsPerRecord} CPU-ms per user; ${repo.timeoutsRetried} batches written again after a timeout`,
    );
    return {
      records: writes.length,
      statementsPerRecord: STATEMENTS_PER_USER,
      recordsPerBatch: WRITE_CHUNK_LIMITS.maxRecords,
      probes,
      concurrency: best.concurrency,
      wallMs: Math.round(wallMs),
      recordsPerSec: perSecond(writes.length, wallMs),
      cassandraCpuMsPerUser: engineCpuMsPerRecord,
      writeTimeoutsRetried: repo.timeoutsRetried,
    };
  } finally {
    await client.shutdown();
  }
}
