import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Idempotency-Keys of `POST /v1/users`, shared by every ingestion replica: per key (a digest of API
 * key and Idempotency-Key, never the API key) what every request under it produces again — the batch id
 * and first event time of its first request — and the digest of that request's body. Rows are written
 * once per keyed push and deleted on a timer after `expires_at`, hence the index on it.
 * Never edit once merged: add a new timestamped migration instead.
 */
export class CreateIdempotencyKeysTable1796256000000 implements MigrationInterface {
  name = 'CreateIdempotencyKeysTable1796256000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ingestion`);
    await q.query(`
      CREATE TABLE ingestion.idempotency_keys (
        key text PRIMARY KEY,
        batch_id text NOT NULL,
        -- The event time (µs since the epoch) of the request's first person; the one at position p gets + p.
        first_event_us bigint NOT NULL,
        body_sha256 text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expires_at ON ingestion.idempotency_keys (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ingestion.idempotency_keys`);
  }
}
