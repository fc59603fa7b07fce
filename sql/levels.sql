--
-- levels: records in levels (README, "Pages" and "Inserts and splits").
-- learned.test_directory_capacity = 4 caps new record pages and the
-- metapage's directory at four entries, so that a few thousand rows need
-- the levels a huge index needs: a full record splits and its new half
-- enters its parent one level up; a full directory grows a level; CREATE
-- INDEX writes upper levels when level 1 does not fit the directory.
-- After each phase: learned_index_check (every level, every leaf listed
-- once), the levels, and answers compared with a sequential scan (ranges,
-- = ANY, backward, duplicates, index-only).
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

SET learned.test_directory_capacity = 4;

-- The answers of a few queries on table t, through the index (its plan
-- must use it) and by sequential scan: one line per query.
CREATE FUNCTION pg_temp.answers(t text, lo int8, hi int8) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	q text;
	lines text[];
BEGIN
	SET LOCAL enable_seqscan = off;
	FOREACH q IN ARRAY ARRAY[
		format('SELECT count(*), sum(id) FROM %I WHERE id BETWEEN %s AND %s', t, lo, hi),
		format('SELECT id FROM %I WHERE id >= %s ORDER BY id LIMIT 50', t, (lo + hi) / 2),
		format('SELECT id FROM %I WHERE id <= %s ORDER BY id DESC LIMIT 50', t, hi),
		format('SELECT id FROM %I ORDER BY id DESC LIMIT 5', t),
		format('SELECT id FROM %I WHERE id = ANY(ARRAY[%s, %s, %s, %s, -1])', t, lo, (lo + hi) / 3, (lo + hi) / 2, hi),
		format('SELECT count(*) FROM %I WHERE id = %s', t, (lo + hi) / 2),
		format('SELECT id FROM %I WHERE id BETWEEN %s AND %s ORDER BY id', t, hi - 300, hi)]
	LOOP
		lines := ARRAY(SELECT pg_temp.cmp(q));
		IF NOT EXISTS (SELECT FROM unnest(lines) l WHERE l ~ 'Index|Bitmap') THEN
			RETURN NEXT 'no index in the plan of: ' || q;
		END IF;
		RETURN QUERY SELECT l FROM unnest(lines) l WHERE l !~ '^ '
			AND l !~ '^(Limit|Aggregate|Sort|Index|Bitmap|Result|Unique)';
	END LOOP;
END
$fn$;

-- What the model looks like: its levels, and that no leaf is unlisted.
CREATE FUNCTION pg_temp.shape(idx regclass) RETURNS TABLE (levels int4, unlisted_splits int8, every_leaf_listed bool)
LANGUAGE sql AS $fn$
	SELECT levels, unlisted_splits, unlisted_splits = 0 FROM learned_index_info(idx)
$fn$;

-- 1. Ascending appends from a one-record index: the directory fills, a
-- level grows, then another.
CREATE TABLE lv_asc (id int8) WITH (autovacuum_enabled = off);
INSERT INTO lv_asc SELECT g FROM generate_series(1, 100) g;
CREATE INDEX lv_asc_idx ON lv_asc USING learned (id);
SELECT * FROM pg_temp.shape('lv_asc_idx');
INSERT INTO lv_asc SELECT g FROM generate_series(101, 20000) g;
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.shape('lv_asc_idx');
SELECT * FROM pg_temp.answers('lv_asc', 5000, 19000);
INSERT INTO lv_asc SELECT g FROM generate_series(20001, 60000) g;
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.shape('lv_asc_idx');
INSERT INTO lv_asc SELECT g FROM generate_series(60001, 150000) g;
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.shape('lv_asc_idx');
SELECT * FROM pg_temp.answers('lv_asc', 1, 150000);
SELECT * FROM pg_temp.answers('lv_asc', 77000, 91000);

-- Warm lookups read the leaf only: the lists of every level are kept in
-- the cache (within its budget), not read from their pages each time.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
CREATE TEMP TABLE lv_probes AS
SELECT (g * 7919 % 150000 + 1)::int8 AS k FROM generate_series(1, 500) g;
SELECT count(*) AS found FROM lv_probes p JOIN lv_asc t ON t.id = p.k;
-- This backend's own count from here (flushed as this statement ends).
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) AS found FROM lv_probes p JOIN lv_asc t ON t.id = p.k;
SELECT pg_stat_get_xact_blocks_fetched('lv_asc_idx'::regclass) AS blocks_of_500_warm_lookups;
COMMIT;
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- Index-only scans through every level.
VACUUM lv_asc;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM lv_asc WHERE id BETWEEN 99990 AND 100010 ORDER BY id DESC');
RESET enable_seqscan;
RESET enable_bitmapscan;

-- 2. Random keys into the three-level index: splits inside every level,
-- not only at the right end, and a fourth level; then a retrain refits
-- every level.
INSERT INTO lv_asc SELECT (g::int8 * 7919) % 300000 FROM generate_series(1, 40000) g;
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.shape('lv_asc_idx');
SELECT * FROM pg_temp.answers('lv_asc', 12345, 234567);
-- Keys below the smallest at build, descending: the leftmost record of
-- every level splits, and the first entry of each level's first record
-- keeps standing for minus infinity.
INSERT INTO lv_asc SELECT -g FROM generate_series(1, 30000) g;
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.shape('lv_asc_idx');
SELECT * FROM pg_temp.answers('lv_asc', -30000, 5000);
SELECT learned_index_retrain('lv_asc_idx');
SELECT learned_index_check('lv_asc_idx', true);
SELECT * FROM pg_temp.answers('lv_asc', 100, 299000);

