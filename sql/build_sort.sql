--
-- build_sort: CREATE INDEX's sort.  Entries are radix-sorted in memory
-- while they fit in maintenance_work_mem, in sorted runs written to
-- temporary files and merged past it, and through a tuplesort when the
-- runs would be too many for the budget; every way, duplicates must come
-- out in TID order, even where the table scan delivers them out of it (HOT
-- chains: a heap-only tuple is indexed under its chain's root TID, reported
-- when the scan reaches the tuple, after later line pointers of the page).
--
SET max_parallel_workers_per_gather = 0;
-- The serial build's sort (parallel_build tests each participant's).
SET max_parallel_maintenance_workers = 0;
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- Room on every page for HOT updates; keys repeat within a page, and run
-- from the int8 minimum to its maximum (every radix digit varies).
CREATE TABLE s_keys (id int8, pad int4) WITH (fillfactor = 40, autovacuum_enabled = off);
INSERT INTO s_keys
	SELECT CASE WHEN g % 1000 = 0 THEN -9223372036854775808
				WHEN g % 1000 = 1 THEN 9223372036854775807
				ELSE ((g % 97) - 48) * 190146847581232421 + (g % 5) END,
		   g
	FROM generate_series(1, 60000) g;
-- HOT updates: an unindexed column changes and the page has room.
UPDATE s_keys SET pad = -pad WHERE pad % 3 = 0;
SELECT count(*) FILTER (WHERE (ctid::text::point)[1] > 60) > 0 AS moved_within_pages
	FROM s_keys WHERE pad < 0;
VACUUM ANALYZE s_keys;

-- In memory (radix sort).
SET client_min_messages = debug1;
CREATE INDEX s_keys_idx ON s_keys USING learned (id);
RESET client_min_messages;
SELECT learned_index_check('s_keys_idx', true);
SELECT entries, build_entries FROM learned_index_info('s_keys_idx');
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id, pad FROM s_keys WHERE id = -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id, pad FROM s_keys WHERE id = 190146847581232423');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(pad) FROM s_keys WHERE id BETWEEN -190146847581232421 AND 380293695162464846');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_keys ORDER BY id DESC LIMIT 200');
RESET enable_seqscan;

-- Past maintenance_work_mem (1MB holds 32,768 entries and their scratch
-- copy): one sorted run in a temporary file, merged with the 27,232
-- entries left in memory.  Equal keys meet across the two, so the merge
-- must order them by TID.  The same index, entry for entry.
SET maintenance_work_mem = '1MB';
SET client_min_messages = debug1;
REINDEX INDEX s_keys_idx;
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT learned_index_check('s_keys_idx', true);
SELECT entries, build_entries FROM learned_index_info('s_keys_idx');
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id, pad FROM s_keys WHERE id = 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id, pad FROM s_keys WHERE id = 190146847581232423');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(pad) FROM s_keys WHERE id BETWEEN -190146847581232421 AND 380293695162464846');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_keys ORDER BY id LIMIT 200');
RESET enable_seqscan;

-- Far past it: 1MB allows 16 runs (each needs a read buffer), which hold
-- 524,288 entries; 600,000 go to a tuplesort instead, the runs written so
-- far too.  Keys repeat across the runs.
CREATE TABLE s_many (id int8) WITH (autovacuum_enabled = off);
INSERT INTO s_many
	SELECT CASE WHEN g % 7 = 0 THEN 5 ELSE (g * 2654435761) % 1000003 - 500000 END
	FROM generate_series(1, 600000) g;
VACUUM ANALYZE s_many;
SET maintenance_work_mem = '1MB';
SET client_min_messages = debug1;
CREATE INDEX s_many_idx ON s_many USING learned (id);
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT learned_index_check('s_many_idx', true);
SELECT entries, build_entries FROM learned_index_info('s_many_idx');
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid::text), max(ctid::text) FROM s_many WHERE id = 5');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM s_many WHERE id BETWEEN -1000 AND 250000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_many ORDER BY id DESC LIMIT 100');
RESET enable_seqscan;
-- Fewer than 524,288 entries: 15 runs and the rest in memory, merged.
DELETE FROM s_many WHERE id BETWEEN 100000 AND 300000;
SELECT count(*) FROM s_many;
VACUUM s_many;
SET maintenance_work_mem = '1MB';
SET client_min_messages = debug1;
REINDEX INDEX s_many_idx;
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT learned_index_check('s_many_idx', true);
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid::text), max(ctid::text) FROM s_many WHERE id = 5');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM s_many WHERE id BETWEEN -1000 AND 250000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_many ORDER BY id LIMIT 100');
RESET enable_seqscan;

-- In memory, 65,536 entries or more: split by the highest digit that
-- varies first.  s_many's keys straddle zero, so that digit makes two
-- parts (negative keys, positive keys) of over a hundred thousand entries,
-- each radix-sorted by its lower digits.
SET client_min_messages = debug1;
REINDEX INDEX s_many_idx;
RESET client_min_messages;
SELECT learned_index_check('s_many_idx', true);
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), min(ctid::text), max(ctid::text) FROM s_many WHERE id = 5');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM s_many WHERE id BETWEEN -250000 AND 1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_many WHERE id > -3 ORDER BY id LIMIT 100');
RESET enable_seqscan;
-- Keys hashed over the whole int8 range, each twice: the top digit makes
-- 512 parts of about 230 entries, each sorted by comparison of the key and
-- then the TID.
CREATE TABLE s_wide (id int8) WITH (autovacuum_enabled = off);
INSERT INTO s_wide SELECT hashint8extended(g % 60000, 3) FROM generate_series(1, 120000) g;
VACUUM ANALYZE s_wide;
SET client_min_messages = debug1;
CREATE INDEX s_wide_idx ON s_wide USING learned (id);
RESET client_min_messages;
SELECT learned_index_check('s_wide_idx', true);
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT ctid, id FROM s_wide WHERE id = hashint8extended(17, 3)');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id % 1000) FROM s_wide WHERE id BETWEEN -4611686018427387904 AND 123456789');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_wide ORDER BY id DESC LIMIT 100');
RESET enable_seqscan;

-- Small keys (int4): only the low digits vary, the others are skipped.
CREATE TABLE s_small (id int4) WITH (autovacuum_enabled = off);
INSERT INTO s_small SELECT (g * 7919) % 5003 FROM generate_series(1, 20000) g;
VACUUM ANALYZE s_small;
CREATE INDEX s_small_idx ON s_small USING learned (id);
SELECT learned_index_check('s_small_idx', true);
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s_small WHERE id >= 17 AND id < 4000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_small WHERE id = 2500');
RESET enable_seqscan;

DROP TABLE s_keys, s_many, s_wide, s_small;
