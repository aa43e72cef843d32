import { DataSource } from 'typeorm';
import { ANALYTICS_MIGRATIONS } from '@sparkflow/analytics-store';
import { AUDIT_MIGRATIONS, AUDIT_MIGRATIONS_TABLE, type PostgresSettings } from '@sparkflow/audit-store';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';

/** TypeORM reads a migration's timestamp from the last 13 digits of its class name. */
const timestampOf = (migration: { name: string }) => Number(/(\d{13})$/.exec(migration.name)?.[1]);

/**
 * Every migration of the database, in timestamp order: the audit store's (`public`), the analytics
 * schema's, ingestion's backfills, rate limit and Idempotency-Keys share one history table, so a database migrated before they were
 * split keeps its history as it is.
 */
export const POSTGRES_MIGRATIONS = [
  ...AUDIT_MIGRATIONS,
  ...ANALYTICS_MIGRATIONS,
  ...BACKFILL_MIGRATIONS,
  ...RATE_LIMIT_MIGRATIONS,
  ...IDEMPOTENCY_MIGRATIONS,
].sort((a, b) => timestampOf(a) - timestampOf(b));

/** Applies pending migrations of both schemas as `s`, which must be the database's owner role; returns the names applied. */
export async function migratePostgres(s: PostgresSettings): Promise<string[]> {
  const ds = await new DataSource({
    type: 'postgres',
    ...s,
    migrations: POSTGRES_MIGRATIONS,
    migrationsTableName: AUDIT_MIGRATIONS_TABLE,
    extra: { max: 1 },
  }).initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
