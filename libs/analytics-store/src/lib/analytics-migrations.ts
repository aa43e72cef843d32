import { CreateAnalyticsTables1795667700000 } from './migrations/1795667700000-create-analytics-tables';

/**
 * The `analytics` schema's TypeORM migrations, in order: the tables spark-jobs' `daily_user_aggregates`
 * replaces a day of at a time. They share the database, and its migration history, with the audit store;
 * `@sparkflow/postgres` runs both. Append new migrations here; never reorder or edit one that has shipped.
 */
export const ANALYTICS_MIGRATIONS = [CreateAnalyticsTables1795667700000];

/** The schema every analytics table lives in. */
export const ANALYTICS_SCHEMA = 'analytics';
