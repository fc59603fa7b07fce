--
-- splits: a full leaf always splits, whatever its entries, the new key
-- and its heap TID (learned_split_plan's argument).  Before, a split after
-- the rightmost leaf's last entry kept the fillfactor's share on the left
-- and gave the rest and a far key (whose offset needs a wide format) to the
-- right page, which did not fit: "split ... leaves a page overfull", on
-- every retry.  Covers far int8 keys, 'infinity' dates and timestamps,
-- pages of one repeated key, at fillfactors 10 to 100, inserts after the
-- far key into the leaf whose fence it became, and an inner leaf meeting
-- heap offsets above 255 at a low fillfactor.  Every index is checked
-- (learned_index_check with heapallindexed) and its answers compared with
-- a sequential scan.
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- The issue's reproduction: 5000 copies of one key at fillfactor 10, then
-- a far key; then more of both.
CREATE TABLE s_rep (id int8) WITH (autovacuum_enabled = off);
CREATE INDEX s_rep_idx ON s_rep USING learned (id) WITH (fillfactor = 10);
INSERT INTO s_rep SELECT 1 FROM generate_series(1, 5000);
INSERT INTO s_rep VALUES (1000000000000000);
INSERT INTO s_rep SELECT 1 FROM generate_series(1, 3000);
INSERT INTO s_rep SELECT g FROM generate_series(2, 3000) g;
INSERT INTO s_rep VALUES (9223372036854775807), (-9223372036854775808);
SELECT learned_index_check('s_rep_idx', true);
VACUUM ANALYZE s_rep;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s_rep WHERE id = 1');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_rep WHERE id >= 2990 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_rep WHERE id <= 2 ORDER BY id DESC LIMIT 3');
RESET enable_seqscan;

