--
-- fence_keys: keys equal to leaf fences.  A search for such a key may
-- start at the leaf before the fence or at the last leaf whose fence is
-- that key (a forward scan from a fence (k, tid) starts left of it, from a
-- fence (k, minus infinity) at it, a backward scan at the last fence of k),
-- and the same for records' first keys.  The model's windows must hold
-- every such start: learned_index_check verifies each fit's window against
-- its list and the root's against the records, at the fence keys.  Runs of
-- one key over several leaves, and runs across record boundaries.
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

CREATE TABLE fk (id int8) WITH (autovacuum_enabled = off);
-- 4,500 copies of each of 0..19 (two or three leaves each), 500 copies of
-- each of 100..139, then distinct keys.
INSERT INTO fk SELECT g / 4500 FROM generate_series(0, 89999) g;
INSERT INTO fk SELECT 100 + g / 500 FROM generate_series(0, 19999) g;
INSERT INTO fk SELECT 1000 + g FROM generate_series(0, 9999) g;
CREATE INDEX fk_l ON fk USING learned (id) WITH (fillfactor = 100, pages_per_record = 8);
VACUUM ANALYZE fk;
SELECT learned_index_check('fk_l', true);

-- The set-up is what the test needs: fence keys repeat within a record's
-- list, and a run of one key crosses from one record into the next.
SELECT count(*) FILTER (WHERE first_key = prev_last) AS runs_across_records
FROM (SELECT first_key, lag(last_fence_key) OVER (ORDER BY record) AS prev_last
	  FROM learned_index_model('fk_l')) m;

-- Through the index as by a sequential scan, forward and backward from
-- keys equal to fences (every row of the runs: count and first and last
-- heap TIDs, so a scan that started past a leaf of the run would differ).
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM fk WHERE id = 12');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM fk WHERE id = 16');
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid), max(ctid) FROM (SELECT ctid FROM fk WHERE id >= 12 AND id < 14 ORDER BY id) s');
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid), max(ctid) FROM (SELECT ctid FROM fk WHERE id <= 12 AND id > 10 ORDER BY id DESC) s');
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid), max(ctid) FROM (SELECT ctid FROM fk WHERE id < 16 AND id > 13 ORDER BY id DESC) s');
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid), max(ctid) FROM (SELECT ctid FROM fk WHERE id > 15 AND id < 18 ORDER BY id) s');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM fk WHERE id BETWEEN 4 AND 120');

-- Retrained (each record refitted on its own list), and after leaf splits
-- in the runs (stale fits: not checked) retrained again.
SELECT learned_index_retrain('fk_l');
SELECT learned_index_check('fk_l', true);
INSERT INTO fk SELECT 12 FROM generate_series(1, 4000);
INSERT INTO fk SELECT 110 FROM generate_series(1, 4000);
SELECT learned_index_check('fk_l', true);
SELECT learned_index_retrain('fk_l');
SELECT learned_index_check('fk_l', true);
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM fk WHERE id = 12');
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid), max(ctid) FROM (SELECT ctid FROM fk WHERE id <= 110 AND id > 108 ORDER BY id DESC) s');
RESET enable_seqscan;
RESET enable_bitmapscan;

DROP TABLE fk;
