--
-- parallel_build: CREATE INDEX with parallel workers (PostgreSQL 17 on,
-- where the server plans workers for a learned index; 15 and 16 build
-- serially and must answer the same, see parallel_build_1.out).
--
-- Each index built with workers is compared with one built serially on the
-- same table: every page byte for byte (after the page LSN), and
-- learned_index_info's figures.  The DEBUG1 line "learned index build: N of
-- M parallel workers launched" shows that workers ran.  Scans through the
-- parallel-built index are compared with sequential scans (cmp), and a
-- unique build's duplicate with btree's answer to the same statement.
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

CREATE EXTENSION pageinspect;

-- Every page of an index, after its 8-byte LSN (set when the build logs the
-- pages), as one digest.
CREATE FUNCTION pg_temp.pages(idx regclass) RETURNS text
LANGUAGE sql AS $$
	SELECT md5(string_agg(md5(substr(get_raw_page(idx::text, b::int4), 9)), ','
						  ORDER BY b))
	FROM generate_series(0, pg_relation_size(idx) / 8192 - 1) b
$$;

-- The index built with workers (par) against the serial one (ser).
CREATE FUNCTION pg_temp.same_as_serial(par regclass, ser regclass,
	OUT same_pages boolean, OUT same_info boolean, OUT entries int8,
	OUT null_entries int8, OUT leaf_pages int8)
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	b record;
BEGIN
	same_pages := pg_temp.pages(par) = pg_temp.pages(ser);
	SELECT * INTO a FROM learned_index_info(par);
	SELECT * INTO b FROM learned_index_info(ser);
	-- cached_bytes is this backend's cache of each, not the index.
	a.cached_bytes := 0;
	b.cached_bytes := 0;
	same_info := a::text = b::text;
	entries := a.entries;
	null_entries := a.null_entries;
	leaf_pages := a.leaf_pages;
END
$$;

-- Run a statement, its outcome as text ('@' stands for the access method);
-- with context, also whether the error was raised in a parallel worker.
CREATE FUNCTION pg_temp.run(stmt text, am text, context boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
	st text;
	msg text;
	det text;
	ctx text;
BEGIN
	EXECUTE replace(stmt, '@', am);
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, ctx = PG_EXCEPTION_CONTEXT;
	RETURN st || ': ' || replace(msg, am, '@') ||
		coalesce(' / ' || nullif(replace(det, am, '@'), ''), '') ||
		CASE WHEN context THEN
			' / in a parallel worker: ' || (ctx LIKE '%parallel worker%')
		ELSE '' END;
END
$fn$;

-- The same statement with learned and with btree.
CREATE FUNCTION pg_temp.both(stmt text, OUT learned text,
							 OUT same_as_btree boolean)
LANGUAGE plpgsql AS $fn$
BEGIN
	learned := pg_temp.run(stmt, 'learned');
	same_as_btree := learned = pg_temp.run(stmt, 'btree');
END
$fn$;

-- Workers for any table with parallel_workers set; plan_create_index_workers
-- wants 32MB of maintenance_work_mem per participant (2 workers + leader).
SET max_parallel_maintenance_workers = 2;
SET maintenance_work_mem = '96MB';

-- 60,000 rows, one column per key type; keys in scrambled heap order so the
-- participants' runs interleave, repeated (each key 3 times, int2's more),
-- and every 40th row NULL.
CREATE TABLE pb (i8 int8, i4 int4, i2 int2, d date, ts timestamp, tz timestamptz)
	WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pb
SELECT CASE WHEN g % 40 = 0 THEN NULL ELSE k::int8 * 1000003 - 9000000000 END,
	   CASE WHEN g % 40 = 1 THEN NULL ELSE k - 10000 END,
	   CASE WHEN g % 40 = 2 THEN NULL ELSE (k % 30000) - 15000 END,
	   CASE WHEN g % 40 = 3 THEN NULL ELSE date '2000-01-01' + k END,
	   CASE WHEN g % 40 = 4 THEN NULL ELSE timestamp '2020-01-01' + k * interval '37 s' END,
	   CASE WHEN g % 40 = 5 THEN NULL ELSE timestamptz '2020-01-01 00:00+00' + k * interval '1 ms' END