-- Every kind of far key at every fillfactor, after ascending keys that
-- leave the rightmost leaf at several fills: then ascending keys again
-- (into the leaf the far key now bounds), a second far key and keys below
-- the first.  Reports the cases whose insert failed, whose check failed
-- or whose answers through the index differ from a sequential scan's.
CREATE FUNCTION pg_temp.far_case(kind text, ff int, n int) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
	typ text := CASE kind WHEN 'date' THEN 'date' WHEN 'timestamp' THEN 'timestamp' ELSE 'int8' END;
	dense text := CASE kind
		WHEN 'date' THEN '''2020-01-01''::date + g'
		WHEN 'timestamp' THEN '''2020-01-01''::timestamp + g * interval ''1 min'''
		WHEN 'repeated' THEN '(1 + g / 100000)::int8'
		ELSE 'g::int8' END;
	far text := CASE kind
		WHEN 'date' THEN '''infinity''::date'
		WHEN 'timestamp' THEN '''infinity''::timestamp'
		WHEN 'int8_2^40' THEN '1099511627776::int8'
		ELSE '1000000000000000::int8' END;
	far2 text := CASE kind
		WHEN 'date' THEN '''-infinity''::date'
		WHEN 'timestamp' THEN '''-infinity''::timestamp'
		ELSE '9223372036854775807::int8' END;
	lo text := replace(dense, 'g', (n / 2)::text);
	q text;
	by_index text;
	by_seq text;
BEGIN
	DROP TABLE IF EXISTS s_far;
	EXECUTE format('CREATE TABLE s_far (k %s) WITH (autovacuum_enabled = off)', typ);
	EXECUTE format('CREATE INDEX s_far_idx ON s_far USING learned (k) WITH (fillfactor = %s)', ff);
	EXECUTE format('INSERT INTO s_far SELECT %s FROM generate_series(1, %s) g', dense, n);
	EXECUTE format('INSERT INTO s_far VALUES (%s)', far);
	EXECUTE format('INSERT INTO s_far SELECT %s FROM generate_series(%s, %s) g', dense, n + 1, n + 700);
	EXECUTE format('INSERT INTO s_far VALUES (%s), (%s)', far2, far);
	EXECUTE format('INSERT INTO s_far SELECT %s FROM generate_series(1, 300) g', dense);
	PERFORM learned_index_check('s_far_idx', true);
	q := format('SELECT string_agg(c, '' '') FROM ('
				'SELECT count(*) || '' '' || min(k) || '' '' || max(k) FROM s_far WHERE k >= %1$s '
				'UNION ALL SELECT count(*) || '' '' || min(k) || '' '' || max(k) FROM s_far WHERE k < %1$s '
				'UNION ALL SELECT count(*)::text FROM s_far WHERE k = %2$s) x(c)', lo, far);
	PERFORM set_config('enable_seqscan', 'off', true);
	PERFORM set_config('enable_bitmapscan', 'off', true);
	EXECUTE q INTO by_index;
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'off', true);
	PERFORM set_config('enable_indexonlyscan', 'off', true);
	EXECUTE q INTO by_seq;
	PERFORM set_config('enable_indexscan', 'on', true);
	PERFORM set_config('enable_indexonlyscan', 'on', true);
	PERFORM set_config('enable_bitmapscan', 'on', true);
	IF by_index IS DISTINCT FROM by_seq THEN
		RETURN format('index %s, seqscan %s', by_index, by_seq);
	END IF;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$fn$;
SET client_min_messages = warning;
SELECT kind, ff, n, problem
FROM unnest('{int8,int8_2^40,repeated,date,timestamp}'::text[]) kind,
	 generate_series(10, 100, 10) ff,
	 unnest('{1000,1600,2400,3000}'::int[]) n,
	 LATERAL (SELECT pg_temp.far_case(kind, ff, n) AS problem) p
WHERE problem <> 'ok'
ORDER BY 1, 2, 3;
RESET client_min_messages;
SELECT count(*) AS cases FROM unnest('{int8,int8_2^40,repeated,date,timestamp}'::text[]) kind,
	 generate_series(10, 100, 10) ff, unnest('{1000,1600,2400,3000}'::int[]) n;

-- An inner leaf meeting heap offsets above 255 (its TIDs need 2-byte
-- offsets) at a low fillfactor.  Even keys from a table of 226 rows a heap
-- page fill the leaves at fillfactor 100; the fillfactor then drops to 10.
-- Odd keys then come in descending order, from heap pages packed with 257
-- NULL-keyed rows and 27 keyed ones (offsets 258 to 284): the first odd key
-- into each leaf goes after all its entries and needs the wider offsets.
CREATE TABLE s_tid (id int8) WITH (autovacuum_enabled = off);
INSERT INTO s_tid SELECT 2 * g FROM generate_series(1, 4520) g;
CREATE INDEX s_tid_idx ON s_tid USING learned (id) WITH (fillfactor = 100);
ALTER INDEX s_tid_idx SET (fillfactor = 10);
-- Fill the last heap page with NULL keys until a row starts a new page.
DO $$
DECLARE
	t tid;
BEGIN
	LOOP
		INSERT INTO s_tid VALUES (NULL) RETURNING ctid INTO t;
		EXIT WHEN (t::text::point)[1] = 1;
	END LOOP;
END
$$;
INSERT INTO s_tid
SELECT CASE WHEN g % 284 BETWEEN 256 AND 282 THEN 2 * (4520 - g / 284 * 27 - (g % 284 - 256)) + 1 END
FROM generate_series(0, 284 * 167 - 1) g;
SELECT count(*) AS odd_keys, min((ctid::text::point)[1]) AS min_offset,
	   max((ctid::text::point)[1]) AS max_offset
FROM s_tid WHERE id % 2 = 1;
SELECT learned_index_check('s_tid_idx', true);
VACUUM ANALYZE s_tid;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(id) FROM s_tid WHERE id > 0');
SELECT * FROM pg_temp.cmp('SELECT id FROM s_tid WHERE id BETWEEN 4000 AND 4030 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM s_tid WHERE id IS NULL');
RESET enable_seqscan;

-- Found by the soak (t/009_soak.pl): no far key is needed.  At fillfactor
-- 10 a rightmost leaf of 1,400 dense keys refused a key past a gap that
-- makes the offsets one byte wider (70,000 past the last), and timestamps
-- 1 us apart refused one a second later: a pause between inserts of now().
CREATE TABLE s_gap (id int8) WITH (autovacuum_enabled = off);
CREATE INDEX s_gap_idx ON s_gap USING learned (id) WITH (fillfactor = 10);
INSERT INTO s_gap SELECT generate_series(1, 1400);
INSERT INTO s_gap VALUES (71400);
INSERT INTO s_gap SELECT generate_series(71401, 72000);
CREATE TABLE s_gap_ts (ts timestamp) WITH (autovacuum_enabled = off);
CREATE INDEX s_gap_ts_idx ON s_gap_ts USING learned (ts) WITH (fillfactor = 10);
INSERT INTO s_gap_ts SELECT timestamp '2026-12-06 00:00' + i * interval '1 microsecond'
FROM generate_series(1, 1400) i;
INSERT INTO s_gap_ts VALUES ('2026-12-06 00:00:01');
SELECT learned_index_check('s_gap_idx', true);
SELECT learned_index_check('s_gap_ts_idx', true);
VACUUM ANALYZE s_gap, s_gap_ts;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM s_gap WHERE id BETWEEN 1395 AND 71405 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*), max(id) FROM s_gap WHERE id > 1000');
SELECT * FROM pg_temp.cmp('SELECT ts FROM s_gap_ts WHERE ts > ''2026-12-06 00:00:00.0014'' ORDER BY ts');
RESET enable_seqscan;
