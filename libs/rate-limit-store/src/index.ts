// Ingestion's per-API-key rate limit in PostgreSQL's `ingestion` schema, shared by every ingestion replica.
export * from './lib/rate-limit-migrations';
export * from './lib/rate-limit.repository';
export * from './lib/shared-throttler-storage';
