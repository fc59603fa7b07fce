--
-- domains: columns of a domain over each supported type.  The index keys
-- its operator class's input type (the domain's base type), whether the
-- column was declared with the domain before CREATE INDEX or changed to it
-- afterwards by ALTER COLUMN TYPE, which keeps the index without a rewrite.
-- Every query is compared with a sequential scan (pg_temp.cmp).
--
SET max_parallel_workers_per_gather = 0;
SET default_statistics_target = 1000;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

CREATE DOMAIN dom_int2 AS int2;
CREATE DOMAIN dom_int4 AS int4;
CREATE DOMAIN dom_int4_not_13 AS int4 CHECK (VALUE <> 13);
CREATE DOMAIN dom_int8 AS int8;
CREATE DOMAIN dom_int8_of_dom AS dom_int8;	-- a domain over a domain
CREATE DOMAIN dom_date AS date;
CREATE DOMAIN dom_timestamp AS timestamp;
CREATE DOMAIN dom_timestamptz AS timestamptz;

-- One line per query: the scan nodes its plan uses, and cmp's verdict.
CREATE FUNCTION pg_temp.dcmp(q text, scan text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
	lines text[];
	nodes text;
BEGIN
	-- Allow only the scan kind asked for (seqscan off throughout).
	PERFORM set_config('enable_indexscan', (scan IN ('index', 'indexonly'))::text, true);
	PERFORM set_config('enable_indexonlyscan', (scan = 'indexonly')::text, true);
	PERFORM set_config('enable_bitmapscan', (scan = 'bitmap')::text, true);
	lines := ARRAY(SELECT pg_temp.cmp(q));
	SELECT string_agg(m[1], ', ') INTO nodes
	FROM unnest(lines) l, regexp_match(l, '((Index Only Scan|Index Scan|Bitmap Index Scan)( Backward)? (using|on) \w+)') m;
	RETURN format('%s | %s | %s', q, coalesce(nodes, 'no index'),
				  (SELECT string_agg(l, '; ') FROM unnest(lines) l
				   WHERE l LIKE 'rows:%' OR l LIKE 'only via%' OR l LIKE 'first difference%'));
END
$fn$;

-- For one base type: a table whose column is the domain from the start
-- (<name>_before) and one changed to it after CREATE INDEX (<name>_after),
-- each with rows before and after the change.  key is an SQL expression of
-- g giving the g-th key in order.
CREATE FUNCTION pg_temp.domain_setup(name text, base text, dom text, key text)
RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	tbl text;
	idx text;
	rel_before oid;
	idx_before oid;
BEGIN
	FOREACH tbl IN ARRAY ARRAY[name || '_before', name || '_after'] LOOP
		idx := tbl || '_idx';
		EXECUTE format('CREATE TABLE %I (c %s, v int4) WITH (autovacuum_enabled = off)',
					   tbl, CASE WHEN tbl LIKE '%_before' THEN dom ELSE base END);
		EXECUTE format('INSERT INTO %I SELECT %s, g FROM generate_series(1, 3000) g', tbl,
					   replace(key, 'g', '(g * 2)'));
		EXECUTE format('INSERT INTO %I VALUES (NULL, -1)', tbl);
		EXECUTE format('CREATE INDEX %I ON %I USING learned (c)', idx, tbl);
		IF tbl LIKE '%_after' THEN
			rel_before := pg_relation_filenode(tbl::regclass);
			idx_before := pg_relation_filenode(idx::regclass);
			EXECUTE format('ALTER TABLE %I ALTER COLUMN c TYPE %s', tbl, dom);
			RETURN NEXT format('%s: column changed to %s; table rewritten: %s, index rebuilt: %s',
				tbl, (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
					  WHERE attrelid = tbl::regclass AND attname = 'c'),
				pg_relation_filenode(tbl::regclass) <> rel_before,
				pg_relation_filenode(idx::regclass) <> idx_before);
		ELSE
			RETURN NEXT format('%s: column declared %s', tbl,
				(SELECT format_type(atttypid, atttypmod) FROM pg_attribute
				 WHERE attrelid = tbl::regclass AND attname = 'c'));
		END IF;
		-- Inserts through the index: odd keys between the even ones, and
		-- past both ends.
		EXECUTE format('INSERT INTO %I SELECT %s, g FROM generate_series(-5, 3005, 2) g', tbl, key);
		EXECUTE format('INSERT INTO %I VALUES (NULL, -2)', tbl);
		PERFORM learned_index_check(idx::regclass, true);
		RETURN NEXT format('%s: checked, %s entries, %s NULLs', tbl,
			(SELECT entries FROM learned_index_info(idx::regclass)),
			(SELECT null_entries FROM learned_index_info(idx::regclass)));
	END LOOP;
END
$fn$;

-- Every kind of scan on both tables of a base type (after VACUUM, so that
-- index-only scans read no heap), then REINDEX and the check.
CREATE FUNCTION pg_temp.domain_scans(name text, dom text, key text)
RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	tbl text;
	idx text;
	k text := replace(key, 'g', '1001');
BEGIN
	SET LOCAL enable_seqscan = off;
	FOREACH tbl IN ARRAY ARRAY[name || '_before', name || '_after'] LOOP
		idx := tbl || '_idx';
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c = %s', tbl, k), 'index');
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c = (%s)::%s', tbl, k, dom), 'index');
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c BETWEEN %s AND %s', tbl,
										replace(key, 'g', '500'), replace(key, 'g', '560')), 'index');
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c IN (%s, %s, %s)', tbl,
										replace(key, 'g', '-5'), k, replace(key, 'g', '6000')), 'index');
		RETURN NEXT pg_temp.dcmp(format('SELECT c FROM %I ORDER BY c DESC LIMIT 5', tbl), 'index');
		RETURN NEXT pg_temp.dcmp(format('SELECT c FROM %I WHERE c >= %s ORDER BY c', tbl,
										replace(key, 'g', '2900')), 'indexonly');
		RETURN NEXT pg_temp.dcmp(format('SELECT c FROM %I WHERE c < %s ORDER BY c DESC', tbl,
										replace(key, 'g', '20')), 'indexonly');
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c <= %s', tbl,
										replace(key, 'g', '40')), 'bitmap');
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c IS NULL', tbl), 'index');

		EXECUTE format('REINDEX INDEX %I', idx);
		PERFORM learned_index_check(idx::regclass, true);
		RETURN NEXT format('%s: reindexed and checked, %s entries', tbl,
			(SELECT entries FROM learned_index_info(idx::regclass)));
		RETURN NEXT pg_temp.dcmp(format('SELECT * FROM %I WHERE c BETWEEN %s AND %s', tbl,
										replace(key, 'g', '-5'), replace(key, 'g', '3')), 'index');
		EXECUTE format('DROP TABLE %I', tbl);
	END LOOP;
