import { DataSource, type DataSourceOptions } from 'typeorm';
import { integrationSettings } from './integration.config';
import { uniqueName } from './unique';

/** A PostgreSQL database of the test's own on the stack's server, migrated, dropped by `drop()`. */
export interface ScratchDatabase {
  /** The admin role's connection settings, without a database. */
  admin: { host: string; port: number; username: string; password: string };
  /** The database's name: `<prefix>_<unique>`. */
  database: string;
  /** An open connection to it as the admin role, after the migrations ran. */
  ds: DataSource;
  /** Closes `ds` and drops the database; safe to call after `ds.destroy()`. */
  drop(): Promise<void>;
}

/**
 * Creates a database only this test uses and runs `migrations` in it, so a test of a store touches
 * nothing of the stack's services (which would, for instance, take over the backfills a test releases).
 */
export async function scratchPostgresDatabase(
  prefix: string,
  migrations: DataSourceOptions['migrations'],
): Promise<ScratchDatabase> {
  const s = integrationSettings();
  const admin = {
    host: s.POSTGRES_HOST,
    port: s.POSTGRES_PORT,
    username: s.POSTGRES_ADMIN_USER,
    password: s.POSTGRES_ADMIN_PASSWORD,
  };
  const database = uniqueName(prefix).replaceAll('-', '_');
  const maintenance = await new DataSource({ type: 'postgres', ...admin, database: 'postgres' }).initialize();
  try {
    await maintenance.query(`CREATE DATABASE ${database}`);
    const ds = await new DataSource({ type: 'postgres', ...admin, database, migrations }).initialize();
    await ds.runMigrations();
    return {
      admin,
      database,
      ds,
      async drop() {
        if (ds.isInitialized) await ds.destroy();
        await maintenance.query(`DROP DATABASE IF EXISTS ${database}`);
        await maintenance.destroy();
      },
    };
  } catch (error) {
    await maintenance.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await maintenance.destroy();
    throw error;
  }
}
