--
-- growth: ascending appends and random inserts of several times the
-- built size; afterwards a point lookup with a warm cache still reads one
-- leaf page.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql
\set explain_sql :abs_srcdir '/sql/include/explain.sql'
\i :explain_sql

-- index_blocks(index): blocks of the index read or hit, as the cumulative
-- statistics have them once this backend's counts are flushed.
CREATE FUNCTION pg_temp.index_blocks(idx text) RETURNS int8
LANGUAGE sql AS $$
	SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes
	WHERE indexrelname = idx
$$;

SET enable_seqscan = off;

-- Ascending appends (a bigserial-like key): 50,000 keys at build, then
-- 250,000 more appended at the right end.  At fillfactor 60 the appended
-- leaves outgrow one record's list (32 leaves at build, pinned: the
-- automatic choice may take all 63 in one), so the record splits too.
CREATE TABLE ga (id int8, pad int4) WITH (autovacuum_enabled = off);
INSERT INTO ga SELECT g, g FROM generate_series(1, 50000) g;
CREATE INDEX ga_idx ON ga USING learned (id) WITH (fillfactor = 60, pages_per_record = 32);
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 49999');
INSERT INTO ga SELECT g, g FROM generate_series(50001, 100000) g;
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 99999');
INSERT INTO ga SELECT g, g FROM generate_series(100001, 200000) g;
INSERT INTO ga SELECT g, g FROM generate_series(200001, 300000) g;
SELECT learned_index_check('ga_idx', true);
SELECT entries, build_entries, splits > 0 AS split, records > 1 AS several_records,
	   leaf_pages < 700 AS appends_pack_densely
FROM learned_index_info('ga_idx');
ANALYZE ga;
VACUUM ga;
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 1');
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 50000');
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 50001');
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 300000');
SELECT * FROM pg_temp.cmp('SELECT * FROM ga WHERE id = 300001');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga WHERE id BETWEEN 49000 AND 51000');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga WHERE id > 299000');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga WHERE id = ANY(''{1, 50000, 50001, 123456, 250000, 300000, 300001}'')');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga ORDER BY id DESC LIMIT 5');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM ga ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM ga WHERE id > 0');

-- 1,000 point lookups, once the cache is warm, touch exactly 1,000 index
-- blocks: one leaf each (no metapage, no model page).  The plan is prepared
-- first so that planning reads nothing.
CREATE TEMP TABLE probe_a AS SELECT ((g * 7919) % 300000 + 1)::int8 AS k FROM generate_series(1, 1000) g;
SELECT count(DISTINCT k) FROM probe_a;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET plan_cache_mode = force_generic_plan;
PREPARE lookups_a AS SELECT count(*) FROM probe_a p JOIN ga ON ga.id = p.k;
EXPLAIN (COSTS OFF) EXECUTE lookups_a;
EXECUTE lookups_a;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_a AS SELECT pg_temp.index_blocks('ga_idx') AS before;
EXECUTE lookups_a;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('ga_idx') - before AS index_blocks_for_1000_lookups,
	   pg_temp.index_blocks('ga_idx') - before = 1000 AS one_leaf_per_lookup
FROM blocks_a;
-- The same seen by EXPLAIN: an index-only point lookup on an all-visible
-- table touches two buffers, the leaf and the visibility map page.
SELECT id FROM ga WHERE id = 123456;
SELECT * FROM pg_temp.explain_analyze('SELECT id FROM ga WHERE id = 123456', buffers => true);
-- A plain index scan: the leaf and the heap page.
SELECT * FROM pg_temp.explain_analyze('SELECT pad FROM ga WHERE id = 234567', buffers => true);
RESET plan_cache_mode;
RESET enable_hashjoin;
RESET enable_mergejoin;
DEALLOCATE ALL;

