// SparkFlow's PostgreSQL database: its roles and privileges, and the migrations of the two schemas it holds
// (the audit store's tables in `public`, the Spark jobs' tables in `analytics`).
export * from './lib/postgres-migrations';
export * from './lib/provision-postgres';