END
$fn$;

CREATE TEMP TABLE dom_cases (name text, base text, dom text, key text);
INSERT INTO dom_cases VALUES
	('dom2', 'int2', 'dom_int2', '(g - 1000)::int2'),
	('dom4', 'int4', 'dom_int4', '(g * 300000)::int4'),
	('dom8', 'int8', 'dom_int8', '(g::int8 * 3000000000)'),
	('domd', 'int8', 'dom_int8_of_dom', '(g::int8 - 1500)'),
	('domdate', 'date', 'dom_date', '(date ''2000-01-01'' + g * 3)'),
	('domts', 'timestamp', 'dom_timestamp',
	 '(timestamp ''1999-12-31 00:00'' + g * interval ''97 minutes'')'),
	('domtz', 'timestamptz', 'dom_timestamptz',
	 '(timestamptz ''1999-12-31 00:00+00'' + g * interval ''97 minutes'')');

SELECT pg_temp.domain_setup(name, base, dom, key) FROM dom_cases;
VACUUM (ANALYZE) dom2_before, dom2_after, dom4_before, dom4_after,
	dom8_before, dom8_after, domd_before, domd_after,
	domdate_before, domdate_after, domts_before, domts_after,
	domtz_before, domtz_after;
SELECT pg_temp.domain_scans(name, dom, key) FROM dom_cases;

-- The issue's case, statement by statement.
CREATE TABLE dom_issue (id int8);
CREATE INDEX dom_issue_l ON dom_issue USING learned (id);
ALTER TABLE dom_issue ALTER COLUMN id TYPE dom_int8;
INSERT INTO dom_issue VALUES (1);
SET enable_seqscan = off;
SELECT id FROM dom_issue WHERE id = 1;
RESET enable_seqscan;
SELECT learned_index_check('dom_issue_l', true);
-- The domain's constraint is the table's business, not the index's.
CREATE TABLE dom_check (c dom_int4_not_13);
CREATE INDEX ON dom_check USING learned (c);
INSERT INTO dom_check VALUES (12);
INSERT INTO dom_check VALUES (13);
SELECT learned_index_check('dom_check_c_idx', true);
SELECT entries FROM learned_index_info('dom_check_c_idx');
DROP TABLE dom_issue, dom_check;

DROP DOMAIN dom_int2, dom_int4, dom_int4_not_13, dom_int8_of_dom, dom_int8, dom_date,
	dom_timestamp, dom_timestamptz;
