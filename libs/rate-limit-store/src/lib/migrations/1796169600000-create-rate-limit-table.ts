import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ingestion's per-API-key rate limit, shared by every replica: one row per key (a digest, never the key),
 * holding when each request it counted leaves the window. Rows are few (one per configured API key) and
 * updated on every request, so the table leaves room on each page for HOT updates (fillfactor) and has no
 * index but its key: an index on a column every request changes would make each update a non-HOT one.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CreateRateLimitTable1796169600000 implements MigrationInterface {
  name = 'CreateRateLimitTable1796169600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ingestion`);
    // toast_tuple_target at its maximum keeps a window of up to ~1,000 requests (8 bytes each) in the row,
    // uncompressed: no request compresses the array or moves it out of line to TOAST and back.
    await q.query(`
      CREATE TABLE ingestion.rate_limit_hits (
        key text PRIMARY KEY,
        -- When each request counted in the window leaves it, in ms since the epoch on PostgreSQL's clock.
        hits bigint[] NOT NULL,
        -- When the last counted request leaves the window: from then on the row limits nothing.
        expires_at bigint NOT NULL
      ) WITH (fillfactor = 50, toast_tuple_target = 8160)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ingestion.rate_limit_hits`);
  }
}