-- Random inserts: 50,000 scattered keys at build, then 100,000 more keys
-- falling between them, in scrambled order.
CREATE TABLE gr (id int8, pad int4) WITH (autovacuum_enabled = off);
INSERT INTO gr SELECT (g::int8 * 104729) % 1000003, g FROM generate_series(1, 50000) g;
CREATE INDEX gr_idx ON gr USING learned (id);
SELECT * FROM pg_temp.cmp('SELECT * FROM gr WHERE id = 104729');
INSERT INTO gr SELECT (g::int8 * 104729) % 1000003, g FROM generate_series(50001, 100000) g;
SELECT * FROM pg_temp.cmp('SELECT * FROM gr WHERE id = (100000::int8 * 104729) % 1000003');
INSERT INTO gr SELECT (g::int8 * 104729) % 1000003, g FROM generate_series(100001, 150000) g;
SELECT learned_index_check('gr_idx', true);
SELECT entries, build_entries, splits > 0 AS split FROM learned_index_info('gr_idx');
ANALYZE gr;
VACUUM gr;
SELECT * FROM pg_temp.cmp('SELECT * FROM gr WHERE id = (123456::int8 * 104729) % 1000003');
SELECT * FROM pg_temp.cmp('SELECT * FROM gr WHERE id = 0');
SELECT * FROM pg_temp.cmp('SELECT * FROM gr WHERE id BETWEEN 500000 AND 501000');
SELECT * FROM pg_temp.cmp('SELECT id FROM gr WHERE id < 5000');
SELECT * FROM pg_temp.cmp('SELECT id FROM gr WHERE id > 995000');
SELECT * FROM pg_temp.cmp('SELECT id FROM gr ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM gr ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM gr WHERE id >= 0');

CREATE TEMP TABLE probe_r AS SELECT (g::int8 * 104729) % 1000003 AS k FROM generate_series(1, 150000, 150) g;
SELECT count(DISTINCT k) FROM probe_r;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET plan_cache_mode = force_generic_plan;
PREPARE lookups_r AS SELECT count(*) FROM probe_r p JOIN gr ON gr.id = p.k;
EXPLAIN (COSTS OFF) EXECUTE lookups_r;
EXECUTE lookups_r;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE blocks_r AS SELECT pg_temp.index_blocks('gr_idx') AS before;
EXECUTE lookups_r;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.index_blocks('gr_idx') - before AS index_blocks_for_1000_lookups,
	   pg_temp.index_blocks('gr_idx') - before = 1000 AS one_leaf_per_lookup
FROM blocks_r;
SELECT id FROM gr WHERE id = 104729;
SELECT * FROM pg_temp.explain_analyze('SELECT id FROM gr WHERE id = 104729', buffers => true);
RESET plan_cache_mode;
RESET enable_hashjoin;
RESET enable_mergejoin;
DEALLOCATE ALL;

DROP TABLE ga, gr, probe_a, probe_r, blocks_a, blocks_r;

-- An inserting backend remembers the rightmost leaf and sends a key at or
-- after its low fence straight there, without the model
-- (learned_insert_rightmost).  In the same session, after ascending
-- appends that split the rightmost leaf many times: a key below every
-- other, keys inside earlier leaves, and the uniqueness check of keys that
-- are already there, in earlier leaves and in the rightmost one, must go
-- to their own leaves: a learned unique index and a btree one answer
-- alike, and both tables hold the same rows.
CREATE TABLE gfl (id int8) WITH (autovacuum_enabled = off);
CREATE TABLE gfb (id int8) WITH (autovacuum_enabled = off);
CREATE UNIQUE INDEX gfl_idx ON gfl USING learned (id) WITH (fillfactor = 50);
CREATE UNIQUE INDEX gfb_idx ON gfb USING btree (id);
INSERT INTO gfl SELECT 2 * g FROM generate_series(1, 20000) g;
INSERT INTO gfb SELECT 2 * g FROM generate_series(1, 20000) g;
SELECT leaf_pages > 10 AS several_leaves FROM learned_index_info('gfl_idx');
INSERT INTO gfl VALUES (40002), (0), (3), (20001), (40004);
INSERT INTO gfb VALUES (40002), (0), (3), (20001), (40004);
INSERT INTO gfl VALUES (10);
INSERT INTO gfb VALUES (10);
INSERT INTO gfl VALUES (40004);
INSERT INTO gfb VALUES (40004);
INSERT INTO gfl VALUES (40006), (20000);
INSERT INTO gfb VALUES (40006), (20000);
INSERT INTO gfl VALUES (40008), (-1), (40010);
INSERT INTO gfb VALUES (40008), (-1), (40010);
SELECT learned_index_check('gfl_idx', true);
SELECT (SELECT array_agg(id ORDER BY id) FROM gfl) =
	   (SELECT array_agg(id ORDER BY id) FROM gfb) AS same_rows,
	   (SELECT count(*) FROM gfl) AS row_count;
VACUUM ANALYZE gfl;
SELECT * FROM pg_temp.cmp('SELECT id FROM gfl WHERE id <= 10 OR id BETWEEN 19998 AND 20002 OR id >= 40000 ORDER BY id');
DROP TABLE gfl, gfb;
