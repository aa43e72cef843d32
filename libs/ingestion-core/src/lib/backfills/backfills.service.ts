import { Seed } from '../sources/seed';
import { randomUUID } from 'node:crypto';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { RandomUser } from '@sparkflow/contracts';
import { ingestInChunks, slices } from '../sources/ingest-in-chunks';
import { parseRequest, type RequestOutcome } from '../request/request-outcome';
import { z } from 'zod';

const isoDay = z.iso.date();
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

/**
 * Produces one deterministic batch per day, generated and produced in chunks so memory stays flat
 * whatever `perDay` is. Progress here is what ingestion produced; whether each batch went all the way
 * through is the audit's answer (`GET /v1/batches/:batchId`).
 */
export class BackfillsService {
  private readonly backfills = new Map<string, Backfill>();

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly generate: DayGenerator,
  ) {}

  /** `POST /v1/backfills`: 202 with the backfill it started, or 400 naming every bad field. */
  request(body: unknown): RequestOutcome<Backfill> {
    const parsed = parseRequest(BackfillRequest, body);
    return parsed.ok ? { status: 202, body: this.start(parsed.data) } : parsed.refusal;
  }

  start(request: BackfillRequest): Backfill {
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
    this.backfills.set(backfill.id, backfill);
    void this.run(backfill);
    return backfill;
  }

  get(id: string): Backfill | undefined {
    return this.backfills.get(id);
  }

  private async run(b: Backfill): Promise<void> {
    try {
      for (const batch of b.batches) {
        await ingestInChunks(
          this.ingest,
          {
            source: 'backfill',
            batchId: batch.batchId,
            total: batch.expected,
            chunks: slices(batch.expected, (from, n) => this.generate(b.request.seed, batch.day, from, n)),
          },
          (produced) => (batch.produced = produced),
        );
      }
      b.status = 'produced';
    } catch (err) {
      b.status = 'failed';
      b.error = (err as Error).message;
    }
  }
}