FROM (SELECT g, ((g * 7919) % 60000) / 3 AS k FROM generate_series(1, 60000) g) s;
VACUUM ANALYZE pb;

SET client_min_messages = debug1;
CREATE INDEX pb_i8_par ON pb USING learned (i8);
CREATE INDEX pb_i4_par ON pb USING learned (i4);
CREATE INDEX pb_i2_par ON pb USING learned (i2);
CREATE INDEX pb_d_par ON pb USING learned (d);
CREATE INDEX pb_ts_par ON pb USING learned (ts);
CREATE INDEX pb_tz_par ON pb USING learned (tz);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pb_i8_ser ON pb USING learned (i8);
CREATE INDEX pb_i4_ser ON pb USING learned (i4);
CREATE INDEX pb_i2_ser ON pb USING learned (i2);
CREATE INDEX pb_d_ser ON pb USING learned (d);
CREATE INDEX pb_ts_ser ON pb USING learned (ts);
CREATE INDEX pb_tz_ser ON pb USING learned (tz);
SET max_parallel_maintenance_workers = 2;

SELECT c, s.* FROM unnest('{i8,i4,i2,d,ts,tz}'::text[]) c,
	LATERAL pg_temp.same_as_serial(format('pb_%s_par', c)::regclass,
								   format('pb_%s_ser', c)::regclass) s;
SELECT learned_index_check(format('pb_%s_par', c)::regclass, true)
FROM unnest('{i8,i4,i2,d,ts,tz}'::text[]) c;

