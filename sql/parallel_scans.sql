--
-- parallel_scans: parallel index and index-only scans of a learned index
-- (Gather and Gather Merge over them), each compared with the same query
-- answered by a sequential scan.
--
-- Parallel plans are forced by making them free and the per-row work
-- they share among participants dear (so that even a scan expected to
-- return one row, or none, runs in parallel, and Gather Merge costs
-- nothing); workers are launched for real: the "workers launched" counts,
-- from EXPLAIN ANALYZE, say so.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_index_scan_size = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET cpu_operator_cost = 0;
SET cpu_tuple_cost = 1;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- ANALYZE reads every row: statistics and plans are stable.
SET default_statistics_target = 1000;

-- rows_of(q): q's rows as text.  RETURN QUERY runs its query with parallel
-- workers where the plan has them (a FOR loop over a query, as
-- sql/include/cmp.sql has, never does).
CREATE FUNCTION pg_temp.rows_of(q text) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
BEGIN
	RETURN QUERY EXECUTE format('SELECT r::text FROM (%s) r', q);
END
$fn$;

-- pcmp(q): the plan q gets, how many workers its Gather nodes launched
-- (under EXPLAIN ANALYZE; a rescanned Gather counts its last start), and
-- whether q's rows equal those of the same query with every index scan
-- disabled (a sequential scan; in order if q has ORDER BY, as multisets
-- otherwise).  A wrong answer also prints the differing rows.
CREATE FUNCTION pg_temp.pcmp(q text) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	line text;
	plan jsonb;
	launched int8;
	via_index text[];
	via_seq text[];
	gucs text[] := '{enable_indexscan, enable_bitmapscan, enable_indexonlyscan, enable_seqscan}';
	seq_values text[] := '{off, off, off, on}';
	saved text[] := ARRAY(SELECT current_setting(g) FROM unnest(gucs) g);
BEGIN
	-- Long array constants are shortened to '{...}' in the plan.
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		RETURN NEXT regexp_replace(line, '''\{[-0-9,]{40,}\}''', '''{...}''', 'g');
	END LOOP;
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q
		INTO plan;
	SELECT coalesce(sum(w::int8), 0) INTO launched
	FROM jsonb_path_query(plan, 'strict $.**."Workers Launched"') w;
	via_index := ARRAY(SELECT pg_temp.rows_of(q));
	PERFORM set_config(gucs[i], seq_values[i], false) FROM generate_subscripts(gucs, 1) i;
	via_seq := ARRAY(SELECT pg_temp.rows_of(q));
	PERFORM set_config(gucs[i], saved[i], false) FROM generate_subscripts(gucs, 1) i;
	IF q !~* '\morder\s+by\M' THEN
		via_index := ARRAY(SELECT x FROM unnest(via_index) x ORDER BY x);
		via_seq := ARRAY(SELECT x FROM unnest(via_seq) x ORDER BY x);
	END IF;
	RETURN NEXT format('rows: %s, workers launched: %s, same as seqscan: %s',
					   cardinality(via_seq), launched, via_index = via_seq);
	IF via_index <> via_seq THEN
		RETURN QUERY SELECT 'only via index: ' || x FROM
			(SELECT unnest(via_index) EXCEPT ALL SELECT unnest(via_seq)) d(x)
			ORDER BY 1 LIMIT 5;
		RETURN QUERY SELECT 'only via seqscan: ' || x FROM
			(SELECT unnest(via_seq) EXCEPT ALL SELECT unnest(via_index)) d(x)
			ORDER BY 1 LIMIT 5;
	END IF;
END
$fn$;

-- Long "= ANY" arrays, made once into psql variables: in the query text
-- they are constants, which a sequential scan's filter looks up in a hash
-- table (a function call there would be evaluated again for every row).
SELECT array_agg(g * 7) AS multiples_of_7 FROM generate_series(0, 200000 / 7) g \gset
SELECT array_agg(g * 1001) AS multiples_of_1001 FROM generate_series(0, 200000 / 1001) g \gset
SELECT array_agg(g * 5) AS multiples_of_5 FROM generate_series(0, 45000 / 5) g \gset

-- 60,000 distinct keys in a scrambled heap order (multiples of 3, so there
-- are gaps), 2,000 more rows of one key (several leaves' worth) and 3,000
-- NULLs (three NULL pages).  Leaves filled to 30%: over a hundred leaves,
-- so that every participant of a parallel scan may get pages.
CREATE TABLE pt (id int8, payload int4) WITH (autovacuum_enabled = off);
INSERT INTO pt
SELECT ((g::int8 * 7919) % 60000) * 3, g FROM generate_series(0, 59999) g;
INSERT INTO pt SELECT 4242, g FROM generate_series(1, 2000) g;
INSERT INTO pt SELECT NULL, g FROM generate_series(1, 3000) g;
CREATE INDEX pt_idx ON pt USING learned (id) WITH (fillfactor = 30);
VACUUM ANALYZE pt;
SELECT leaf_pages > 100 AS many_leaves, null_pages >= 3 AS several_null_pages
FROM learned_index_info('pt_idx');

-- Range aggregates: Parallel Index Only Scan under a Gather.
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id), min(id), max(id) FROM pt WHERE id BETWEEN 1000 AND 150000');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id > 4000');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id <= 4242');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id BETWEEN 4242 AND 4242');
SELECT * FROM pg_temp.pcmp('SELECT count(id), sum(id) FROM pt');
-- Ranges that match nothing, or one page's worth.
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id > 10 AND id < 5');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id BETWEEN 4 AND 5');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id < 300');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id > 9223372036854775806');
-- The rows themselves, not only aggregates.
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id BETWEEN 3000 AND 9000');
-- Parallel Index Scan (the heap is read too).
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(payload) FROM pt WHERE id BETWEEN 1000 AND 150000');
SELECT * FROM pg_temp.pcmp('SELECT id, payload FROM pt WHERE id >= 170000');

