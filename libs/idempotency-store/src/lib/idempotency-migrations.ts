import { CreateIdempotencyKeysTable1796256000000 } from './migrations/1796256000000-create-idempotency-keys-table';

/**
 * The Idempotency-Keys' TypeORM migrations (PostgreSQL's `ingestion` schema), in order. `@sparkflow/postgres`
 * runs them with every other schema's; append new ones here, never reorder or edit one that has shipped.
 */
export const IDEMPOTENCY_MIGRATIONS = [CreateIdempotencyKeysTable1796256000000];
