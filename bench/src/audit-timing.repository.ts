import { Client } from 'pg';
import type { IntegrationSettings } from '@sparkflow/testing';
import type { Journey } from './latency-profile';

// The audit's own batch SQL (libs/audit-store AuditEventsRepository) over a set of batches: the
// pipeline stages push many small batches, and percentiles of the union cannot be merged from the
// per-batch percentiles GET /v1/batches/:id returns.
const STATUS = `SELECT count(*) FILTER (WHERE outcome = 'ingested')::int AS ingested,
    count(*) FILTER (WHERE outcome = 'persisted')::int AS persisted,
    count(*) FILTER (WHERE outcome = 'dead-lettered')::int AS dead_lettered
  FROM audit_events WHERE batch_id = ANY($1)`;
const TIMING = `
  SELECT min(r.produced_at) AS first_ingested, max(p.produced_at) AS last_persisted, count(*)::int AS persisted,
    percentile_cont(0.50) WITHIN GROUP (ORDER BY extract(epoch FROM p.produced_at - r.produced_at) * 1000) AS p50,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM p.produced_at - r.produced_at) * 1000) AS p95,
    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM p.produced_at - r.produced_at) * 1000) AS p99,
    max(extract(epoch FROM p.produced_at - r.produced_at) * 1000) AS max
  FROM audit_events r
  JOIN audit_events p ON p.event_id = r.event_id AND p.topic = 'users.persisted'
  WHERE r.batch_id = ANY($1) AND r.topic = 'users.raw'`;
const JOURNEYS = `
  SELECT extract(epoch FROM r.produced_at) * 1000 AS ingested_ms, extract(epoch FROM p.produced_at) * 1000 AS persisted_ms
  FROM audit_events r
  JOIN audit_events p ON p.event_id = r.event_id AND p.topic = 'users.persisted'
  WHERE r.batch_id = ANY($1) AND r.topic = 'users.raw'`;

export interface BatchesStatus {
  ingested: number;
  persisted: number;
  deadLettered: number;
}

export interface BatchesTiming {
  firstIngestedAt: string;
  lastPersistedAt: string;
  persisted: number;
  /** Persisted per second from the first ingest to the last persisted acknowledgement, as the audit defines it. */
  throughputPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/** Read-only queries on the audit's PostgreSQL tables. */
export class AuditTimingRepository {
  private constructor(private readonly client: Client) {}

  static async connect(s: IntegrationSettings): Promise<AuditTimingRepository> {
    const client = new Client({
      host: s.POSTGRES_HOST,
      port: s.POSTGRES_PORT,
      user: s.POSTGRES_USER,
      password: s.POSTGRES_PASSWORD,
      database: s.POSTGRES_DB,
    });
    await client.connect();
    return new AuditTimingRepository(client);
  }

  async status(batchIds: string[]): Promise<BatchesStatus> {
    const { rows } = await this.client.query<{ ingested: number; persisted: number; dead_lettered: number }>(
      STATUS,
      [batchIds],
    );
    return { ingested: rows[0].ingested, persisted: rows[0].persisted, deadLettered: rows[0].dead_lettered };
  }

  async timing(batchIds: string[]): Promise<BatchesTiming> {
    const { rows } = await this.client.query<{
      first_ingested: Date | null;
      last_persisted: Date | null;
      persisted: number;
      p50: number;
      p95: number;
      p99: number;
      max: number;
    }>(TIMING, [batchIds]);
    const r = rows[0];
    if (!r.first_ingested || !r.last_persisted || r.persisted === 0)
      throw new Error('the audit has no persisted event for these batches');
    const seconds = (r.last_persisted.getTime() - r.first_ingested.getTime()) / 1000;
    return {
      firstIngestedAt: r.first_ingested.toISOString(),
      lastPersistedAt: r.last_persisted.toISOString(),
      persisted: r.persisted,
      throughputPerSec: Math.round(r.persisted / seconds),
      latencyMs: {
        p50: Math.round(Number(r.p50)),
        p95: Math.round(Number(r.p95)),
        p99: Math.round(Number(r.p99)),
        max: Math.round(Number(r.max)),
      },
    };
  }

  /** When each persisted record of these batches was ingested and persisted, on the services' wall clock. */
  async journeys(batchIds: string[]): Promise<Journey[]> {
    const { rows } = await this.client.query<{ ingested_ms: string; persisted_ms: string }>(JOURNEYS, [
      batchIds,
    ]);
    return rows.map((r) => ({ ingestedMs: Number(r.ingested_ms), persistedMs: Number(r.persisted_ms) }));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