-- Every scan kind through the parallel-built indexes, against seqscans.
DROP INDEX pb_i8_ser, pb_i4_ser, pb_i2_ser, pb_d_ser, pb_ts_ser, pb_tz_ser;
SET enable_seqscan = off;
SELECT * FROM pg_temp.cmp('SELECT i8, i4 FROM pb WHERE i8 = 1000003::int8 * 7777 - 9000000000');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(i4) FROM pb WHERE i8 BETWEEN -5000000000 AND 2000000000');
SELECT * FROM pg_temp.cmp('SELECT i8 FROM pb WHERE i8 = ANY (ARRAY[-9000000000, 1000003::int8 * 19999 - 9000000000, 5, NULL])');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM pb WHERE i8 IS NULL');
SELECT * FROM pg_temp.cmp('SELECT i8 FROM pb ORDER BY i8 DESC LIMIT 50');
SELECT * FROM pg_temp.cmp('SELECT i4 FROM pb WHERE i4 >= 9990 ORDER BY i4');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM pb WHERE i2 < -14000 OR i2 IS NULL');
SELECT * FROM pg_temp.cmp('SELECT d FROM pb WHERE d BETWEEN date ''2010-01-01'' AND date ''2010-01-20'' ORDER BY d');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM pb WHERE ts > timestamp ''2020-01-08''');
SELECT * FROM pg_temp.cmp('SELECT tz FROM pb WHERE tz < timestamptz ''2020-01-01 00:00:00.01+00'' ORDER BY tz');
SET enable_indexscan = off;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM pb WHERE i4 BETWEEN -100 AND 100');
RESET enable_indexscan;
RESET enable_seqscan;

-- Unique indexes: one of the duplicate rows lies in the table's last
-- block, the other far from it, so that two participants may have scanned
-- them; either way they meet in the leader's merge.  btree (also built
-- with workers) answers the same statement the same way.
CREATE TABLE pbu (id int8, pad text)
	WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbu SELECT CASE WHEN g = 50000 THEN 7 ELSE (g * 7919) % 50000 END, 'x'
FROM generate_series(1, 50000) g;
INSERT INTO pbu VALUES (NULL, 'n1'), (NULL, 'n2');
VACUUM ANALYZE pbu;
SELECT count(*) - count(DISTINCT id) - 1 AS duplicates FROM pbu;
SELECT * FROM pg_temp.both('CREATE UNIQUE INDEX pbu_@ ON pbu USING @ (id)');
-- Without the duplicate: the same index as a serial build, and its NULLs.
DELETE FROM pbu WHERE id = 7 AND ctid = (SELECT max(ctid) FROM pbu WHERE id = 7);
VACUUM pbu;
SET client_min_messages = debug1;
CREATE UNIQUE INDEX pbu_par ON pbu USING learned (id);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE UNIQUE INDEX pbu_ser ON pbu USING learned (id);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbu_par', 'pbu_ser');
SELECT learned_index_check('pbu_par', true);
DROP INDEX pbu_ser;
-- NULLS NOT DISTINCT: the two NULL rows are duplicates, as in btree.
SELECT * FROM pg_temp.both('CREATE UNIQUE INDEX pbu_nnd_@ ON pbu USING @ (id) NULLS NOT DISTINCT');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id, pad FROM pbu WHERE id IN (7, 8, 49999)');
SELECT * FROM pg_temp.cmp('SELECT pad FROM pbu WHERE id IS NULL');
RESET enable_bitmapscan;
RESET enable_seqscan;

-- CONCURRENTLY: its first phase builds with workers too (the validation
-- that follows inserts serially); the same index as a serial build.
SET client_min_messages = debug1;
CREATE INDEX CONCURRENTLY pb_conc_par ON pb USING learned (i8);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX CONCURRENTLY pb_conc_ser ON pb USING learned (i8);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pb_conc_par', 'pb_conc_ser');
SELECT learned_index_check('pb_conc_par', true);

-- A worker's error reaches the leader: a key expression that fails in any
-- process but the leader (on 15 and 16, with no worker, on one row, with
-- the same message).  Sure to fail, as every participant gets blocks of
-- the table (the leader waits for the workers to attach before scanning).
SELECT set_config('pb.leader_pid', pg_backend_pid()::text, false) IS NOT NULL AS set;
CREATE FUNCTION pb_key_or_fail(k int8) RETURNS int8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	IF pg_backend_pid() <> current_setting('pb.leader_pid')::int4 OR k = 99999 THEN
		RAISE EXCEPTION 'pb_key_or_fail failed';
	END IF;
	RETURN k;
END
$$;
CREATE TABLE pbf (id int8) WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbf SELECT g FROM generate_series(1, 100000) g;
VACUUM ANALYZE pbf;
SELECT pg_temp.run('CREATE INDEX pbf_idx ON pbf USING learned (pb_key_or_fail(id))',
				   'learned', true);
-- Nothing left behind: no index, no parallel worker still running.
SELECT count(*) FROM pg_indexes WHERE tablename = 'pbf';
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker';

-- Cancellation: a key expression that sleeps 1 ms a row (at least 30 s of
-- scan shared by three participants); statement_timeout cancels after
-- 200 ms and must land within 2 s, leaving no worker behind.
CREATE FUNCTION pb_slow_key(k int8) RETURNS int8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	PERFORM pg_sleep(0.001);
	RETURN k;
END
$$;
CREATE FUNCTION pb_cancel_try() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	CREATE INDEX pbf_slow ON pbf USING learned (pb_slow_key(id));
	RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
	IF clock_timestamp() - t0 < interval '2 s' THEN
		RETURN 'cancelled in time';
	END IF;
	RETURN format('cancelled late, after %s', clock_timestamp() - t0);
END
$$;
SET statement_timeout = '200ms';
SELECT pb_cancel_try();
RESET statement_timeout;
SELECT count(*) FROM pg_indexes WHERE tablename = 'pbf';
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker';

-- Edges of the leader's merge of the participants' runs, each against a
-- serial build.  A table of one block: the participants that find no block
-- left have empty runs.
CREATE TABLE pbe (id int8) WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbe SELECT CASE WHEN g % 3 = 0 THEN NULL ELSE 10 - g % 7 END
FROM generate_series(1, 20) g;
VACUUM ANALYZE pbe;
SET client_min_messages = debug1;
CREATE INDEX pbe_par ON pbe USING learned (id);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pbe_ser ON pbe USING learned (id);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbe_par', 'pbe_ser');
-- Only NULL keys, in every participant's run.
CREATE TABLE pbn (id int8) WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbn SELECT NULL FROM generate_series(1, 30000) g;
VACUUM ANALYZE pbn;
SET client_min_messages = debug1;
CREATE INDEX pbn_par ON pbn USING learned (id);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pbn_ser ON pbn USING learned (id);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbn_par', 'pbn_ser');
SELECT * FROM pg_temp.both('CREATE UNIQUE INDEX pbn_nnd_@ ON pbn USING @ (id) NULLS NOT DISTINCT');
-- Runs larger than a participant's memory, written as sorted runs and
-- merged: the table's parallel_workers overrides maintenance_work_mem's cap
-- on workers, so 1MB is shared by three participants, each with room for
-- 10,922 entries in memory (and the radix sort's scratch copy), and at
-- least one of them gets 20,000 of the 60,000 rows.  NULL keys (first in
-- every run) and a duplicate (the last row; two participants, or one) ride
-- through it.
SET maintenance_work_mem = '1MB';
CREATE TABLE pbs (id int8) WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbs SELECT CASE WHEN g % 100 = 0 THEN NULL ELSE (g::int8 * 7919) % 60000 END
FROM generate_series(1, 60000) g;
VACUUM ANALYZE pbs;
SET client_min_messages = debug1;
CREATE INDEX pbs_par ON pbs USING learned (id);
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pbs_ser ON pbs USING learned (id);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbs_par', 'pbs_ser');
DROP INDEX pbs_par, pbs_ser;
INSERT INTO pbs VALUES (7919);
SELECT * FROM pg_temp.both('CREATE UNIQUE INDEX pbs_@ ON pbs USING @ (id)');
-- Far larger: a participant's 341kB allow 5 runs (each needs a read
-- buffer), 54,610 entries; at least one participant gets 66,667 or more
-- of the 200,001 rows, and its entries, its runs' too, go to a tuplesort.
INSERT INTO pbs SELECT CASE WHEN g % 100 = 0 THEN NULL ELSE (g::int8 * 7919) % 200000 END
FROM generate_series(60001, 200000) g;
VACUUM ANALYZE pbs;
CREATE INDEX pbs_par ON pbs USING learned (id);
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pbs_ser ON pbs USING learned (id);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbs_par', 'pbs_ser');
SET maintenance_work_mem = '96MB';
DROP TABLE pbe, pbn, pbs;

-- Every participant's run holds entries: a key that takes 1 ms a row
-- (pb_slow_key) keeps the leader from scanning the table alone before the
-- workers start, which on tables as small as the above it often does.
-- Scrambled keys, duplicates and NULLs interleave the runs in the merge.
CREATE TABLE pbw (id int8) WITH (autovacuum_enabled = off, parallel_workers = 2);
INSERT INTO pbw SELECT CASE WHEN g % 50 = 0 THEN NULL ELSE (g * 7919) % 1500 END
FROM generate_series(1, 3000) g;
VACUUM ANALYZE pbw;
SET client_min_messages = debug1;
CREATE INDEX pbw_par ON pbw USING learned (pb_slow_key(id));
RESET client_min_messages;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX pbw_ser ON pbw USING learned (pb_slow_key(id));
SET max_parallel_maintenance_workers = 2;
SELECT * FROM pg_temp.same_as_serial('pbw_par', 'pbw_ser');
DROP TABLE pbw;

DROP TABLE pb, pbu, pbf;
DROP FUNCTION pb_key_or_fail(int8);
DROP FUNCTION pb_slow_key(int8);
DROP FUNCTION pb_cancel_try();
DROP EXTENSION pageinspect;
