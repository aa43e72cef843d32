import { Seed } from './seed';
import { z } from 'zod';
import type { RandomUserClient } from '@sparkflow/sources';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { BodyHeaders, RequestOutcome } from '../request/request-outcome';
import { generatedCount, ingestGeneratingRequest } from './generating-request';
import type { ChunkedReceipt } from './ingest-in-chunks';

/** randomuser's nationalities are two-letter codes (`GB`, `US`), taken in either case. */
const Nationality = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'a two-letter nationality code, e.g. "GB"')
  .transform((code) => code.toUpperCase());

/** A pull request's body: an unknown field is refused. */
export const pullRequest = (maxUsers: number) =>
  z.strictObject({
    count: generatedCount(maxUsers, 'pull with several seeds for more'),
    seed: Seed,
    nat: z.array(Nationality).max(50).optional(),
  });

/**
 * A pull's batch id names everything the upstream's answer follows from: the seed, the count and the
 * nationalities in the order asked (`randomuser-demo-n100-nat-GB,US`), so pulls of other people never
 * share a batch, whose report would then mix them. Read from the right it decodes one way (a list of
 * letters and commas, then `-n` and digits), so no two requests' ids collide whatever the seed holds.
 * No nationality and an empty list ask the upstream the same, and give the same id.
 */
export const pullBatchId = (seed: string, count: number, nat: readonly string[] = []) =>
  `randomuser-${seed}-n${count}${nat.length ? `-nat-${nat.join(',')}` : ''}`;

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
        batchId: pullBatchId(seed, count, nat),
        total: count,
        chunks: this.client.pages({ count, seed, nat }),
      }),
      headers,
    );
  }
}
