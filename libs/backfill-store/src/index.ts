// Backfills and their progress in PostgreSQL's `ingestion` schema, shared by every ingestion replica.
export * from './lib/backfill-migrations';
export * from './lib/backfill-store';
