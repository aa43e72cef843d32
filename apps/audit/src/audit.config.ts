import { apiKeysEnv, httpPort, parseEnv, PostgresEnv, serviceBaseEnv } from '@sparkflow/service-kit';
import { z } from 'zod';
import { CONSUMER_GROUPS } from '@sparkflow/contracts';

const Env = serviceBaseEnv('audit')
  .extend(PostgresEnv.shape)
  .extend({
    AUDIT_HTTP_PORT: httpPort(3003),
    AUDIT_GROUP_ID: z.string().min(1).default(CONSUMER_GROUPS.audit),
    /** Comma-separated keys accepted in the `x-api-key` header of the query API (/v1/…). */
    AUDIT_API_KEYS: apiKeysEnv('dev-audit-key'),
  });
export type AuditConfig = Readonly<z.infer<typeof Env>>;
export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');

/** `ConfigModule.forRoot`'s `validate`: the one parse of the environment, frozen; throws naming each bad variable. */
export const validateAuditConfig = (raw: Record<string, unknown>): AuditConfig => parseEnv('audit', Env, raw);
