DROP DATABASE IF EXISTS loose_scan_check;
CREATE DATABASE loose_scan_check;
\c loose_scan_check
CREATE TABLE audit_events (event_id uuid NOT NULL, topic text NOT NULL, outcome text NOT NULL, batch_id text, recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (event_id, topic));
CREATE INDEX audit_events_batch_idx ON audit_events (batch_id, outcome);
CREATE TABLE batches (batch_id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
-- 1,000,000 batches (every push is one), 3 rows each; 1 in 1,000 left unregistered
INSERT INTO audit_events (event_id, topic, outcome, batch_id, recorded_at)
  SELECT gen_random_uuid(), t, 'persisted', 'http-push-' || lpad(i::text, 8, '0'), now() - interval '40 days'
  FROM generate_series(1, 1000000) i, unnest(ARRAY['users.raw','users.enriched','users.persisted']) t;
INSERT INTO batches (batch_id) SELECT 'http-push-' || lpad(i::text, 8, '0') FROM generate_series(1, 1000000) i WHERE i % 1000 <> 0;
VACUUM ANALYZE audit_events; VACUUM ANALYZE batches;
\timing on
-- The audit's UNREGISTERED_WITH_OLD_ROWS (libs/audit-store, audit-events.repository.ts), twice (`\g` sends it again): cold, then warm.
SELECT count(*) FROM (
  WITH RECURSIVE ids AS (
    (SELECT batch_id FROM audit_events WHERE batch_id IS NOT NULL ORDER BY batch_id LIMIT 1)
    UNION ALL
    SELECT (SELECT e.batch_id FROM audit_events e WHERE e.batch_id > ids.batch_id ORDER BY e.batch_id LIMIT 1)
    FROM ids WHERE ids.batch_id IS NOT NULL
  ), unregistered AS (
    SELECT batch_id FROM ids
    WHERE batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = ids.batch_id)
  )
  SELECT u.batch_id, c.rows FROM unregistered u
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS rows FROM audit_events e WHERE e.batch_id = u.batch_id AND e.recorded_at < now() - interval '30 days'
  ) c
  WHERE c.rows > 0
  ORDER BY u.batch_id) q;
\g
\c postgres
DROP DATABASE loose_scan_check;
