--
-- 11_narrow_keys: leaves whose fences lie less than 2^32 apart store keys as
-- 32-bit offsets from their low fence (10-byte entries instead of 14).
-- Covers the build choosing the width, splits rewriting both pages, a
-- narrow rightmost leaf meeting a key beyond its range (it turns wide while
-- its entries fit a wide page, else splits at that key), and keys at the
-- int8 extremes.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS learned_am;
RESET client_min_messages;
SET max_parallel_workers_per_gather = 0;
SET default_statistics_target = 1000;

\i sql/include/cmp.sql

-- Dense ids: every leaf but the leftmost is narrow, so the index is well
-- under 0.6x a btree's size; keys spread over the whole int8 range are
-- not (each leaf spans far more than 2^32) and stay 14-byte entries.
CREATE TABLE n_dense (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO n_dense SELECT g, g FROM generate_series(1, 200000) g;
CREATE TABLE n_wide (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO n_wide SELECT hashint8extended(g, 0), g FROM generate_series(1, 200000) g;
CREATE INDEX n_dense_idx ON n_dense USING learned (id);
CREATE INDEX n_dense_bt ON n_dense USING btree (id);
CREATE INDEX n_wide_idx ON n_wide USING learned (id);
CREATE INDEX n_wide_bt ON n_wide USING btree (id);
SELECT pg_relation_size('n_dense_idx') < 0.6 * pg_relation_size('n_dense_bt') AS dense_under_0_6,
	   pg_relation_size('n_wide_idx') > 0.65 * pg_relation_size('n_wide_bt') AS wide_over_0_65,
	   pg_relation_size('n_wide_idx') < 0.75 * pg_relation_size('n_wide_bt') AS wide_under_0_75;
SELECT learned_index_check('n_dense_idx', true), learned_index_check('n_wide_idx', true);
-- Every leaf but the leftmost narrow on dense ids; none on spread keys.
SELECT narrow_leaf_pages = leaf_pages - 1 AS all_but_leftmost FROM learned_index_info('n_dense_idx');
SELECT narrow_leaf_pages FROM learned_index_info('n_wide_idx');
DROP INDEX n_dense_bt, n_wide_bt;
VACUUM ANALYZE n_dense;
VACUUM ANALYZE n_wide;

SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM n_dense WHERE id = 123457');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(v) FROM n_dense WHERE id >= 99990 AND id < 150011');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_dense WHERE id <= 3 OR id >= 199998 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT * FROM n_wide WHERE id = (SELECT hashint8extended(777, 0))');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM n_wide WHERE id > 0');
RESET enable_seqscan;

-- Random inserts split narrow leaves (both halves narrow again).
INSERT INTO n_dense SELECT (hashint8(g) & 262143) + 1, -g FROM generate_series(1, 30000) g;
SELECT learned_index_check('n_dense_idx', true);
SELECT splits > 0 AS split FROM learned_index_info('n_dense_idx');

-- Appends: ascending keys just past the end stay in the narrow rightmost
-- leaf; a key 2^40 further on lies beyond its range; then the int8
-- maximum, beyond that one too.
INSERT INTO n_dense SELECT 200000 + g, g FROM generate_series(1, 5000) g;
INSERT INTO n_dense VALUES (1099511627776, 1), (1099511627777, 2);
INSERT INTO n_dense SELECT 1099511627777 + g, g FROM generate_series(1, 3000) g;
INSERT INTO n_dense VALUES (9223372036854775807, 3), (9223372036854775806, 4);
SELECT learned_index_check('n_dense_idx', true);
VACUUM ANALYZE n_dense;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM n_dense WHERE id = 1099511627776');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(v) FROM n_dense WHERE id > 200000');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_dense ORDER BY id DESC LIMIT 5');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_dense WHERE id BETWEEN 204990 AND 1099511627780 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM n_dense WHERE id < 0');
RESET enable_seqscan;

-- An emptied narrow rightmost leaf takes a key beyond its range by turning
-- wide.
CREATE TABLE n_tail (id int8) WITH (autovacuum_enabled = off);
INSERT INTO n_tail SELECT g FROM generate_series(1, 20000) g;
CREATE INDEX n_tail_idx ON n_tail USING learned (id);
DELETE FROM n_tail WHERE id > 19000;
VACUUM (INDEX_CLEANUP ON) n_tail;
INSERT INTO n_tail VALUES (-9223372036854775808), (9223372036854775807), (5000000000);
INSERT INTO n_tail SELECT 9000000000 + g FROM generate_series(1, 2000) g;
SELECT learned_index_check('n_tail_idx', true);
VACUUM ANALYZE n_tail;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM n_tail WHERE id > 18990 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_tail WHERE id = 9223372036854775807 OR id = -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM n_tail WHERE id >= 9000000000');
RESET enable_seqscan;

-- VACUUM removes entries from narrow leaves.
DELETE FROM n_dense WHERE id % 3 = 0;
VACUUM (INDEX_CLEANUP ON) n_dense;
SELECT learned_index_check('n_dense_idx', true);
VACUUM ANALYZE n_dense;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(v) FROM n_dense WHERE id BETWEEN 1000 AND 260000');
SELECT * FROM pg_temp.cmp('SELECT * FROM n_dense WHERE id = 123456');
RESET enable_seqscan;

-- The two ways a narrow rightmost leaf takes a key beyond its range.  A
-- build of 521 + 700 keys: a wide leftmost leaf (521 at fillfactor 90) and
-- a narrow rightmost one of 700, more than a wide page holds: the far key
-- splits it (the left part stays narrow).  With 521 + 100 keys the
-- rightmost leaf turns wide instead.
CREATE TABLE n_far (id int8) WITH (autovacuum_enabled = off);
INSERT INTO n_far SELECT g FROM generate_series(1, 1221) g;
CREATE INDEX n_far_idx ON n_far USING learned (id);
SELECT leaf_pages, narrow_leaf_pages FROM learned_index_info('n_far_idx');
INSERT INTO n_far VALUES (1099511627776);
SELECT leaf_pages, narrow_leaf_pages FROM learned_index_info('n_far_idx');
SELECT learned_index_check('n_far_idx', true);
TRUNCATE n_far;
INSERT INTO n_far SELECT g FROM generate_series(1, 621) g;
REINDEX INDEX n_far_idx;
SELECT leaf_pages, narrow_leaf_pages FROM learned_index_info('n_far_idx');
INSERT INTO n_far VALUES (1099511627776);
SELECT leaf_pages, narrow_leaf_pages FROM learned_index_info('n_far_idx');
SELECT learned_index_check('n_far_idx', true);
VACUUM ANALYZE n_far;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM n_far WHERE id > 600 ORDER BY id');
RESET enable_seqscan;

DROP TABLE n_dense, n_wide, n_tail, n_far;
