import { Seed } from './seed';
import { z } from 'zod';
import { nameBasedEventId } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { BodyHeaders, RequestOutcome } from '../request/request-outcome';
import { generatedCount, ingestGeneratingRequest } from './generating-request';
import { slices, type ChunkedReceipt } from './ingest-in-chunks';

/** Default cap on the people one synthetic or pull request makes; more is a backfill's job. */
export const DEFAULT_MAX_GENERATED_USERS = 200_000;

/** A synthetic request's body: an unknown field (a misspelt `Seed`) is refused, not left to a default. */
export const syntheticRequest = (maxUsers: number) =>
  z.strictObject({
    count: generatedCount(maxUsers, 'send several pages, or POST /v1/backfills for more'),
    seed: Seed.default('sparkflow'),
    page: z.number().int().min(1).default(1),
  });

/** The batch of one synthetic request: the same seed, page and count always name the same batch. */
export const syntheticBatchId = (seed: string, page: number, count: number) =>
  `synthetic-${seed}-p${page}-n${count}`;

/**
 * The event id of a synthetic batch's `index`-th person. The same seed, page and count make the same people
 * in the same order, so they get the same events: a request sent again changes no audit count.
 */
export const syntheticEventId = (batchId: string, index: number) =>
  nameBasedEventId(`sparkflow-synthetic-event:${batchId}:${index}`);

/**
 * `POST /v1/synthetic`: seeded people generated and produced in chunks, so memory stays flat whatever the
 * count; at most `maxUsers` per request.
 *
 * Idempotent. The same seed, page and count are the same batch of the same people under the same event
 * ids. A client may retry a request that failed half-way (a 503, or a connection cut after some chunks
 * were produced), and the audit still counts each person once; Cassandra keeps one row per person either
 * way. To make new people, change the seed or the page.
 */
export class SyntheticUsersUseCase {
  private readonly request: ReturnType<typeof syntheticRequest>;

  constructor(
    private readonly ingest: IngestUsersUseCase,
    maxUsers: number,
  ) {
    this.request = syntheticRequest(maxUsers);
  }

  execute(body: unknown, headers?: BodyHeaders): Promise<RequestOutcome<ChunkedReceipt>> {
    return ingestGeneratingRequest(
      this.ingest,
      this.request,
      body,
      ({ seed, page, count }) => {
        const batchId = syntheticBatchId(seed, page, count);
        return {
          source: 'synthetic',
          batchId,
          total: count,
          chunks: slices(count, (from, n) => generateUsers({ seed, page, from, count: n })),
          eventIdOf: (index) => syntheticEventId(batchId, index),
        };
      },
      headers,
    );
  }
}
