--
-- scans: every kind of scan on an int8 index, each compared with the
-- same query answered by a sequential scan.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql
\set explain_sql :abs_srcdir '/sql/include/explain.sql'
\i :explain_sql
-- From PostgreSQL 16 on the planner sorts an aggregate's ORDER BY input
-- below the Aggregate node (enable_presorted_aggregate); the plans shown
-- here are about the scans, so every version aggregates as 15 does.
DO $$
BEGIN
	IF current_setting('server_version_num')::int >= 160000 THEN
		SET enable_presorted_aggregate = off;
	END IF;
END
$$;

-- 200,003 distinct keys in a scrambled heap order (the multiples of 3 from
-- -300000 to 300006, so there are gaps), 1,500 more rows of one key (more than two
-- leaves' worth), and 700 NULLs.  Leaves filled to 30% (they pack these keys
-- in 5 bytes each), so that the keys span hundreds of leaves and several
-- records, as a table ten times the size would.
CREATE TABLE s8 (id int8, payload int4) WITH (autovacuum_enabled = off);
INSERT INTO s8
SELECT ((g::int8 * 7919) % 200003) * 3 - 300000, g
FROM generate_series(0, 200002) g;
INSERT INTO s8 SELECT 4242, g FROM generate_series(1, 1500) g;
INSERT INTO s8 SELECT NULL, g FROM generate_series(1, 700) g;
CREATE INDEX s8_idx ON s8 USING learned (id) WITH (fillfactor = 30);
ANALYZE s8;

SELECT learned_index_check('s8_idx', true);
SELECT records > 1 AS several_records, leaf_pages > 250 AS leaves,
	   entries = (SELECT count(id) FROM s8) AS entries_ok,
	   null_entries = (SELECT count(*) FROM s8 WHERE id IS NULL) AS null_entries_ok,
	   build_entries = entries AS build_entries_ok,
	   splits, unlisted_splits, fillfactor, generation >= 1 AS generation_ok,
	   max_window >= 1 AS window_ok, expected_pages_per_lookup >= 1 AS pages_ok,
	   cached_bytes >= 0 AS cached_ok
FROM learned_index_info('s8_idx');

SET enable_seqscan = off;

-- Equality with int2, int4 and int8 constants.
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 3');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 3::int2');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 3::int8');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = -300000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 300006');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 4242');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 4');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = -300001');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 300009');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = -9223372036854775808');
SELECT id, payload FROM s8 WHERE id = 3;

-- Ranges.
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id < -299000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id <= -299001');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 299000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id >= 298998');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id BETWEEN 1000 AND 5000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id BETWEEN 4241 AND 4243');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 4242 AND id < 4300');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id >= 4242::int2 AND id <= 4242::int4');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > -10::int2 AND id < 10::int2');
-- Open ranges covering most of the index, and the whole key space.
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id > -250000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id < 250000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id >= -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id <= 9223372036854775807');
-- Empty, contradictory and redundant conditions.
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 10 AND id < 5');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 6 AND id < 9');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id >= 7 AND id <= 8');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 3 AND id = 6');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 6 AND id > 5 AND id <= 6');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 100 AND id > 4000 AND id < 9000 AND id <= 5000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id < -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 300006');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id < -300000');

-- The same kinds of condition through plain index scans (amgettuple).
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 4242');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id < -299000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id >= 298998');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id BETWEEN 1000 AND 5000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 4242 AND id < 4300');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id >= 4241 AND id <= 4242');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 9223372036854775807');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id < -9223372036854775808');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{3, 6, 6, 4242, 4, -300000, 300006, NULL, 3}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{300, 15, 3}''::int4[]) AND id < 100');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT id, payload FROM s8 WHERE id BETWEEN -1000 AND 1000 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id, payload FROM s8 WHERE id BETWEEN -1000 AND 1000 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(''{30, 3, 15, 4242, 9, 30}''::int8[]) ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(''{30, 3, 15, 4242, 9, 30}''::int8[]) ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id IS NULL ORDER BY id DESC');
RESET enable_bitmapscan;

