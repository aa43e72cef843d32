import { CreateBackfillTables1796083200000 } from './migrations/1796083200000-create-backfill-tables';
import { CancelledBackfills1796688000000 } from './migrations/1796688000000-cancelled-backfills';

/**
 * The `ingestion` schema's TypeORM migrations, in order. They share the database and its migration
 * history with the audit store and the analytics schema; `@sparkflow/postgres` runs them all. Append
 * new migrations here; never reorder or edit one that has shipped.
 */
export const BACKFILL_MIGRATIONS = [CreateBackfillTables1796083200000, CancelledBackfills1796688000000];
