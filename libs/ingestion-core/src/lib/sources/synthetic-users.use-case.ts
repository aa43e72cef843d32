import { Seed } from './seed';
import { z } from 'zod';
import { generateUsers } from '@sparkflow/sources';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { RequestOutcome } from '../request/request-outcome';
import { generatedCount, ingestGeneratingRequest } from './generating-request';
import { slices, type ChunkedReceipt } from './ingest-in-chunks';

/** Default cap on the people one synthetic or pull request makes; more is a backfill's job. */
export const DEFAULT_MAX_GENERATED_USERS = 200_000;

export const syntheticRequest = (maxUsers: number) =>
  z.object({
    count: generatedCount(maxUsers, 'send several pages, or POST /v1/backfills for more'),
    seed: Seed.default('sparkflow'),
    page: z.number().int().min(1).default(1),
  });

/** The batch of one synthetic request: the same seed, page and count always name the same batch. */
export const syntheticBatchId = (seed: string, page: number, count: number) =>
  `synthetic-${seed}-p${page}-n${count}`;

/**
 * `POST /v1/synthetic`: seeded people generated and produced in chunks, so memory stays flat whatever the
 * count; at most `maxUsers` per request.
 */
export class SyntheticUsersUseCase {
  private readonly request: ReturnType<typeof syntheticRequest>;

  constructor(
    private readonly ingest: IngestUsersUseCase,
    maxUsers: number,
  ) {
    this.request = syntheticRequest(maxUsers);
  }

  execute(body: unknown): Promise<RequestOutcome<ChunkedReceipt>> {
    return ingestGeneratingRequest(this.ingest, this.request, body, ({ seed, page, count }) => ({
      source: 'synthetic',
      batchId: syntheticBatchId(seed, page, count),
      total: count,
      chunks: slices(count, (from, n) => generateUsers({ seed, page, from, count: n })),
    }));
  }
}
