--
-- edge_data: edge data: empty table, one row, all keys equal, NULLs only,
-- the int8 extremes, and a key with 10,000 duplicates.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

SET enable_seqscan = off;

-- Built on an empty table, then filled.
CREATE TABLE e_empty (id int8, v int4) WITH (autovacuum_enabled = off);
CREATE INDEX e_empty_idx ON e_empty USING learned (id);
SELECT learned_index_check('e_empty_idx', true);
SELECT entries, null_entries, build_entries FROM learned_index_info('e_empty_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id = 1');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_empty ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id IS NULL');
INSERT INTO e_empty VALUES (5, 1);
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id = 5');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id < 5');
INSERT INTO e_empty SELECT (g * 7919) % 20011, g FROM generate_series(1, 20000) g;
INSERT INTO e_empty SELECT NULL, g FROM generate_series(1, 100) g;
SELECT learned_index_check('e_empty_idx', true);
SELECT entries, null_entries, build_entries, splits > 0 AS split FROM learned_index_info('e_empty_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id = 5');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id = 20010');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id BETWEEN 1000 AND 1500');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_empty WHERE id < 3000');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_empty ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_empty ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_empty WHERE id = ANY(''{1, 5, 5, 20010, 30000}'')');

-- One row.
CREATE TABLE e_one (id int8) WITH (autovacuum_enabled = off);
INSERT INTO e_one VALUES (42);
CREATE INDEX e_one_idx ON e_one USING learned (id);
SELECT learned_index_check('e_one_idx', true);
SELECT entries, leaf_pages FROM learned_index_info('e_one_idx');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id = 42');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id = 41');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id = 43');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id < 42');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id <= 42');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id > 42');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id >= 42');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one ORDER BY id DESC LIMIT 1');
INSERT INTO e_one VALUES (41), (43), (-9223372036854775808), (9223372036854775807);
SELECT learned_index_check('e_one_idx', true);
SELECT id FROM e_one ORDER BY id;
SELECT id FROM e_one ORDER BY id DESC;
SELECT * FROM pg_temp.cmp('SELECT id FROM e_one WHERE id > 41');

-- One row, NULL.
CREATE TABLE e_onenull (id int8) WITH (autovacuum_enabled = off);
INSERT INTO e_onenull VALUES (NULL);
CREATE INDEX e_onenull_idx ON e_onenull USING learned (id);
SELECT learned_index_check('e_onenull_idx', true);
SELECT entries, null_entries FROM learned_index_info('e_onenull_idx');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_onenull WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_onenull WHERE id = 0');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_onenull ORDER BY id');
INSERT INTO e_onenull VALUES (0), (NULL);
SELECT * FROM pg_temp.cmp('SELECT id FROM e_onenull ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_onenull ORDER BY id DESC');

-- NULLs only: 5,000 of them (several NULL pages).
CREATE TABLE e_nulls (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO e_nulls SELECT NULL, g FROM generate_series(1, 5000) g;
CREATE INDEX e_nulls_idx ON e_nulls USING learned (id);
SELECT learned_index_check('e_nulls_idx', true);
SELECT entries, null_entries, null_pages > 1 AS several_null_pages FROM learned_index_info('e_nulls_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id IS NOT NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id = 1');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id > 0');
INSERT INTO e_nulls SELECT g, g FROM generate_series(1, 2000) g;
INSERT INTO e_nulls SELECT NULL, g FROM generate_series(1, 2000) g;
SELECT learned_index_check('e_nulls_idx', true);
SELECT entries, null_entries FROM learned_index_info('e_nulls_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id IS NOT NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_nulls WHERE id = 1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_nulls ORDER BY id DESC LIMIT 7002');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_nulls ORDER BY id LIMIT 2003');

-- All keys equal: 3,000 rows of 7.
CREATE TABLE e_same (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO e_same SELECT 7, g FROM generate_series(1, 3000) g;
CREATE INDEX e_same_idx ON e_same USING learned (id);
SELECT learned_index_check('e_same_idx', true);
SELECT entries, leaf_pages > 1 AS several_leaves FROM learned_index_info('e_same_idx');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 6');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 8');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id < 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id <= 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id > 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id >= 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id > 6 AND id < 8');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_same ORDER BY id DESC LIMIT 5');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_same WHERE id <= 7 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = ANY(''{7, 7, 8}'')');
-- Keys on both sides of the run arrive after the build.
INSERT INTO e_same SELECT 7, g FROM generate_series(3001, 4000) g;
INSERT INTO e_same VALUES (6, -1), (8, -2), (-9223372036854775808, -3), (9223372036854775807, -4);
SELECT learned_index_check('e_same_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id <> 7 AND id > -100');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id < 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id > 7');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 6');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_same WHERE id = 8');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_same ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_same ORDER BY id DESC');

