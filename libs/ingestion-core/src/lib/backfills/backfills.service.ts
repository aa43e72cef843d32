import { Seed } from '../sources/seed';
import { randomUUID } from 'node:crypto';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { RandomUser } from '@sparkflow/contracts';
import { batchEventId, ingestInChunks, slices } from '../sources/ingest-in-chunks';
import { parseRequest, type RequestOutcome } from '../request/request-outcome';
import { z } from 'zod';

const isoDay = z.iso.date();
const BACKFILL_ID = z.uuid();
const bothDays = (r: { from: string; to: string }) =>
  isoDay.safeParse(r.from).success && isoDay.safeParse(r.to).success;

export const BackfillRequest = z
  .object({
    from: isoDay,
    to: isoDay,
    perDay: z.number().int().min(1).max(100_000),
    seed: Seed.default('sparkflow'),
    source: z.enum(['synthetic']).default('synthetic'),
  })
  // Range checks only speak when both ends are dates; a malformed end is already reported on its own.
  .refine((r) => !bothDays(r) || r.from <= r.to, { message: '`from` must not be after `to`', path: ['to'] })
  .refine((r) => !bothDays(r) || daysBetween(r.from, r.to).length <= 366, {
    message: 'at most 366 days per backfill',
    path: ['to'],
  });
export type BackfillRequest = z.infer<typeof BackfillRequest>;

export interface BackfillBatch {
  day: string;
  batchId: string;
  expected: number;
  produced: number;
}

export interface Backfill {
  id: string;
  request: BackfillRequest;
  status: 'running' | 'produced' | 'failed';
  batches: BackfillBatch[];
  error?: string;
}

/**
 * Where backfills live so that every ingestion replica reads them and one works each: a lease per backfill
 * (`@sparkflow/backfill-store` keeps them in PostgreSQL).
 */
export interface BackfillRepository {
  readonly owner: string;
  readonly leaseSeconds: number;
  create(b: {
    id: string;
    request: unknown;
    batches: readonly Omit<BackfillBatch, 'produced'>[];
  }): Promise<void>;
  get(id: string): Promise<StoredBackfill | null>;
  claimExpired(): Promise<StoredBackfill | null>;
  recordProgress(id: string, position: number, produced: number): Promise<boolean>;
  renew(id: string): Promise<boolean>;
  finish(id: string, status: 'produced' | 'failed', error?: string | null): Promise<boolean>;
  release(id: string): Promise<boolean>;
}

export interface StoredBackfill {
  id: string;
  request: unknown;
  status: Backfill['status'];
  error: string | null;
  batches: BackfillBatch[];
}

