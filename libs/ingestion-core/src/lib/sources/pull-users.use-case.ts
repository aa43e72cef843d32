import { Seed } from './seed';
import { z } from 'zod';
import type { RandomUserClient } from '@sparkflow/sources';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { parseRequest, type RequestOutcome } from '../request/request-outcome';
import { ingestInChunks, type ChunkedReceipt } from './ingest-in-chunks';

export const pullRequest = (maxUsers: number) =>
  z.object({
    count: z
      .number()
      .int()
      .min(1)
      .max(maxUsers, {
        message: `at most ${maxUsers} users per request (INGESTION_MAX_GENERATED_USERS); pull with several seeds for more`,
      }),
    seed: Seed,
    nat: z.array(z.string().length(2)).optional(),
  });

export const pullBatchId = (seed: string, count: number) => `randomuser-${seed}-n${count}`;

/**
 * `POST /v1/pulls`: people from a randomuser-compatible API, produced page by page as they arrive, so at
 * most one page (the API's 5,000) is in memory.
 */
export class PullUsersUseCase {
  private readonly request: ReturnType<typeof pullRequest>;

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly client: RandomUserClient,
    maxUsers: number,
  ) {
    this.request = pullRequest(maxUsers);
  }

  async execute(body: unknown): Promise<RequestOutcome<ChunkedReceipt>> {
    const parsed = parseRequest(this.request, body);
    if (!parsed.ok) return parsed.refusal;
    const { seed, count, nat } = parsed.data;
    const receipt = await ingestInChunks(this.ingest, {
      source: 'randomuser-api',
      batchId: pullBatchId(seed, count),
      total: count,
      chunks: this.client.pages({ count, seed, nat }),
    });
    return { status: 202, body: receipt };
  }
}