-- The int8 extremes, present at build.
CREATE TABLE e_ext (id int8) WITH (autovacuum_enabled = off);
INSERT INTO e_ext VALUES (-9223372036854775808), (-9223372036854775807),
	(-9223372036854775806), (9223372036854775805), (9223372036854775806),
	(9223372036854775807), (NULL);
INSERT INTO e_ext SELECT g * 1000 FROM generate_series(-5000, 5000) g;
CREATE INDEX e_ext_idx ON e_ext USING learned (id);
SELECT learned_index_check('e_ext_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id = -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id = 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id < -9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id <= -9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id < -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id <= -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id > 9223372036854775806');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id >= 9223372036854775806');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id > 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id >= 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id > -9223372036854775808 AND id < 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id BETWEEN -9223372036854775808 AND -1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext WHERE id = ANY(''{-9223372036854775808, 9223372036854775807, 0}'')');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext ORDER BY id LIMIT 4');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext ORDER BY id DESC LIMIT 4');
SELECT id FROM e_ext ORDER BY id LIMIT 4;
SELECT id FROM e_ext ORDER BY id DESC LIMIT 4;
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_ext ORDER BY id DESC');

-- The int8 extremes arriving after a build on a narrow range.
CREATE TABLE e_late (id int8) WITH (autovacuum_enabled = off);
INSERT INTO e_late SELECT g FROM generate_series(1, 10000) g;
CREATE INDEX e_late_idx ON e_late USING learned (id);
INSERT INTO e_late VALUES (-9223372036854775808), (9223372036854775807),
	(-9223372036854775807), (9223372036854775806), (0), (10001);
INSERT INTO e_late SELECT g * 1000000000000 FROM generate_series(-9000000, 9000000, 3001) g;
SELECT learned_index_check('e_late_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id = -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id = 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id < -9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id > 9223372036854775806');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id < 1');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id > 10000');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late WHERE id BETWEEN 5000 AND 5010');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_late ORDER BY id DESC');

-- 10,000 duplicates of one key among distinct neighbours.
CREATE TABLE e_dup (id int8, v int4) WITH (autovacuum_enabled = off);
INSERT INTO e_dup SELECT g, g FROM generate_series(1, 5000) g;
INSERT INTO e_dup SELECT 2500, g FROM generate_series(1, 10000) g;
INSERT INTO e_dup SELECT g, g FROM generate_series(5001, 10000) g;
CREATE INDEX e_dup_idx ON e_dup USING learned (id);
SELECT learned_index_check('e_dup_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2500');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2499');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2501');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id BETWEEN 2499 AND 2501');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id > 2500 AND id < 2503');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id < 2500 AND id > 2497');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_dup WHERE id >= 2500 ORDER BY id LIMIT 10002');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_dup WHERE id <= 2500 ORDER BY id DESC LIMIT 10002');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = ANY(''{2500, 2499, 2500}'')');
SELECT count(*) FROM e_dup WHERE id = 2500;
-- More duplicates after the build (splits inside the run), then deletes.
INSERT INTO e_dup SELECT 2500, -g FROM generate_series(1, 5000) g;
INSERT INTO e_dup SELECT 2499, -g FROM generate_series(1, 600) g;
SELECT learned_index_check('e_dup_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2500');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2499');
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2501');
DELETE FROM e_dup WHERE id = 2500 AND v % 3 = 0;
VACUUM e_dup;
SELECT learned_index_check('e_dup_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM e_dup WHERE id = 2500');
SELECT * FROM pg_temp.cmp('SELECT id FROM e_dup WHERE id BETWEEN 2400 AND 2600 ORDER BY id DESC');
SELECT count(*) FROM e_dup WHERE id = 2500;
SELECT entries = (SELECT count(*) FROM e_dup) AS entries_ok FROM learned_index_info('e_dup_idx');

DROP TABLE e_empty, e_one, e_onenull, e_nulls, e_same, e_ext, e_late, e_dup;