export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let d = new Date(`${from}T00:00:00Z`);
    d <= new Date(`${to}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

/** The batch id of one backfill day: the same request always names (and generates) the same batch. */
export const backfillBatchId = (seed: string, day: string) => `backfill-${seed}-${day}`;

/** People `from`..`from + count - 1` of one backfill day; the same arguments always give the same people. */
export type DayGenerator = (seed: string, day: string, from: number, count: number) => RandomUser[];

/** What a backfill was stored with, back as the API shows it; a request that no longer parses is named. */
function toBackfill(stored: StoredBackfill): Backfill {
  const request = BackfillRequest.safeParse(stored.request);
  if (!request.success) {
    throw new Error(
      `backfill ${stored.id} holds a request this ingestion cannot read: ${request.error.message}`,
    );
  }
  return {
    id: stored.id,
    request: request.data,
    status: stored.status,
    batches: stored.batches,
    ...(stored.error === null ? {} : { error: stored.error }),
  };
}

export interface BackfillWorkerOptions {
  /** How often a replica looks for a backfill whose lease ran out. */
  pollMs: number;
  log?: (message: string) => void;
}

/**
 * Produces one deterministic batch per day, generated and produced in chunks so memory stays flat
 * whatever `perDay` is. Progress here is what ingestion produced; whether each batch went all the way
 * through is the audit's answer (`GET /v1/batches/:batchId`).
 *
 * Backfills live in the repository, not in this process: any replica answers `GET /v1/backfills/:id`, and
 * the replica holding a backfill's lease works it, recording progress after each chunk Kafka acknowledged.
 * When that replica dies, its lease runs out and another one (or it, restarted) resumes from the recorded
 * progress. The chunk that was in flight is produced again with the same event ids (`batchEventId`), so
 * the audit counts each person once and Cassandra's row is rewritten with the same cells.
 */
export class BackfillsService {
  private readonly working = new Map<string, Promise<void>>();
  private stopping = false;
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly generate: DayGenerator,
    private readonly repository: BackfillRepository,
    private readonly options: BackfillWorkerOptions = { pollMs: 2000 },
  ) {}

  /** `POST /v1/backfills`: 202 with the backfill it started, or 400 naming every bad field. */
  async request(body: unknown): Promise<RequestOutcome<Backfill>> {
    const parsed = parseRequest(BackfillRequest, body);
    return parsed.ok ? { status: 202, body: await this.start(parsed.data) } : parsed.refusal;
  }

  /** Stores the backfill with this replica's lease and starts working it. */
  async start(request: BackfillRequest): Promise<Backfill> {
    const backfill: Backfill = {
      id: randomUUID(),
      request,
      status: 'running',
      batches: daysBetween(request.from, request.to).map((day) => ({
        day,
        batchId: backfillBatchId(request.seed, day),
        expected: request.perDay,
        produced: 0,
      })),
    };
    await this.repository.create(backfill);
    this.work(backfill);
    return backfill;
  }

  async get(id: string): Promise<Backfill | undefined> {
    // Backfill ids are UUIDs: anything else names no backfill (and is never sent to the store).
    if (!BACKFILL_ID.safeParse(id).success) return undefined;
    const stored = await this.repository.get(id);
    return stored ? toBackfill(stored) : undefined;
  }

  /** Looks every `pollMs` for a backfill whose replica is gone, and resumes it. */
  startWorker(): void {
    this.poller = setInterval(() => {
      this.polling = this.polling
        .then(() => this.takeOverOne())
        .then(
          () => undefined,
          (err: unknown) =>
            this.options.log?.(
              `backfills: looking for an abandoned backfill failed: ${(err as Error).message}`,
            ),
        );
    }, this.options.pollMs);
  }

  /**
   * Stops taking backfills, lets each one in progress finish its chunk, then gives their leases up so
   * another replica resumes them at once instead of after the lease runs out.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poller);
    await this.polling;
    await Promise.all(this.working.values());
  }

  /** Resumes the oldest backfill whose lease ran out, if any; resolves with its id. */
  async takeOverOne(): Promise<string | null> {
    if (this.stopping) return null;
    const stored = await this.repository.claimExpired();
    if (!stored) return null;
    let backfill: Backfill;
    try {
      backfill = toBackfill(stored);
    } catch (err) {
      await this.repository.finish(stored.id, 'failed', (err as Error).message);
      return stored.id;
    }
    this.options.log?.(
      `backfills: resuming ${backfill.id} (${backfill.batches.reduce((n, b) => n + b.produced, 0)} produced) from a replica that stopped holding it`,
    );
    this.work(backfill);
    return backfill.id;
  }

  /** Resolves when the backfill this replica works is finished, handed over or released. */
  settled(id: string): Promise<void> {
    return this.working.get(id) ?? Promise.resolve();
  }

  private work(b: Backfill): void {
    const run = this.run(b).finally(() => this.working.delete(b.id));
    this.working.set(b.id, run);
  }

  private async run(b: Backfill): Promise<void> {
    const repo = this.repository;
    let held = true;
    // A chunk may take longer than the lease when Kafka is slow: renew on a timer as well as on progress.
    const renewal = setInterval(
      () => {
        void repo.renew(b.id).then(
          (ok) => (held &&= ok),
          () => undefined,
        );
      },
      (repo.leaseSeconds * 1000) / 3,
    );
    try {
      for (const [position, batch] of b.batches.entries()) {
        if (batch.produced >= batch.expected) continue;
        await ingestInChunks(
          this.ingest,
          {
            source: 'backfill',
            batchId: batch.batchId,
            total: batch.expected,
            startAt: batch.produced,
            eventIdOf: (index) => batchEventId(batch.batchId, index),
            chunks: slices(
              batch.expected,
              (from, n) => this.generate(b.request.seed, batch.day, from, n),
              undefined,
              batch.produced,
            ),
          },
          async (produced) => {
            batch.produced = produced;
            held = held && (await repo.recordProgress(b.id, position, produced));
            return held && !this.stopping;
          },
        );
        if (!held || this.stopping) break;
      }
      if (!held) {
        this.options.log?.(`backfills: ${b.id} is held by another replica now; stopped working it`);
      } else if (this.stopping) {
        await repo.release(b.id);
      } else {
        await repo.finish(b.id, 'produced');
      }
    } catch (err) {
      await repo.finish(b.id, 'failed', (err as Error).message).catch(() => undefined);
    } finally {
      clearInterval(renewal);
    }
  }
}
