import { Seed, validSeed } from './seed';
import { z } from 'zod';
import { SparkflowErrorCode, nameBasedEventId, syntheticBatchId } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { SparkflowException } from '@sparkflow/errors';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { parseRequest, type BodyHeaders, type RequestOutcome } from '../request/request-outcome';
import {
  IDEMPOTENCY_KEY_TTL_S,
  bodyDigest,
  syntheticTimesScope,
  type KeyedPushStore,
} from '../push/idempotency-key';
import { storeDidNotAnswer } from '../backfills/store-errors';
import { generatedCount } from './generating-request';
import { batchIdFieldProblem } from './batch-id-fits';
import { ingestInChunks, slices, type ChunkedReceipt } from './ingest-in-chunks';

/** Default cap on the people one synthetic or pull request makes; more is a backfill's job. */
export const DEFAULT_MAX_GENERATED_USERS = 200_000;

/**
 * A synthetic request's body: an unknown field (a misspelt `Seed`) is refused, not left to a default, and so
 * is a seed too long for the batch id it names (`synthetic-<seed>-p<page>-n<count>`, `batchIdProblem`).
 */
export const syntheticRequest = (maxUsers: number) =>
  z
    .strictObject({
      count: generatedCount(maxUsers, 'send several pages, or POST /v1/backfills for more'),
      seed: Seed.default('sparkflow'),
      page: z.number().int().min(1).default(1),
    })
    .superRefine(({ seed, page, count }, ctx) => {
      // A seed refused on its own (or a page or count that is no number) is already named.
      if (!validSeed(seed) || !Number.isSafeInteger(page) || !Number.isSafeInteger(count)) return;
      const problem = batchIdFieldProblem(
        syntheticBatchId(seed, page, count),
        'seed',
        seed,
        `synthetic-<seed>-p${page}-n${count}`,
      );
      if (problem) ctx.addIssue({ code: 'custom', path: ['seed'], message: problem });
    });

/** The batch of one synthetic request: the same seed, page and count always name the same batch. */
export { syntheticBatchId };

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
 * ids and the same event times. A client may retry a request that failed half-way (a 503, or a connection
 * cut after some chunks were produced), and the audit still counts each person once; Cassandra rewrites
 * byte-identical cells, so a retry never overwrites a push of the same person made since.
 *
 * The times: the first request of a batch proposes a base from this process's event clock and `times`
 * (the idempotency store, in PostgreSQL, shared by every replica) keeps the first proposal it was given
 * for the batch, 24 h (`IDEMPOTENCY_KEY_TTL_S`); every request of the batch, concurrent ones on other
 * replicas included, produces the person at index i at that base + i µs. While the store does not answer
 * the request is 503 POSTGRES_UNAVAILABLE with Retry-After and nothing is produced: times from the clock
 * would be newer than the first pass's and undo what was pushed since. After 24 h the same request is a
 * new pass: the same people and event ids at new, later times.
 */
export class SyntheticUsersUseCase {
  private readonly request: ReturnType<typeof syntheticRequest>;

  constructor(
    private readonly ingest: IngestUsersUseCase,
    maxUsers: number,
    private readonly times: KeyedPushStore,
  ) {
    this.request = syntheticRequest(maxUsers);
  }

  async execute(body: unknown, headers?: BodyHeaders): Promise<RequestOutcome<ChunkedReceipt>> {
    const parsed = parseRequest(this.request, body, headers);
    if (!parsed.ok) return parsed.refusal;
    const { seed, page, count } = parsed.data;
    const batchId = syntheticBatchId(seed, page, count);
    const first = await this.firstEventTime(batchId, { seed, page, count });
    const receipt = await ingestInChunks(this.ingest, {
      source: 'synthetic',
      batchId,
      total: count,
      chunks: slices(count, (from, n) => generateUsers({ seed, page, from, count: n })),
      eventIdOf: (index) => syntheticEventId(batchId, index),
      eventTimeOf: (index) => first + BigInt(index),
    });
    return { status: 202, body: receipt };
  }

  /** The batch's first event time (µs): the one kept for it, or this request's proposal if it is the first. */
  private async firstEventTime(
    batchId: string,
    request: { seed: string; page: number; count: number },
  ): Promise<bigint> {
    try {
      const kept = await this.times.claim(
        syntheticTimesScope(batchId),
        {
          batchId,
          firstEventMicros: this.ingest.reserveEventTimes(request.count),
          bodySha256: bodyDigest(request),
        },
        IDEMPOTENCY_KEY_TTL_S,
      );
      return kept.firstEventMicros;
    } catch (err) {
      throw syntheticTimesError(batchId, err);
    }
  }
}

/**
 * Why a synthetic batch was not produced: PostgreSQL, which keeps its event times, did not answer (503
 * POSTGRES_UNAVAILABLE, Retry-After: the same request succeeds later), or answered and refused the
 * statement (500 naming the SQLSTATE).
 */
export function syntheticTimesError(batchId: string, err: unknown): SparkflowException {
  const message = err instanceof Error ? err.message : String(err);
  if (storeDidNotAnswer(err)) {
    return new SparkflowException(
      SparkflowErrorCode.PostgresUnavailable,
      `the event times of synthetic batch ${batchId} are kept in PostgreSQL, which did not answer, so nothing was produced; send the same request again: ${message}`,
      { cause: err },
    );
  }
  const sqlstate = (err as { code?: unknown } | null)?.code;
  return new SparkflowException(
    SparkflowErrorCode.Unknown,
    `PostgreSQL refused the statement keeping the event times of synthetic batch ${batchId}${typeof sqlstate === 'string' ? ` (${sqlstate})` : ''}: ${message}`,
    { cause: err },
  );
}
