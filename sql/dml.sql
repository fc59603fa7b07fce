--
-- dml: INSERT, UPDATE, DELETE, COPY, rollback and VACUUM after the
-- build; space reuse; TRUNCATE, REINDEX, VACUUM FULL, CLUSTER and
-- concurrent builds.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- Built on 60,000 even keys in scrambled order.
CREATE TABLE d (id int8, v text) WITH (autovacuum_enabled = off);
INSERT INTO d SELECT ((g * 7919) % 60013) * 2, 'b' || g FROM generate_series(1, 60000) g;
CREATE INDEX d_idx ON d USING learned (id);
ANALYZE d;
SELECT learned_index_check('d_idx', true);
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 1000');

-- Inserts between the built keys, duplicates, NULLs, keys beyond both ends.
INSERT INTO d SELECT ((g * 7919) % 60013) * 2 + 1, 'i' || g FROM generate_series(1, 30000) g;
INSERT INTO d SELECT 5000, 'dup' || g FROM generate_series(1, 2000) g;
INSERT INTO d SELECT NULL, 'n' || g FROM generate_series(1, 300) g;
INSERT INTO d SELECT -g, 'neg' || g FROM generate_series(1, 3000) g;
INSERT INTO d SELECT 200000 + g, 'hi' || g FROM generate_series(1, 3000) g;
-- Updates that move keys (to the right end) and that keep them.
UPDATE d SET id = id + 1000000 WHERE id BETWEEN 50000 AND 52000;
UPDATE d SET v = v || 'u' WHERE id BETWEEN 1000 AND 3000;
UPDATE d SET id = NULL WHERE id BETWEEN 3001 AND 3100;
UPDATE d SET id = 7 WHERE id IS NULL AND v LIKE 'n1%';
-- Deletes: scattered and a whole range.
DELETE FROM d WHERE id % 7 = 0;
DELETE FROM d WHERE id BETWEEN 80000 AND 90000;
DELETE FROM d WHERE id = 5000 AND v < 'dup5';
COPY d (id, v) FROM STDIN;
-9223372036854775808	copy-min
9223372036854775807	copy-max
\N	copy-null
5000	copy-dup
5000	copy-dup2
85000	copy-hole
85001	copy-hole2
1051000	copy-moved
123457	copy-new
0	copy-zero
\.
-- A rolled-back insert leaves dead entries behind.
BEGIN;
INSERT INTO d SELECT g, 'rb' || g FROM generate_series(100000, 110000) g;
ROLLBACK;

SELECT learned_index_check('d_idx', true);
SELECT entries >= (SELECT count(id) FROM d) AS entries_cover_heap, splits > 0 AS split
FROM learned_index_info('d_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 5000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 85000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 51000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 1051000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 105000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 79990 AND 90010');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 49990 AND 52010');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 99990 AND 110010');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id < 0');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id > 119000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = ANY(''{0, 1, 2, 5000, 85001, 123457, 3050}'')');
SELECT * FROM pg_temp.cmp('SELECT id FROM d ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM d ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT id FROM d WHERE id < 95000 ORDER BY id DESC LIMIT 20');
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 1000 AND 9000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id IS NULL OR id = 5000');
RESET enable_indexscan;
RESET enable_indexonlyscan;
SELECT count(*), min(v), max(v) FROM d WHERE id = 5000;

-- After VACUUM: entries match the heap exactly; index-only scans.
VACUUM d;
SELECT learned_index_check('d_idx', true);
SELECT entries = (SELECT count(id) FROM d) AS entries_ok,
	   null_entries = (SELECT count(*) FROM d WHERE id IS NULL) AS null_entries_ok
FROM learned_index_info('d_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id = 5000');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 79990 AND 90010');
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 99990 AND 110010');
SELECT * FROM pg_temp.cmp('SELECT id FROM d WHERE id BETWEEN 1000 AND 9000');
SELECT * FROM pg_temp.cmp('SELECT id FROM d ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM d ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM d WHERE id IS NULL');
-- Inserts after VACUUM reuse the emptied ranges.
INSERT INTO d SELECT g, 'again' || g FROM generate_series(80000, 90000) g;
SELECT learned_index_check('d_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM d WHERE id BETWEEN 79990 AND 90010');
SELECT * FROM pg_temp.cmp('SELECT id FROM d ORDER BY id');

