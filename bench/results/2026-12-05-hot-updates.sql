-- Whether PostgreSQL 15 makes the `one-row` option's ack update heap-only (2026-12-05-audit-store-options.md).
-- Run as the stack's admin role on a scratch database it makes and drops:
--   PGPASSWORD=sparkflow-admin-dev psql -h 127.0.0.1 -U postgres -d postgres -q -At -f bench/results/2026-12-05-hot-updates.sql
-- Each block updates 20,000 rows as an ack does (terminal outcome and append time) and prints
-- n_tup_upd | n_tup_hot_upd. On 2026-12-05 it printed 20000|0, 20000|15476 and 20000|0:
--   1. the four indexes of `audit_fates`, BRIN included, fillfactor 100: none heap-only;
--   2. the three B-tree indexes, no BRIN, fillfactor 50 (room on every page): 15,476 heap-only;
--   3. the BRIN index alone, fillfactor 50: none heap-only.
DROP DATABASE IF EXISTS hotcheck;
CREATE DATABASE hotcheck;
\c hotcheck
CREATE TABLE f (event_id uuid PRIMARY KEY, user_id uuid, batch_id text, raw_produced_at timestamptz, terminal_outcome text, terminal_appended_at timestamptz);
CREATE INDEX ON f (batch_id); CREATE INDEX ON f (user_id); CREATE INDEX ON f (raw_produced_at, event_id);
CREATE INDEX f_brin ON f USING brin (terminal_appended_at);
INSERT INTO f SELECT gen_random_uuid(), gen_random_uuid(), 'b' || (g/100), now(), NULL, NULL FROM generate_series(1,20000) g;
UPDATE f SET terminal_outcome = 'persisted', terminal_appended_at = now();
SELECT pg_sleep(1);
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'f';
-- without the BRIN index, with room on the page
DROP TABLE f;
CREATE TABLE f (event_id uuid PRIMARY KEY, user_id uuid, batch_id text, raw_produced_at timestamptz, terminal_outcome text, terminal_appended_at timestamptz) WITH (fillfactor = 50);
CREATE INDEX ON f (batch_id); CREATE INDEX ON f (user_id); CREATE INDEX ON f (raw_produced_at, event_id);
INSERT INTO f SELECT gen_random_uuid(), gen_random_uuid(), 'b' || (g/100), now(), NULL, NULL FROM generate_series(1,20000) g;
UPDATE f SET terminal_outcome = 'persisted', terminal_appended_at = now();
SELECT pg_sleep(1);
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'f';
-- BRIN index, room on the page
DROP TABLE f;
CREATE TABLE f (event_id uuid PRIMARY KEY, user_id uuid, batch_id text, raw_produced_at timestamptz, terminal_outcome text, terminal_appended_at timestamptz) WITH (fillfactor = 50);
CREATE INDEX f_brin ON f USING brin (terminal_appended_at);
INSERT INTO f SELECT gen_random_uuid(), gen_random_uuid(), 'b' || (g/100), now(), NULL, NULL FROM generate_series(1,20000) g;
UPDATE f SET terminal_outcome = 'persisted', terminal_appended_at = now();
SELECT pg_sleep(1);
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'f';
\c postgres
DROP DATABASE hotcheck;
