import { z } from 'zod';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { parseRequest, type BodyHeaders, type RequestOutcome } from '../request/request-outcome';
import { ingestInChunks, type ChunkedBatch, type ChunkedReceipt } from './ingest-in-chunks';

/** How many people a synthetic or pull request asks for: at most `maxUsers`, and `forMore` says where to go beyond. */
export const generatedCount = (maxUsers: number, forMore: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(maxUsers, {
      message: `at most ${maxUsers} users per request (INGESTION_MAX_GENERATED_USERS); ${forMore}`,
    });

/**
 * A request that makes people (synthetic, pull): its body read as `parseRequest` does (400 for an empty
 * body, 415 for one that is not JSON, 400 naming each bad field), then
 * the batch `toBatch` describes is produced chunk by chunk and answered 202 with its receipt.
 */
export async function ingestGeneratingRequest<S extends z.ZodType>(
  ingest: IngestUsersUseCase,
  schema: S,
  body: unknown,
  toBatch: (request: z.infer<S>) => ChunkedBatch,
  headers?: BodyHeaders,
): Promise<RequestOutcome<ChunkedReceipt>> {
  const parsed = parseRequest(schema, body, headers);
  if (!parsed.ok) return parsed.refusal;
  return { status: 202, body: await ingestInChunks(ingest, toBatch(parsed.data)) };
}
