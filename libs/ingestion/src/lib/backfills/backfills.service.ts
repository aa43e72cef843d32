import { randomUUID } from 'node:crypto';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { RandomUser } from '@sparkflow/contracts';
import { z } from 'zod';

const isoDay = z.iso.date();
const bothDays = (r: { from: string; to: string }) =>
  isoDay.safeParse(r.from).success && isoDay.safeParse(r.to).success;

export const BackfillRequest = z
  .object({
    from: isoDay,
    to: isoDay,
    perDay: z.number().int().min(1).max(100_000),
    seed: z.string().min(1).max(100).default('sparkflow'),
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

export type DayGenerator = (seed: string, day: string, count: number) => RandomUser[];

/**
 * Produces one deterministic batch per day. Progress here is what ingestion produced; whether each
 * batch went all the way through is the audit's answer (`GET /v1/batches/:batchId`).
 */
export class BackfillsService {
  private readonly backfills = new Map<string, Backfill>();

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly generate: DayGenerator,
  ) {}

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
        const users = this.generate(b.request.seed, batch.day, batch.expected);
        const receipt = await this.ingest.execute({ users, source: 'backfill', batchId: batch.batchId });
        batch.produced = receipt.accepted;
      }
      b.status = 'produced';
    } catch (err) {
      b.status = 'failed';
      b.error = (err as Error).message;
    }
  }
}