-- = ANY(array): duplicates, NULL elements, empty and NULL arrays.
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{3, 6, 6, 4242, 4, -300000, 300006, 3}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(ARRAY[9, NULL, 12, NULL]::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(ARRAY[NULL]::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(NULL::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{300, 15, 3}''::int4[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id IN (21, 24, 27) AND id > 22');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(ARRAY(SELECT g * 3 FROM generate_series(-2000, 2000) g))');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(''{30, 3, 15}''::int8[]) ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(''{30, 3, 15, 4242}''::int8[]) ORDER BY id DESC');

-- NULLs.
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id IS NOT NULL');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id IS NOT NULL AND id < -299000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id IS NULL AND id = 3');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = NULL::int8');

-- Order: forward and backward, with LIMIT and no Sort node.
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id LIMIT 10');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id DESC LIMIT 10');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id > 4200 ORDER BY id LIMIT 20');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id < 4300 ORDER BY id DESC LIMIT 20');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id <= 4242 ORDER BY id DESC LIMIT 1000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id BETWEEN -1000 AND 1000 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id BETWEEN -1000 AND 1000 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id > 299990 ORDER BY id DESC LIMIT 5');
SELECT id FROM s8 ORDER BY id LIMIT 3;
SELECT id FROM s8 ORDER BY id DESC LIMIT 3;
SELECT id FROM s8 WHERE id < 4245 ORDER BY id DESC LIMIT 3;
-- The whole table: NULLs last going forward, first going backward.
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id NULLS LAST LIMIT 1');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id DESC NULLS FIRST LIMIT 1');
SELECT id FROM s8 ORDER BY id DESC LIMIT 1;
SELECT id FROM s8 ORDER BY id OFFSET 201501 LIMIT 4;
RESET enable_bitmapscan;

-- A scrollable cursor changing direction mid-scan.
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM s8 WHERE id BETWEEN 4200 AND 4300 ORDER BY id;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 20 FROM c;
FETCH 3 FROM c;
FETCH LAST FROM c;
FETCH BACKWARD 2 FROM c;
FETCH FIRST FROM c;
FETCH BACKWARD 1 FROM c;
FETCH 1 FROM c;
CLOSE c;
DECLARE c2 SCROLL CURSOR FOR SELECT id FROM s8 ORDER BY id DESC;
FETCH 2 FROM c2;
FETCH ABSOLUTE 702 FROM c2;
FETCH BACKWARD 2 FROM c2;
MOVE LAST IN c2;
FETCH BACKWARD 3 FROM c2;
FETCH FORWARD 1 FROM c2;
CLOSE c2;
COMMIT;

