import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `analytics` schema written by spark-jobs `daily_user_aggregates`. The job replaces one day's
 * rows in a single transaction (delete that day, insert), so every table is keyed by `day` first.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CreateAnalyticsTables1795667700000 implements MigrationInterface {
  name = 'CreateAnalyticsTables1795667700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS analytics`);
    // One row per (day, dimension, value): users seen that UTC event day, e.g. ('2026-11-26', 'country', 'GB', 42).
    await q.query(`
      CREATE TABLE analytics.daily_user_counts (
        day date NOT NULL,
        dimension text NOT NULL CHECK (dimension IN ('country', 'gender', 'age_band', 'email_domain', 'seen')),
        value text NOT NULL,
        users int NOT NULL CHECK (users >= 0),
        avg_quality double precision,
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (day, dimension, value)
      )`);
    await q.query(`
      CREATE TABLE analytics.daily_user_summary (
        day date PRIMARY KEY,
        users int NOT NULL CHECK (users >= 0),
        countries int NOT NULL CHECK (countries >= 0),
        avg_quality double precision,
        new_users int NOT NULL CHECK (new_users >= 0),
        reseen_users int NOT NULL CHECK (reseen_users >= 0),
        computed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analytics.daily_user_summary`);
    await q.query(`DROP TABLE analytics.daily_user_counts`);
    await q.query(`DROP SCHEMA IF EXISTS analytics`);
  }
}
