--
-- adversarial_keys: key sets built to defeat a linear model -- keys growing
-- as a cube, exponentially spaced clusters, huge duplicate runs, a few keys
-- near the int8 limits among dense small ones.  Whatever the model makes of
-- them, answers equal a sequential scan's and a warm point lookup reads one
-- leaf page (README invariant 3: bounded worst case).
--
SET max_parallel_workers_per_gather = 0;
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- index_blocks(index): blocks of the index read or hit, as the cumulative
-- statistics have them once this backend's counts are flushed.
CREATE FUNCTION pg_temp.index_blocks(idx text) RETURNS int8
LANGUAGE sql AS $$
	SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes
	WHERE indexrelname = idx
$$;

-- Warm point lookups: 1,000 probes through the index once the model cache
-- and the plan are warm touch exactly 1,000 index blocks, one leaf each
-- (counted from the cumulative statistics, flushed between statements).
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_bitmapscan = off;
SET enable_seqscan = off;
CREATE TEMP TABLE probes (k int8);

-- Keys growing as a cube: a line through them is wrong almost everywhere.
CREATE TABLE a_cube (id int8) WITH (autovacuum_enabled = off);
INSERT INTO a_cube SELECT g::int8 * g * g FROM generate_series(1, 100000) g;
CREATE INDEX a_cube_idx ON a_cube USING learned (id);
VACUUM ANALYZE a_cube;
SELECT learned_index_check('a_cube_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM a_cube WHERE id = 27000000000000');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_cube WHERE id = 27000000000001');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_cube WHERE id BETWEEN 1000 AND 1000000000');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_cube WHERE id > 999000000000000 ORDER BY id DESC LIMIT 3');
INSERT INTO probes SELECT ((g * 7919) % 100000 + 1)::int8 ^ 3 FROM generate_series(1, 1000) g;
SELECT count(*) FROM probes p JOIN a_cube t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_1 AS SELECT pg_temp.index_blocks('a_cube_idx') AS before;
SELECT count(*) FROM probes p JOIN a_cube t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_cube_idx') - before AS blocks_for_1000_lookups FROM blocks_1;

-- 2,000 clusters of 50 consecutive keys, the clusters exponentially apart.
CREATE TABLE a_clusters (id int8) WITH (autovacuum_enabled = off);
INSERT INTO a_clusters
	SELECT (1000 * 1.01 ^ c)::int8 * 1000 + i FROM generate_series(1, 2000) c, generate_series(0, 49) i;
CREATE INDEX a_clusters_idx ON a_clusters USING learned (id);
VACUUM ANALYZE a_clusters;
SELECT learned_index_check('a_clusters_idx', true);
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_clusters WHERE id BETWEEN 1000000 AND 100000000');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_clusters WHERE id = ANY(''{1009999, 1010000, 1010049, 1010050, 1020000}'')');
TRUNCATE probes;
INSERT INTO probes SELECT id FROM a_clusters ORDER BY hashint8(id) LIMIT 1000;
SELECT count(*) FROM probes p JOIN a_clusters t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_2 AS SELECT pg_temp.index_blocks('a_clusters_idx') AS before;
SELECT count(*) FROM probes p JOIN a_clusters t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_clusters_idx') - before AS blocks_for_1000_lookups FROM blocks_2;

-- Huge duplicate runs around a few distinct keys: a lookup of a distinct
-- key still reads one page; the runs themselves are read page by page.
CREATE TABLE a_dups (id int8) WITH (autovacuum_enabled = off);
INSERT INTO a_dups SELECT 7 FROM generate_series(1, 30000);
INSERT INTO a_dups SELECT 1000000000000 FROM generate_series(1, 30000);
INSERT INTO a_dups SELECT g * 1000 FROM generate_series(1, 20000) g;
CREATE INDEX a_dups_idx ON a_dups USING learned (id);
VACUUM ANALYZE a_dups;
SELECT learned_index_check('a_dups_idx', true);
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_dups WHERE id = 7');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_dups WHERE id = 1000000000000');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_dups WHERE id BETWEEN 7 AND 5000');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_dups WHERE id > 7 ORDER BY id LIMIT 3');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_dups WHERE id < 1000000000000 ORDER BY id DESC LIMIT 3');
TRUNCATE probes;
INSERT INTO probes SELECT ((g * 7919) % 20000 + 1) * 1000 FROM generate_series(1, 1000) g;
SELECT count(*) FROM probes p JOIN a_dups t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_3 AS SELECT pg_temp.index_blocks('a_dups_idx') AS before;
SELECT count(*) FROM probes p JOIN a_dups t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_dups_idx') - before AS blocks_for_1000_lookups FROM blocks_3;

-- Dense small keys with a few near the int8 limits.
CREATE TABLE a_limits (id int8) WITH (autovacuum_enabled = off);
INSERT INTO a_limits SELECT g FROM generate_series(1, 100000) g;
INSERT INTO a_limits VALUES (-9223372036854775808), (-9223372036854775807),
	(-9223372036854000000), (9223372036854000000), (9223372036854775806),
	(9223372036854775807);
CREATE INDEX a_limits_idx ON a_limits USING learned (id);
VACUUM ANALYZE a_limits;
SELECT learned_index_check('a_limits_idx', true);
SELECT * FROM pg_temp.cmp('SELECT id FROM a_limits WHERE id < -9223372036854775806');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_limits WHERE id > 9223372036854775805');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_limits WHERE id BETWEEN 500 AND 99500');
SELECT * FROM pg_temp.cmp('SELECT id FROM a_limits WHERE id = ANY(''{-9223372036854775808, 0, 1, 100000, 100001, 9223372036854775807}'')');
TRUNCATE probes;
INSERT INTO probes SELECT (g * 7919) % 100000 + 1 FROM generate_series(1, 1000) g;
SELECT count(*) FROM probes p JOIN a_limits t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_4 AS SELECT pg_temp.index_blocks('a_limits_idx') AS before;
SELECT count(*) FROM probes p JOIN a_limits t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_limits_idx') - before AS blocks_for_1000_lookups FROM blocks_4;

-- After inserts into the adversarial key sets, and a retrain, the same.
INSERT INTO a_cube SELECT g::int8 * g * g + 1 FROM generate_series(1, 100000, 3) g;
INSERT INTO a_limits SELECT g FROM generate_series(100001, 300000) g;
SELECT learned_index_retrain('a_cube_idx');
SELECT learned_index_retrain('a_limits_idx');
VACUUM ANALYZE a_cube;
VACUUM ANALYZE a_limits;
SELECT learned_index_check('a_cube_idx', true);
SELECT learned_index_check('a_limits_idx', true);
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_cube WHERE id BETWEEN 1000 AND 1000000000');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM a_limits WHERE id > 50000');
TRUNCATE probes;
INSERT INTO probes SELECT ((g * 7919) % 100000 + 1)::int8 ^ 3 FROM generate_series(1, 1000) g;
SELECT count(*) FROM probes p JOIN a_cube t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_5 AS SELECT pg_temp.index_blocks('a_cube_idx') AS before;
SELECT count(*) FROM probes p JOIN a_cube t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_cube_idx') - before AS blocks_for_1000_lookups FROM blocks_5;
TRUNCATE probes;
INSERT INTO probes SELECT (g * 7919) % 300000 + 1 FROM generate_series(1, 1000) g;
SELECT count(*) FROM probes p JOIN a_limits t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_6 AS SELECT pg_temp.index_blocks('a_limits_idx') AS before;
SELECT count(*) FROM probes p JOIN a_limits t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('a_limits_idx') - before AS blocks_for_1000_lookups FROM blocks_6;
