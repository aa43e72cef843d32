import {
  apiKeysEnv,
  httpPort,
  parseEnv,
  PostgresEnv,
  serviceBaseEnv,
  postgresPoolEnv,
  postgresPoolSplit,
} from '@sparkflow/service-kit';
import { z } from 'zod';
import { CONSUMER_GROUPS, TOPICS, topicSpec } from '@sparkflow/contracts';
import { AUDIT_POOL, AUDIT_POOL_MAX } from '@sparkflow/audit-store';

/**
 * Kafka's `log.roll.hours` (7 days), which neither the brokers nor the topics change: a record is deleted
 * with its log segment, once the segment's newest record is older than the topic's retention, and a segment
 * is closed at the latest this long after its first record.
 */
const KAFKA_SEGMENT_ROLL_MS = 7 * 86_400_000;
/**
 * The fewest days retention may keep (unless 0, which keeps everything): as long as the broker may still
 * hold a users.raw record, its retention plus a segment's span. Only a users.raw record registers its batch,
 * and the audit reads it after the same event's other rows when its consumer of users.raw is behind, by up
 * to that long; until then those rows are filed under no registration, which retention forgets once quiet
 * for the period (ADR 27).
 */
export const AUDIT_RETENTION_MIN_DAYS = Math.ceil(
  (topicSpec(TOPICS.usersRaw).retentionMs + KAFKA_SEGMENT_ROLL_MS) / 86_400_000,
);

/** The audit's one PostgreSQL pool: `POSTGRES_POOL_MAX` (default 10) is all its own. */
export const AUDIT_POSTGRES_POOLS = { [AUDIT_POOL]: AUDIT_POOL_MAX };

const Env = serviceBaseEnv('audit')
  .extend(PostgresEnv.shape)
  .extend({
    AUDIT_HTTP_PORT: httpPort(3003),
    AUDIT_GROUP_ID: z.string().min(1).default(CONSUMER_GROUPS.audit),
    /** Comma-separated keys accepted in the `x-api-key` header of the query API (/v1/…). */
    AUDIT_API_KEYS: apiKeysEnv('dev-audit-key'),
    /**
     * Days the audit answers for a complete batch after its last row arrived; 0 keeps every batch for good
     * (ADR 27). The default is users.dlq's 30 days, so a dead letter that can still be replayed still has its
     * batch; with fewer, such a replay registers its batch anew. At least AUDIT_RETENTION_MIN_DAYS.
     */
    AUDIT_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .max(36_500)
      .refine((days) => days === 0 || days >= AUDIT_RETENTION_MIN_DAYS, {
        error:
          `0 (keep everything) or at least ${AUDIT_RETENTION_MIN_DAYS} days, as long as the broker may keep a ` +
          "users.raw record (its retention and a segment's span): a batch is registered by its raw records, " +
          'which the audit may read that much later than its other rows',
      })
      .default(30),
    /** Seconds between two passes of retention (the first runs at start). */
    AUDIT_RETENTION_EVERY_S: z.coerce.number().int().min(1).max(86_400).default(3_600),
  })
  .extend(postgresPoolEnv(AUDIT_POSTGRES_POOLS).shape)
  .transform(postgresPoolSplit(AUDIT_POSTGRES_POOLS));
export type AuditConfig = Readonly<z.infer<typeof Env>>;
export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');

/** `ConfigModule.forRoot`'s `validate`: the one parse of the environment, frozen; throws naming each bad variable. */
export const validateAuditConfig = (raw: Record<string, unknown>): AuditConfig => parseEnv('audit', Env, raw);
