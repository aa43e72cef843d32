// The `analytics` schema of SparkFlow's PostgreSQL: written by the Spark jobs, created by TypeORM migrations.
export * from './lib/analytics-migrations';
