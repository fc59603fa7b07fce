--
-- model_choice: every root kind (linear, cubic, spline) pinned with several
-- pages_per_record values, and the automatic choice, on skewed key sets
-- (lognormal with duplicates, bursty timestamps, exponentially spaced
-- clusters, a few keys at the int8 limits among dense small ones).  Every
-- model must give the answers of a sequential scan, through the index, and
-- pass learned_index_check with heapallindexed.
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- The reloptions: 0 (the default) lets CREATE INDEX choose; 1-7 are too
-- short to be a list; root_model knows auto, linear, cubic and spline.
CREATE TABLE m_opts (id int8);
INSERT INTO m_opts SELECT g FROM generate_series(1, 1000) g;
CREATE INDEX m_opts_bad ON m_opts USING learned (id) WITH (pages_per_record = 3);
CREATE INDEX m_opts_big ON m_opts USING learned (id) WITH (pages_per_record = 446);
CREATE INDEX m_opts_radix ON m_opts USING learned (id) WITH (root_model = radix);
CREATE INDEX m_opts_auto ON m_opts USING learned (id) WITH (pages_per_record = 0, root_model = auto);
CREATE INDEX m_opts_spline ON m_opts USING learned (id) WITH (pages_per_record = 8, root_model = spline);
ALTER INDEX m_opts_auto SET (pages_per_record = 5);
SELECT split_part(model_choice, ';', 1) AS chosen, pages_per_record, cache_budget
FROM learned_index_info('m_opts_auto');
SELECT split_part(model_choice, ';', 1) AS chosen, pages_per_record
FROM learned_index_info('m_opts_spline');
DROP TABLE m_opts;

