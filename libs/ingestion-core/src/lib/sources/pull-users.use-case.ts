import { Seed } from './seed';
import { z } from 'zod';
import type { RandomUserClient } from '@sparkflow/sources';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { BodyHeaders, RequestOutcome } from '../request/request-outcome';
import { generatedCount, ingestGeneratingRequest } from './generating-request';
import type { ChunkedReceipt } from './ingest-in-chunks';

/** A pull request's body: an unknown field is refused. */
export const pullRequest = (maxUsers: number) =>
  z.strictObject({
    count: generatedCount(maxUsers, 'pull with several seeds for more'),
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

  execute(body: unknown, headers?: BodyHeaders): Promise<RequestOutcome<ChunkedReceipt>> {
    return ingestGeneratingRequest(
      this.ingest,
      this.request,
      body,
      ({ seed, count, nat }) => ({
        source: 'randomuser-api',
        batchId: pullBatchId(seed, count),
        total: count,
        chunks: this.client.pages({ count, seed, nat }),
      }),
      headers,
    );
  }
}