-- 3. Duplicates spanning records: each key repeated 3000 times.
CREATE TABLE lv_dup (id int8) WITH (autovacuum_enabled = off);
CREATE INDEX lv_dup_idx ON lv_dup USING learned (id);
INSERT INTO lv_dup SELECT g / 3000 FROM generate_series(0, 59999) g;
INSERT INTO lv_dup SELECT g % 20 FROM generate_series(0, 29999) g;
SELECT learned_index_check('lv_dup_idx', true);
SELECT * FROM pg_temp.shape('lv_dup_idx');
SELECT * FROM pg_temp.answers('lv_dup', 3, 17);
SELECT * FROM pg_temp.answers('lv_dup', 0, 19);

-- 4. CREATE INDEX over several sizes writes the levels the directory
-- needs (about two list entries a record at this cap); then inserts.
CREATE TABLE lv_build (id int8) WITH (autovacuum_enabled = off);
INSERT INTO lv_build SELECT (g::int8 * 104729) % 1000003 FROM generate_series(1, 3000) g;
CREATE INDEX lv_build_idx ON lv_build USING learned (id);
SELECT learned_index_check('lv_build_idx', true);
SELECT * FROM pg_temp.shape('lv_build_idx');
INSERT INTO lv_build SELECT (g::int8 * 104729) % 1000003 FROM generate_series(3001, 60000) g;
REINDEX INDEX lv_build_idx;
SELECT learned_index_check('lv_build_idx', true);
SELECT * FROM pg_temp.shape('lv_build_idx');
SELECT * FROM pg_temp.answers('lv_build', 1000, 900000);
INSERT INTO lv_build SELECT (g * 7) % 1000003 FROM generate_series(1, 20000) g;
SELECT learned_index_check('lv_build_idx', true);
SELECT * FROM pg_temp.shape('lv_build_idx');
SELECT * FROM pg_temp.answers('lv_build', 5, 140000);

-- 5. A unique index of several levels: a duplicate of a key anywhere,
-- the ends and keys spread over every record included, is refused as a
-- btree twin refuses it (23505, the same message); new keys between and
-- past the old ones go in, and their duplicates are refused in turn.
CREATE TABLE lv_u_learned (id int8) WITH (autovacuum_enabled = off);
CREATE TABLE lv_u_btree (id int8) WITH (autovacuum_enabled = off);
CREATE UNIQUE INDEX lv_u_learned_key ON lv_u_learned USING learned (id);
CREATE UNIQUE INDEX lv_u_btree_key ON lv_u_btree USING btree (id);
INSERT INTO lv_u_learned SELECT g * 2 FROM generate_series(1, 60000) g;
INSERT INTO lv_u_btree SELECT g * 2 FROM generate_series(1, 60000) g;
SELECT * FROM pg_temp.shape('lv_u_learned_key');
CREATE FUNCTION pg_temp.insert_outcome(am text, k int8) RETURNS text
LANGUAGE plpgsql AS $fn$
BEGIN
	EXECUTE format('INSERT INTO %I VALUES (%s)', 'lv_u_' || am, k);
	RETURN 'inserted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || replace(SQLERRM, am, '@');
END
$fn$;
SELECT count(*) AS keys, count(*) FILTER (WHERE l = b) AS same_as_btree,
	   count(*) FILTER (WHERE l LIKE '23505: duplicate key value violates unique constraint "lv_u_@_key"') AS refused
FROM generate_series(2, 120000, 1198) k,
	 LATERAL (SELECT pg_temp.insert_outcome('learned', k) AS l,
					 pg_temp.insert_outcome('btree', k) AS b) o;
SELECT k, l AS learned, l = b AS same_as_btree
FROM unnest(ARRAY[1, 120001, 120002, 7, 1, 120002, 120000, 2]::int8[]) WITH ORDINALITY u(k, n),
	 LATERAL (SELECT pg_temp.insert_outcome('learned', k) AS l,
					 pg_temp.insert_outcome('btree', k) AS b) o
ORDER BY n;
SELECT learned_index_check('lv_u_learned_key', true);
SELECT * FROM pg_temp.answers('lv_u_learned', 1, 120002);
SELECT count(*) AS rows_differing FROM
	((TABLE lv_u_learned EXCEPT ALL TABLE lv_u_btree)
	 UNION ALL (TABLE lv_u_btree EXCEPT ALL TABLE lv_u_learned)) d;

-- Without the cap, the same data needs one level again.
RESET learned.test_directory_capacity;
REINDEX INDEX lv_build_idx;
SELECT learned_index_check('lv_build_idx', true);
SELECT * FROM pg_temp.shape('lv_build_idx');

DROP TABLE lv_asc, lv_dup, lv_build, lv_u_learned, lv_u_btree;
