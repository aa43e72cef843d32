import { Seed, validSeed } from './seed';
import { z } from 'zod';
import { BATCH_ID_MAX_LENGTH, batchIdProblem } from '@sparkflow/contracts';
import { batchIdFieldProblem } from './batch-id-fits';
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

/**
 * A pull request's body: an unknown field is refused, and so is a request whose batch id (`pullBatchId`)
 * would be no batch id the audit can be asked for (`batchIdProblem`): named `seed` when the seed alone makes
 * it too long, else `nat`.
 */
export const pullRequest = (maxUsers: number) =>
  z
    .strictObject({
      count: generatedCount(maxUsers, 'pull with several seeds for more'),
      seed: Seed,
      nat: z.array(Nationality).max(50).optional(),
    })
    .superRefine(({ seed, count, nat = [] }, ctx) => {
      // A field refused on its own is already named.
      if (!validSeed(seed) || !Number.isSafeInteger(count) || !Array.isArray(nat)) return;
      const bySeed = batchIdFieldProblem(
        pullBatchId(seed, count),
        'seed',
        seed,
        `randomuser-<seed>-n${count}`,
      );
      if (bySeed) return ctx.addIssue({ code: 'custom', path: ['seed'], message: bySeed });
      const id = pullBatchId(seed, count, nat);
      if (batchIdProblem(id) === null) return;
      // `-nat-` and a code per nationality, commas between: 3 units each beyond the first's 2.
      const room = BATCH_ID_MAX_LENGTH - pullBatchId(seed, count).length - '-nat-'.length + 1;
      ctx.addIssue({
        code: 'custom',
        path: ['nat'],
        message:
          `${nat.length} nationalities make the batch id randomuser-<seed>-n${count}-nat-<codes> ${id.length} ` +
          `UTF-16 code units long; with this seed and count at most ${Math.max(0, Math.floor(room / 3))} fit ` +
          `(a batch id has at most ${BATCH_ID_MAX_LENGTH})`,
      });
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
