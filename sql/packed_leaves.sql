--
-- packed_leaves: a leaf packs each entry in the fewest bytes its own
-- contents need: keys as offsets from its low fence (1 to 8 bytes), heap
-- TIDs as block and offset numbers (16 to 32 and 8 to 16 bits, packed bit
-- to bit).  Covers the build choosing each page's format, splits rewriting
-- both pages, inserts whose key (beyond the rightmost leaf's range) or TID
-- (a heap offset past the width) the page's format cannot hold (rewritten
-- wider while the entries fit, else split), VACUUM, keys at the int8
-- extremes, and the main run, recent run and pending entries of a leaf
-- taking inserts.
--
SET max_parallel_workers_per_gather = 0;
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- Dense ids take 5 bytes an entry (2-byte key offsets, 16-bit heap
-- blocks, 8-bit offsets; the leftmost leaf's keys take 8, offsets from the
-- int8 minimum); keys spread over the whole int8 range take 10 (7-byte
-- offsets).  btree spends 20 on each.
CREATE TABLE n_dense (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO n_dense SELECT g, g FROM generate_series(1, 200000) g;
CREATE TABLE n_wide (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO n_wide SELECT hashint8extended(g, 0), g FROM generate_series(1, 200000) g;
CREATE INDEX n_dense_idx ON n_dense USING learned (id);
CREATE INDEX n_dense_bt ON n_dense USING btree (id);
CREATE INDEX n_wide_idx ON n_wide USING learned (id);
CREATE INDEX n_wide_bt ON n_wide USING btree (id);
SELECT pg_relation_size('n_dense_idx') < 0.4 * pg_relation_size('n_dense_bt') AS dense_under_0_4,
	   pg_relation_size('n_wide_idx') < 0.6 * pg_relation_size('n_wide_bt') AS wide_under_0_6;
SELECT learned_index_check('n_dense_idx', true), learned_index_check('n_wide_idx', true);
SELECT round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_dense_idx');
SELECT round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_wide_idx');
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

-- Random inserts split leaves (both halves rewritten in their own format).
INSERT INTO n_dense SELECT (hashint8(g) & 262143) + 1, -g FROM generate_series(1, 30000) g;
SELECT learned_index_check('n_dense_idx', true);
SELECT splits > 0 AS split FROM learned_index_info('n_dense_idx');

-- Appends: ascending keys just past the end stay in the rightmost leaf's
-- format; a key 2^40 further on lies beyond its range; then the int8
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

-- An emptied rightmost leaf takes keys beyond its range by widening.
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

-- VACUUM removes entries from packed leaves.
DELETE FROM n_dense WHERE id % 3 = 0;
VACUUM (INDEX_CLEANUP ON) n_dense;
SELECT learned_index_check('n_dense_idx', true);
VACUUM ANALYZE n_dense;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(v) FROM n_dense WHERE id BETWEEN 1000 AND 260000');
SELECT * FROM pg_temp.cmp('SELECT * FROM n_dense WHERE id = 123456');
RESET enable_seqscan;

-- The two ways a rightmost leaf takes a key beyond its range.  A build of
-- 663 + 345 keys in a small table: a leftmost leaf of 663 11-byte entries
-- (8-byte keys; 663 is 90% of the 737 that fit) and a rightmost one of 345
-- 5-byte entries.  A key 2^40 further on needs 5-byte offsets: the leaf is
-- rewritten with 8-byte entries, which 346 fit.  With 663 + 1045 keys the
-- rightmost leaf holds more than a page of 8-byte entries can (1,013): it
-- splits, keeping 1044 entries in their format (a fence at the far key
-- would need the wider one), the new page taking the last of them and the
-- far key.
CREATE TABLE n_far (id int8) WITH (autovacuum_enabled = off);
INSERT INTO n_far SELECT g FROM generate_series(1, 1008) g;
CREATE INDEX n_far_idx ON n_far USING learned (id);
SELECT leaf_pages, round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_far_idx');
INSERT INTO n_far VALUES (1099511627776);
SELECT leaf_pages, round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_far_idx');
SELECT learned_index_check('n_far_idx', true);
TRUNCATE n_far;
INSERT INTO n_far SELECT g FROM generate_series(1, 1708) g;
REINDEX INDEX n_far_idx;
SELECT leaf_pages, round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_far_idx');
INSERT INTO n_far VALUES (1099511627776);
SELECT leaf_pages, round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_far_idx');
SELECT learned_index_check('n_far_idx', true);
VACUUM ANALYZE n_far;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM n_far WHERE id > 1690 ORDER BY id');
RESET enable_seqscan;

-- A table growing past 256 heap blocks: block numbers take 16 bits from
-- the start, so the leaves keep their format (the split halves too), and
-- answers stay exact.
CREATE TABLE n_tid (id int8, pad text) WITH (autovacuum_enabled = off, fillfactor = 100);
INSERT INTO n_tid SELECT 2 * g, 'row ' || g FROM generate_series(1, 35000) g;
CREATE INDEX n_tid_idx ON n_tid USING learned (id);
SELECT pg_relation_size('n_tid') / 8192 < 256 AS heap_under_256_blocks,
	   round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_tid_idx');
INSERT INTO n_tid SELECT 2 * g + 1, 'new row ' || g FROM generate_series(1, 30000) g;
SELECT pg_relation_size('n_tid') / 8192 > 256 AS heap_over_256_blocks,
	   round(mean_entry_bytes::numeric, 2), splits > 0 AS split
FROM learned_index_info('n_tid_idx');
SELECT learned_index_check('n_tid_idx', true);
VACUUM ANALYZE n_tid;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), min(id), max(id) FROM n_tid WHERE id BETWEEN 30000 AND 70000');
SELECT * FROM pg_temp.cmp('SELECT * FROM n_tid WHERE id = 59999');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_tid WHERE id > 69990 ORDER BY id DESC');
RESET enable_seqscan;

-- A leaf's three parts: the main run (1,000 keys at build, two leaves),
-- then keys inserted between them in scrambled order.  Every 64 pending
-- entries merge into the recent run; past 256 recent entries, that run
-- merges into the main one.  Lookups, ranges and ordered scans merge the
-- three parts; VACUUM merges everything into the main run.
CREATE TABLE n_runs (id int8) WITH (autovacuum_enabled = off);
INSERT INTO n_runs SELECT 2 * g FROM generate_series(1, 1000) g;
CREATE INDEX n_runs_idx ON n_runs USING learned (id);
VACUUM ANALYZE n_runs;
SET enable_seqscan = off;
-- About 100 each: recent runs of 64 and pending entries.
INSERT INTO n_runs SELECT 2 * ((g * 7919) % 1000) + 1 FROM generate_series(1, 200) g;
SELECT learned_index_check('n_runs_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM n_runs WHERE id BETWEEN 1150 AND 1250 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM n_runs WHERE id > 1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_runs WHERE id IN (2, 1001, 1216, 1353, 1515, 1677, 1839) ORDER BY id DESC');
-- About 400 each: recent runs merged into the main runs, a split.
INSERT INTO n_runs SELECT 2 * ((g * 7919) % 1000) + 1 FROM generate_series(201, 1000) g;
SELECT learned_index_check('n_runs_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM n_runs WHERE id BETWEEN 1150 AND 1250 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM n_runs WHERE id > 1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM n_runs ORDER BY id DESC LIMIT 3');
DELETE FROM n_runs WHERE id % 3 = 0;
VACUUM n_runs;
SELECT learned_index_check('n_runs_idx', true);
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM n_runs WHERE id BETWEEN 100 AND 1900');
RESET enable_seqscan;

-- Heap offsets past 255, which need 9 bits: a row whose key is NULL
-- takes 28 bytes of a heap page, so after 250 of them a page still takes
-- keyed rows at offsets 251 to about 280.  3,000 odd keys at build; then
-- the 3,000 even keys between them, each page's keyed rows after its NULL
-- ones: the inner leaves they land in cannot hold the new offsets and are
-- rewritten wider (or split), and every TID must still lead to its row.
CREATE TABLE n_off (id int8) WITH (autovacuum_enabled = off, fillfactor = 100);
INSERT INTO n_off SELECT 2 * g - 1 FROM generate_series(1, 3000) g;
CREATE INDEX n_off_idx ON n_off USING learned (id);
SELECT round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_off_idx');
DO $$
BEGIN
	FOR p IN 0..49 LOOP
		INSERT INTO n_off SELECT NULL FROM generate_series(1, 250);
		INSERT INTO n_off SELECT 2 * (p * 60 + g) FROM generate_series(1, 60) g;
	END LOOP;
END
$$;
SELECT count(*) > 0 AS keyed_rows_past_offset_255
FROM n_off WHERE id % 2 = 0 AND (ctid::text::point)[1] > 255;
SELECT round(mean_entry_bytes::numeric, 2) FROM learned_index_info('n_off_idx');
SELECT learned_index_check('n_off_idx', true);
VACUUM ANALYZE n_off;
SET enable_seqscan = off;
SET enable_indexonlyscan = off;
SELECT * FROM pg_temp.cmp('SELECT id, ctid FROM n_off WHERE id BETWEEN 1 AND 6000 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id, ctid FROM n_off WHERE id IN (2, 1000, 2998, 2999, 3000) ORDER BY id DESC');
RESET enable_indexonlyscan;
RESET enable_seqscan;

DROP TABLE n_dense, n_wide, n_tail, n_far, n_tid, n_runs, n_off;
