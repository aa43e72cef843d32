// Ingestion's Idempotency-Keys of POST /v1/users and POST /v1/backfills in PostgreSQL's `ingestion` schema,
// shared by every replica.
export * from './lib/idempotency-migrations';
export * from './lib/idempotency-keys.repository';