-- = ANY lists: one interval per element, several on one leaf, some
-- absent, one with 2,001 rows over several leaves.
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id = ANY(''{3, 6, 9, 4242, 4, 179997, 90000, 90003, 12345}''::int8[])');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id = ANY(' || quote_literal(:'multiples_of_7') || '::int8[])');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id = ANY(' || quote_literal(:'multiples_of_1001') || '::int8[])');
SELECT * FROM pg_temp.pcmp('SELECT id, payload FROM pt WHERE id = ANY(''{30, 3, 4242, 15, 1}''::int8[])');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id = ANY(''{}''::int8[])');

-- NULLs: the NULL chain after the leaf chain.
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id IS NULL');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(payload) FROM pt WHERE id IS NULL');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id IS NOT NULL');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pt WHERE id IS NULL AND id = 3');

-- Ordered output through Gather Merge, forward and backward (NULLs first
-- backward, as in a btree).
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id BETWEEN 4000 AND 5000 ORDER BY id');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id BETWEEN 4000 AND 5000 ORDER BY id DESC');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id = ANY(''{90, 3, 4242, 60}''::int8[]) ORDER BY id DESC');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id > 175000 OR id IS NULL ORDER BY id DESC');

-- The workers alone, the leader only gathering.
SET parallel_leader_participation = off;
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id > 1000');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(payload) FROM pt WHERE id IS NULL');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pt WHERE id < 30000 ORDER BY id DESC');
RESET parallel_leader_participation;

-- Rescans: the Gather on the inner side of a nested loop starts its
-- parallel scan again for every outer row, the shared position reset
-- (amparallelrescan) each time.
SET enable_material = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT * FROM pg_temp.pcmp('SELECT * FROM (SELECT count(*), sum(id) FROM pt WHERE id > 100000) ss RIGHT JOIN (VALUES (1), (2), (3)) v(x) ON true');
SELECT * FROM pg_temp.pcmp('SELECT * FROM (SELECT count(*), sum(payload) FROM pt WHERE id < 50000) ss RIGHT JOIN (VALUES (1), (2), (3)) v(x) ON true');
SELECT * FROM pg_temp.pcmp('SELECT * FROM (SELECT count(*) FROM pt WHERE id IS NULL) ss RIGHT JOIN (VALUES (1), (2)) v(x) ON true');
RESET enable_material;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- A table whose leaves split after the build: built on half its keys at
-- fillfactor 100, then the other half inserted in between, so that most
-- leaves split (the new ones reached only by right links).
CREATE TABLE ps (id int8) WITH (autovacuum_enabled = off);
INSERT INTO ps SELECT g * 2 FROM generate_series(1, 20000) g;
CREATE INDEX ps_idx ON ps USING learned (id) WITH (fillfactor = 100);
SELECT leaf_pages AS built_leaves FROM learned_index_info('ps_idx') \gset
INSERT INTO ps SELECT g * 2 + 1 FROM generate_series(1, 20000) g;
INSERT INTO ps SELECT NULL FROM generate_series(1, 100);
VACUUM ANALYZE ps;
SELECT leaf_pages >= 2 * :built_leaves AS leaves_split
FROM learned_index_info('ps_idx');
SELECT learned_index_check('ps_idx', true);
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM ps WHERE id BETWEEN 100 AND 30000');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM ps WHERE id IS NOT NULL');
SELECT * FROM pg_temp.pcmp('SELECT id FROM ps WHERE id BETWEEN 20000 AND 20500 ORDER BY id DESC');
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM ps WHERE id = ANY(' || quote_literal(:'multiples_of_5') || '::int8[])');

-- An empty table, then one with only NULLs.
CREATE TABLE pe (id int8) WITH (autovacuum_enabled = off);
CREATE INDEX pe_idx ON pe USING learned (id);
VACUUM ANALYZE pe;
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pe WHERE id > 0');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pe WHERE id IS NULL');
SELECT * FROM pg_temp.pcmp('SELECT id FROM pe WHERE id < 10 ORDER BY id DESC');
INSERT INTO pe SELECT NULL FROM generate_series(1, 10);
VACUUM ANALYZE pe;
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pe WHERE id IS NULL');
SELECT * FROM pg_temp.pcmp('SELECT count(*) FROM pe WHERE id IS NOT NULL');

-- The planner's own per-row costs, parallelism still free: a range
-- aggregate gets the same plan, with as many workers, from a learned index
-- as from a btree (the worker count follows the index pages the scan is
-- expected to read, which both estimate alike).
RESET cpu_operator_cost;
RESET cpu_tuple_cost;
SELECT * FROM pg_temp.pcmp('SELECT count(*), sum(id) FROM pt WHERE id BETWEEN 1000 AND 150000');
CREATE TABLE pb AS SELECT * FROM pt;
CREATE INDEX pb_idx ON pb USING btree (id);
VACUUM ANALYZE pb;
EXPLAIN (COSTS OFF) SELECT count(*), sum(id) FROM pb WHERE id BETWEEN 1000 AND 150000;

DROP TABLE pt, ps, pe, pb;
