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