-- Deleting a key range, vacuuming and inserting it again leaves the index
-- the same size: emptied pages stay in the chain and take the keys back.
CREATE TABLE reuse (id int8, pad int4) WITH (autovacuum_enabled = off);
INSERT INTO reuse SELECT g, g FROM generate_series(1, 100000) g;
CREATE INDEX reuse_idx ON reuse USING learned (id);
CREATE TEMP TABLE sizes AS SELECT 0 AS round, pg_relation_size('reuse_idx') AS size;
DELETE FROM reuse WHERE id BETWEEN 20001 AND 60000;
VACUUM reuse;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 19990 AND 20010');
INSERT INTO reuse SELECT g, -g FROM generate_series(20001, 60000) g;
INSERT INTO sizes SELECT 1, pg_relation_size('reuse_idx');
SELECT learned_index_check('reuse_idx', true);
-- Twice more, in a different order.
DELETE FROM reuse WHERE id BETWEEN 1 AND 100000 AND id % 2 = 0;
VACUUM reuse;
INSERT INTO reuse SELECT g, -g FROM generate_series(100000, 2, -2) g;
INSERT INTO sizes SELECT 2, pg_relation_size('reuse_idx');
DELETE FROM reuse WHERE id > 50000;
VACUUM reuse;
INSERT INTO reuse SELECT 100001 - g, g FROM generate_series(1, 50000) g;
INSERT INTO sizes SELECT 3, pg_relation_size('reuse_idx');
SELECT learned_index_check('reuse_idx', true);
SELECT round, size = (SELECT size FROM sizes WHERE round = 0) AS same_size FROM sizes ORDER BY round;
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 19990 AND 20010');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id DESC');
SELECT count(*), count(DISTINCT id), min(id), max(id) FROM reuse;

-- Delete everything, vacuum, and refill with different keys.
DELETE FROM reuse;
VACUUM reuse;
SELECT learned_index_check('reuse_idx', true);
SELECT entries FROM learned_index_info('reuse_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 500');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id DESC');
INSERT INTO reuse SELECT g * 1000, g FROM generate_series(-3000, 3000) g;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 500000');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse WHERE id < 0');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id');

-- TRUNCATE, REINDEX, VACUUM FULL and CLUSTER give the index a new
-- relfilenode while this backend has its model cached.
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 5000');
TRUNCATE reuse;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 5000');
INSERT INTO reuse SELECT g * 3, g FROM generate_series(1, 20000) g;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 5001');
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 100 AND 200');
REINDEX INDEX reuse_idx;
SELECT learned_index_check('reuse_idx', true);
SELECT entries, build_entries, splits FROM learned_index_info('reuse_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 5001');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id DESC LIMIT 3');
DELETE FROM reuse WHERE id % 2 = 0;
VACUUM FULL reuse;
SELECT learned_index_check('reuse_idx', true);
SELECT entries, build_entries FROM learned_index_info('reuse_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id = 5001');
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 100 AND 200');
UPDATE reuse SET pad = -pad WHERE id < 300;
CLUSTER reuse USING reuse_idx;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 100 AND 400');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id');
SELECT id, pad FROM reuse ORDER BY id LIMIT 3;

-- Concurrent builds: the index is built empty, filled from the heap, and
-- validated through ambulkdelete.
CREATE INDEX CONCURRENTLY reuse_pad_idx ON reuse USING learned (pad);
SELECT learned_index_check('reuse_pad_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE pad BETWEEN -200 AND 200');
REINDEX INDEX CONCURRENTLY reuse_idx;
SELECT learned_index_check('reuse_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM reuse WHERE id BETWEEN 100 AND 400');
SELECT * FROM pg_temp.cmp('SELECT id FROM reuse ORDER BY id DESC');

DROP TABLE d, reuse, sizes;
