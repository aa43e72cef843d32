import { DataSource } from 'typeorm';
import { poolSize, type PoolSizes } from '@sparkflow/postgres-pool';
import { AuditEventEntity } from './entities/audit-event.entity';
import { BatchEntity } from './entities/batch.entity';
import { CreateAuditTables1764129600000 } from './migrations/1764129600000-create-audit-tables';
import { CoordinatesOfRefusedPeople1796342400000 } from './migrations/1796342400000-coordinates-of-refused-people';
import { BatchesNotYetComplete1796428800000 } from './migrations/1796428800000-batches-not-yet-complete';
import { BatchIdsAsStored1796515200000 } from './migrations/1796515200000-batch-ids-as-stored';
import { BrokerAppendTimes1796601600000 } from './migrations/1796601600000-broker-append-times';
import { RawEventsByEventTime1796774400000 } from './migrations/1796774400000-raw-events-by-event-time';
import { TerminalRowsByAppendTime1796860800000 } from './migrations/1796860800000-terminal-rows-by-append-time';
import { BatchesByRegistration1796947200000 } from './migrations/1796947200000-batches-by-registration';

export interface PostgresSettings {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  /** Each of the process's pools' share of its `POSTGRES_POOL_MAX`; without it, `AUDIT_POOL_MAX`. */
  pools?: PoolSizes;
}

/** The audit store's pool: its name in `pg_stat_activity` and in a process's `POSTGRES_POOL_MAX` split. */
export const AUDIT_POOL = 'sparkflow-audit';
/** Its size when the process sets no `POSTGRES_POOL_MAX`. */
export const AUDIT_POOL_MAX = 10;

export const AUDIT_ENTITIES = [AuditEventEntity, BatchEntity];
/** The database's one migration history, shared with the `analytics` schema's migrations (`@sparkflow/postgres`). */
export const AUDIT_MIGRATIONS_TABLE = 'typeorm_migrations';
/** In order. Append new migrations here; never reorder or edit one that has shipped. */
export const AUDIT_MIGRATIONS = [
  CreateAuditTables1764129600000,
  CoordinatesOfRefusedPeople1796342400000,
  BatchesNotYetComplete1796428800000,
  BatchIdsAsStored1796515200000,
  BrokerAppendTimes1796601600000,
  RawEventsByEventTime1796774400000,
  TerminalRowsByAppendTime1796860800000,
  BatchesByRegistration1796947200000,
];

/**
 * The audit store's DataSource: schema only ever changes through migrations (`synchronize` stays off). Its
 * pool holds at most its share of the process's `POSTGRES_POOL_MAX` (`s.pools`), `AUDIT_POOL_MAX` without one.
 */
export function createAuditDataSource(s: PostgresSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    host: s.host,
    port: s.port,
    username: s.username,
    password: s.password,
    database: s.database,
    entities: AUDIT_ENTITIES,
    migrations: AUDIT_MIGRATIONS,
    migrationsTableName: AUDIT_MIGRATIONS_TABLE,
    synchronize: false,
    migrationsRun: false,
    applicationName: AUDIT_POOL,
    extra: { max: poolSize(s.pools, AUDIT_POOL, AUDIT_POOL_MAX) },
  });
}

/**
 * Applies the audit store's pending migrations as `s`, which must be the database's owner role; returns the
 * names applied. A deployment runs `provisionPostgres` (`@sparkflow/postgres`), which migrates both schemas.
 */
export async function migrateAuditStore(s: PostgresSettings): Promise<string[]> {
  const ds = await createAuditDataSource(s).initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