-- agree(q, idx): whether the query used the index and gave the sequential
-- scan's answer (pg_temp.cmp's verdict line).
CREATE FUNCTION pg_temp.agree(q text, idx text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	line text;
	used bool := false;
	verdict text;
BEGIN
	FOR line IN SELECT * FROM pg_temp.cmp(q) LOOP
		IF line LIKE '%' || idx || '%' THEN
			used := true;
		ELSIF line LIKE 'rows: %' THEN
			verdict := line;
		ELSIF verdict IS NOT NULL THEN
			verdict := verdict || ' | ' || line;
		END IF;
	END LOOP;
	RETURN CASE WHEN used THEN '' ELSE 'index not used: ' END || coalesce(verdict, 'no verdict');
END
$$;

-- try_model(tbl, root_model, pages_per_record): build m_idx with those
-- options, check it, and compare point lookups of every probe (present and
-- absent keys, the extremes; in one nested loop through the index), ranges
-- and ordered scans both ways with a sequential scan.  One row: what was
-- built and whether every query agreed.
CREATE FUNCTION pg_temp.try_model(tbl text, kind text, ppr int)
RETURNS TABLE (root text, records int4, per_record int4, disagreements int8)
LANGUAGE plpgsql AS $$
DECLARE
	q text;
	verdict text;
	bad int8 := 0;
BEGIN
	EXECUTE format('CREATE INDEX m_idx ON %I USING learned (id) WITH (fillfactor = 12, root_model = %s, pages_per_record = %s)',
				   tbl, kind, ppr);
	PERFORM learned_index_check('m_idx', true);
	SET LOCAL enable_seqscan = off;
	SET LOCAL enable_hashjoin = off;
	SET LOCAL enable_mergejoin = off;
	SET LOCAL enable_bitmapscan = off;
	FOREACH q IN ARRAY ARRAY[
		format('SELECT p.k, count(t.id) FROM m_probes p LEFT JOIN %I t ON t.id = p.k GROUP BY p.k', tbl),
		format('SELECT count(*) FROM %I WHERE id BETWEEN (SELECT min(k) FROM m_probes WHERE k > 0) AND (SELECT max(k) FROM m_probes)', tbl),
		format('SELECT id FROM %I WHERE id > 9223372036854775000 OR id < -9223372036854775000 ORDER BY id', tbl),
		format('SELECT id FROM %I ORDER BY id LIMIT 50', tbl),
		format('SELECT id FROM %I ORDER BY id DESC LIMIT 50', tbl),
		format('SELECT id FROM %I WHERE id < (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY k) FROM m_probes) ORDER BY id DESC LIMIT 20', tbl)]
	LOOP
		verdict := pg_temp.agree(q, 'm_idx');
		IF verdict NOT LIKE 'rows: %, same as seqscan: t' THEN
			RAISE NOTICE '% % %: % -> %', tbl, kind, ppr, q, verdict;
			bad := bad + 1;
		END IF;
	END LOOP;
	RETURN QUERY SELECT i.root_type, i.records, i.pages_per_record, bad
		FROM learned_index_info('m_idx') i;
	DROP INDEX m_idx;
END
$$;

-- probes(tbl): 2,000 of the table's distinct keys, each with its
-- neighbours (absent keys, mostly), and the int8 extremes.
CREATE FUNCTION pg_temp.probes(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	DROP TABLE IF EXISTS m_probes;
	CREATE TEMP TABLE m_probes (k int8);
	EXECUTE format('INSERT INTO m_probes
		SELECT DISTINCT k FROM (
			SELECT id + d AS k
			FROM (SELECT DISTINCT id FROM %I ORDER BY id LIMIT 2000 OFFSET 0) s,
				 (VALUES (-1), (0), (1)) v(d)
			WHERE (d < 0 AND id > -9223372036854775808) OR d = 0
				  OR (d > 0 AND id < 9223372036854775807)
			UNION ALL
			SELECT (SELECT id FROM %I ORDER BY id LIMIT 1 OFFSET n) FROM
				generate_series(0, (SELECT count(*) - 1 FROM %I), 97) n
			UNION ALL
			VALUES (-9223372036854775808), (-9223372036854775807),
				   (9223372036854775806), (9223372036854775807), (0)) x', tbl, tbl, tbl);
	ANALYZE m_probes;
END
$$;

SELECT setseed(0.909);

-- Lognormal, rounded: heavy duplicates at the low end, a long sparse tail.
CREATE TABLE m_lognormal (id int8) WITH (autovacuum_enabled = off);
INSERT INTO m_lognormal
	SELECT floor(exp(2.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) * 1000)::int8
	FROM generate_series(1, 30000);
-- Timestamps in microseconds: bursts of 500 events within a millisecond,
-- hours apart, the gaps growing.
CREATE TABLE m_bursts (id int8) WITH (autovacuum_enabled = off);
INSERT INTO m_bursts
	SELECT 700000000000000 + (b::int8 * b * 3600000000) + (random() * 1000)::int8
	FROM generate_series(1, 60) b, generate_series(1, 500) e;
-- 600 clusters of 50 consecutive keys, exponentially apart.
CREATE TABLE m_clusters (id int8) WITH (autovacuum_enabled = off);
INSERT INTO m_clusters
	SELECT (1000 * 1.03 ^ c)::int8 * 1000 + i FROM generate_series(1, 600) c, generate_series(0, 49) i;
-- Dense small keys and a few at the int8 limits.
CREATE TABLE m_extremes (id int8) WITH (autovacuum_enabled = off);
INSERT INTO m_extremes SELECT (random() * 100000)::int8 FROM generate_series(1, 30000);
INSERT INTO m_extremes VALUES (-9223372036854775808), (-9223372036854775808),
	(-9223372036854775807), (-4611686018427387904), (4611686018427387904),
	(9223372036854775806), (9223372036854775807), (9223372036854775807);
ANALYZE m_lognormal, m_bursts, m_clusters, m_extremes;

SELECT pg_temp.probes('m_lognormal');
SELECT m.kind, m.ppr, t.* FROM
	(VALUES ('linear'), ('cubic'), ('spline')) k(kind),
	(VALUES (8), (64)) p(ppr),
	LATERAL (SELECT k.kind, p.ppr) m,
	LATERAL pg_temp.try_model('m_lognormal', m.kind, m.ppr) t
ORDER BY m.kind, m.ppr;
SELECT 'auto' AS kind, t.* FROM pg_temp.try_model('m_lognormal', 'auto', 0) t;

SELECT pg_temp.probes('m_bursts');
SELECT m.kind, m.ppr, t.* FROM
	(VALUES ('linear'), ('cubic'), ('spline')) k(kind),
	(VALUES (8), (64)) p(ppr),
	LATERAL (SELECT k.kind, p.ppr) m,
	LATERAL pg_temp.try_model('m_bursts', m.kind, m.ppr) t
ORDER BY m.kind, m.ppr;
SELECT 'auto' AS kind, t.* FROM pg_temp.try_model('m_bursts', 'auto', 0) t;

SELECT pg_temp.probes('m_clusters');
SELECT m.kind, m.ppr, t.* FROM
	(VALUES ('linear'), ('cubic'), ('spline')) k(kind),
	(VALUES (8), (64)) p(ppr),
	LATERAL (SELECT k.kind, p.ppr) m,
	LATERAL pg_temp.try_model('m_clusters', m.kind, m.ppr) t
ORDER BY m.kind, m.ppr;
SELECT 'auto' AS kind, t.* FROM pg_temp.try_model('m_clusters', 'auto', 0) t;

SELECT pg_temp.probes('m_extremes');
SELECT m.kind, m.ppr, t.* FROM
	(VALUES ('linear'), ('cubic'), ('spline')) k(kind),
	(VALUES (8), (64)) p(ppr),
	LATERAL (SELECT k.kind, p.ppr) m,
	LATERAL pg_temp.try_model('m_extremes', m.kind, m.ppr) t
ORDER BY m.kind, m.ppr;
SELECT 'auto' AS kind, t.* FROM pg_temp.try_model('m_extremes', 'auto', 0) t;

-- A spline root keeps working through inserts, leaf splits and a retrain
-- (which keeps the pinned kind and the list length).
CREATE INDEX m_grow_idx ON m_lognormal USING learned (id)
	WITH (root_model = spline, pages_per_record = 8, fillfactor = 100);
INSERT INTO m_lognormal
	SELECT floor(exp(2.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) * 1000)::int8
	FROM generate_series(1, 30000);
SELECT learned_index_check('m_grow_idx', true);
SELECT root_type, splits > 0 AS split
FROM learned_index_info('m_grow_idx');
SELECT learned_index_retrain('m_grow_idx');
SELECT learned_index_check('m_grow_idx', true);
SELECT root_type, pages_per_record, splits FROM learned_index_info('m_grow_idx');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT pg_temp.probes('m_lognormal');
SELECT pg_temp.agree('SELECT p.k, count(t.id) FROM m_probes p LEFT JOIN m_lognormal t ON t.id = p.k GROUP BY p.k', 'm_grow_idx');
SELECT pg_temp.agree('SELECT id FROM m_lognormal WHERE id BETWEEN 5000 AND 6000 ORDER BY id DESC', 'm_grow_idx');
RESET enable_seqscan;
RESET enable_bitmapscan;

DROP TABLE m_lognormal, m_bursts, m_clusters, m_extremes;