-- Prepared statements with int2, int4 and int8 parameters, generic plans.
-- Each returns its row count and a digest of its rows; the same digests are
-- then computed by sequential scan.
CREATE FUNCTION pg_temp.rows_of(cond text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
	result text;
BEGIN
	EXECUTE 'SELECT count(*) || '' '' || coalesce(md5(string_agg(id || '':'' || payload, '','' ORDER BY id, payload)), '''') FROM s8 WHERE ' || cond
		INTO result;
	RETURN result;
END
$fn$;
SET plan_cache_mode = force_generic_plan;
PREPARE p4(int4) AS SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload, ',' ORDER BY id, payload)), '') AS r
	FROM s8 WHERE id = $1;
PREPARE p8(int8) AS SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload, ',' ORDER BY id, payload)), '') AS r
	FROM s8 WHERE id = $1;
PREPARE p2(int2) AS SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload, ',' ORDER BY id, payload)), '') AS r
	FROM s8 WHERE id = $1;
PREPARE prange(int8, int4) AS SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload, ',' ORDER BY id, payload)), '') AS r
	FROM s8 WHERE id >= $1 AND id < $2;
PREPARE pany(int8[]) AS SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload, ',' ORDER BY id, payload)), '') AS r
	FROM s8 WHERE id = ANY($1);
PREPARE pdesc(int8) AS SELECT id FROM s8 WHERE id <= $1 ORDER BY id DESC LIMIT 5;
EXPLAIN (COSTS OFF) EXECUTE p4(4242);
EXPLAIN (COSTS OFF) EXECUTE p8(4242);
EXPLAIN (COSTS OFF) EXECUTE p2(6);
EXPLAIN (COSTS OFF) EXECUTE prange(-1000, 1000);
EXPLAIN (COSTS OFF) EXECUTE pany('{1,2,3}');
EXPLAIN (COSTS OFF) EXECUTE pdesc(0);
EXECUTE p4(4242) \gset x01_
EXECUTE p4(3) \gset x02_
EXECUTE p4(4) \gset x03_
EXECUTE p4(NULL) \gset x04_
EXECUTE p8(-300000) \gset x05_
EXECUTE p8(300006) \gset x06_
EXECUTE p8(9223372036854775807) \gset x07_
EXECUTE p2(6) \gset x08_
EXECUTE p2(-32768) \gset x09_
EXECUTE prange(-1000, 1000) \gset x10_
EXECUTE prange(5000, -5000) \gset x11_
EXECUTE prange(4242, 4243) \gset x12_
EXECUTE pany('{9, 9, NULL, 4242, 300006}') \gset x13_
EXECUTE pany('{}') \gset x14_
EXECUTE pdesc(0);
EXECUTE pdesc(-299990);
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SET enable_seqscan = on;
SELECT e AS execution, split_part(via_index, ' ', 1)::int AS rows,
	   via_index = pg_temp.rows_of(cond) AS same_as_seqscan
FROM (VALUES ('p4(4242)', :'x01_r', 'id = 4242'),
			 ('p4(3)', :'x02_r', 'id = 3'),
			 ('p4(4)', :'x03_r', 'id = 4'),
			 ('p4(NULL)', :'x04_r', 'id = NULL'),
			 ('p8(-300000)', :'x05_r', 'id = -300000'),
			 ('p8(300006)', :'x06_r', 'id = 300006'),
			 ('p8(int8 max)', :'x07_r', 'id = 9223372036854775807'),
			 ('p2(6)', :'x08_r', 'id = 6'),
			 ('p2(-32768)', :'x09_r', 'id = -32768'),
			 ('prange(-1000, 1000)', :'x10_r', 'id >= -1000 AND id < 1000'),
			 ('prange(5000, -5000)', :'x11_r', 'id >= 5000 AND id < -5000'),
			 ('prange(4242, 4243)', :'x12_r', 'id >= 4242 AND id < 4243'),
			 ('pany({9,9,NULL,4242,300006})', :'x13_r', 'id IN (9, 4242, 300006)'),
			 ('pany({})', :'x14_r', 'false')) v(e, via_index, cond);
SELECT id FROM s8 WHERE id <= 0 ORDER BY id DESC LIMIT 5;
SELECT id FROM s8 WHERE id <= -299990 ORDER BY id DESC LIMIT 5;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET enable_indexonlyscan;
SET enable_seqscan = off;
-- A custom plan for the same statement.
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF) EXECUTE p8(4242);
EXECUTE p8(3);
RESET plan_cache_mode;
DEALLOCATE ALL;

-- Bitmap scans.
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 4242');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id BETWEEN -50000 AND 50000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = ANY(''{3, NULL, 6, 6, 4242}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id = 3 OR id = 6 OR id > 299000');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id IS NULL');
SELECT * FROM pg_temp.cmp('SELECT * FROM s8 WHERE id > 10 AND id < 5');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s8 WHERE id >= 0');
RESET enable_indexscan;
RESET enable_indexonlyscan;

-- Index-only scans once the table is all-visible.
VACUUM s8;
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id BETWEEN 100 AND 20000');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = 4242');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id = ANY(''{3, 4242, 5, 3}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 ORDER BY id DESC LIMIT 7');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s8 WHERE id < 0');
SELECT * FROM pg_temp.cmp('SELECT id FROM s8 WHERE id IS NULL');
SELECT * FROM pg_temp.explain_analyze('SELECT id FROM s8 WHERE id BETWEEN 100 AND 20000');
SELECT id FROM s8 WHERE id BETWEEN 4240 AND 4250 GROUP BY id ORDER BY id;

-- Merge join through the index on both sides.
CREATE TABLE s8b (id int8, tag int4) WITH (autovacuum_enabled = off);
INSERT INTO s8b SELECT g * 5, g FROM generate_series(-70000, 70000) g;
INSERT INTO s8b VALUES (4242, -1), (4242, -2), (NULL, -3);
CREATE INDEX s8b_idx ON s8b USING learned (id);
ANALYZE s8b;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET enable_sort = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(a.payload), sum(b.tag) FROM s8 a JOIN s8b b ON a.id = b.id');
SELECT * FROM pg_temp.cmp('SELECT a.id, b.tag FROM s8 a JOIN s8b b ON a.id = b.id WHERE a.id BETWEEN -3000 AND 3000 ORDER BY a.id');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s8 a LEFT JOIN s8b b ON a.id = b.id WHERE b.id IS NULL');
RESET enable_hashjoin;
RESET enable_sort;
-- Nested loop with the index on the inner side (a rescan per outer row).
SET enable_mergejoin = off;
RESET enable_nestloop;
SELECT * FROM pg_temp.cmp('SELECT b.id, a.payload FROM s8b b JOIN s8 a ON a.id = b.id WHERE b.tag BETWEEN 1 AND 400');
SELECT * FROM pg_temp.cmp('SELECT b.tag, a.payload FROM s8b b JOIN s8 a ON a.id = b.id + 1 WHERE b.tag BETWEEN -500 AND -1');
RESET enable_mergejoin;

-- The planner prefers the learned index to a btree for a point lookup.
RESET enable_seqscan;
CREATE INDEX s8_btree ON s8 USING btree (id);
ANALYZE s8;
EXPLAIN (COSTS OFF) SELECT * FROM s8 WHERE id = 3;
EXPLAIN (COSTS OFF) SELECT payload FROM s8 WHERE id = 300;
EXPLAIN (COSTS OFF) SELECT id FROM s8 WHERE id = 300;
SELECT * FROM s8 WHERE id = 3;
DROP INDEX s8_btree;

SELECT learned_index_check('s8_idx', true);
SELECT learned_index_check('s8b_idx', true);
DROP TABLE s8, s8b;
