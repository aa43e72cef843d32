import { z } from 'zod';
import { SparkflowErrorCode } from './errors';

export const STAGES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;

export const DeadLetterReason = z.object({
  code: z.enum(SparkflowErrorCode),
  message: z.string(),
  /** Dotted path of the offending field (`location.postcode`), when the reason is about one field. */
  path: z.string().nullable(),
});
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/**
 * What `users.dlq` holds: enough to explain the failure and to replay the record unchanged.
 * The payload is kept exactly as received; bytes that are not UTF-8 are kept as base64. A dead letter
 * always fits `users.dlq`'s `max.message.bytes`: when the payload would not, it is cut
 * (`payloadTruncated`) and `payloadBytes`/`payloadSha256` identify the original, so a replay needs a
 * corrected value (`dlq replay --payload-file`). Ids and reasons are escaped (NUL, lone surrogates) and
 * clamped, so any store can record the dead letter itself.
 */
export const DeadLetter = z.object({
  stage: Stage,
  reasons: z.array(DeadLetterReason).min(1),
  originalTopic: z.string(),
  /** Null when ingestion refused the record before it reached `originalTopic` (stage `ingestion`). */
  partition: z.number().int().min(0).nullable(),
  offset: z
    .string()
    .regex(/^\d+$/)
    .nullable(),
  key: z.string().nullable(),
  /** The envelope's event id when the record had a readable envelope. */
  originalEventId: z.string().nullable(),
  originalBatchId: z.string().nullable(),
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  /** True when `payload` is only the beginning of the record's value. */
  payloadTruncated: z.boolean().optional(),
  /** Size in bytes of the record's value as received. */
  payloadBytes: z.number().int().min(0).optional(),
  /** SHA-256 (hex) of the record's value as received. */
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * The record's Kafka timestamp (the broker's clock on every SparkFlow topic), null when it had none or
   * the record never reached `originalTopic`; absent on dead letters written before it was added.
   */
  originalAppendedAt: z.iso.datetime({ offset: true }).nullable().optional(),
  attempts: z.number().int().min(1),
  failedAt: z.iso.datetime({ offset: true }),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
