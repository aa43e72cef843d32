import { CreateRateLimitTable1796169600000 } from './migrations/1796169600000-create-rate-limit-table';

/**
 * The rate limit's TypeORM migrations (PostgreSQL's `ingestion` schema), in order. `@sparkflow/postgres`
 * runs them with every other schema's; append new ones here, never reorder or edit one that has shipped.
 */
export const RATE_LIMIT_MIGRATIONS = [CreateRateLimitTable1796169600000];
