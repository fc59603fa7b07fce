--
-- unique: unique learned indexes against unique btree indexes.
--
-- Every statement runs twice, on a table with a learned unique index
-- (u_learned) and on a twin with a btree one (u_btree), loaded alike; '@'
-- in a statement stands for "learned" or "btree".  both() shows learned's
-- answer (ok and the row count, or SQLSTATE: message / detail, names
-- written with '@' again), whether btree gave the same answer, btree's
-- answer where it differs, and whether the two tables hold the same rows
-- afterwards.  Index answers are compared with sequential scans (cmp).
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- Run one statement for one access method; its outcome as text.
CREATE FUNCTION pg_temp.run(stmt text, am text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
	n bigint;
	st text;
	msg text;
	det text;
BEGIN
	EXECUTE replace(stmt, '@', am);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN 'ok, ' || n || ' rows';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL;
	RETURN st || ': ' || replace(msg, am, '@') ||
		coalesce(' / ' || nullif(replace(det, am, '@'), ''), '');
END
$fn$;

-- Do the twins hold the same rows?  (Sequential scans, whatever the
-- session's settings.)
CREATE FUNCTION pg_temp.same_rows(tab text) RETURNS boolean
LANGUAGE plpgsql SET enable_seqscan = on AS $fn$
DECLARE
	differ bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %I EXCEPT ALL SELECT * FROM %I)'
				   ' UNION ALL (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I)) d',
				   tab || '_learned', tab || '_btree', tab || '_btree', tab || '_learned')
		INTO differ;
	RETURN differ = 0;
END
$fn$;

-- Run a statement on both tables (base name tab) and compare.
CREATE FUNCTION pg_temp.both(tab text, stmt text,
							 OUT learned text, OUT same_as_btree boolean,
							 OUT btree text, OUT same_rows boolean)
LANGUAGE plpgsql AS $fn$
BEGIN
	learned := pg_temp.run(stmt, 'learned');
	btree := pg_temp.run(stmt, 'btree');
	same_as_btree := learned = btree;
	IF same_as_btree THEN
		btree := NULL;
	END IF;
	same_rows := pg_temp.same_rows(tab);
END
$fn$;

CREATE TABLE u_learned (id int8, v text) WITH (autovacuum_enabled = off);
CREATE TABLE u_btree (id int8, v text) WITH (autovacuum_enabled = off);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ SELECT (g * 7919) % 5003, 'r' || g FROM generate_series(1, 5000) g$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (NULL, 'n1'), (NULL, 'n2'), (42, 'dup')$$);

-- CREATE UNIQUE INDEX over a live duplicate fails as btree's does.
SELECT * FROM pg_temp.both('u', $$CREATE UNIQUE INDEX u_@_key ON u_@ USING @ (id)$$);
-- A duplicate deleted by the building transaction itself is indexed (a
-- recently dead tuple) but is no duplicate.
BEGIN;
SELECT * FROM pg_temp.both('u', $$DELETE FROM u_@ WHERE v = 'dup'$$);
SELECT * FROM pg_temp.both('u', $$CREATE UNIQUE INDEX u_@_key ON u_@ USING @ (id)$$);
SELECT entries = (SELECT count(*) FROM u_learned WHERE id IS NOT NULL) + 1
	   AS dead_duplicate_indexed
FROM learned_index_info('u_learned_key');
COMMIT;
SELECT learned_index_check('u_learned_key', true);
SELECT indisunique, indnullsnotdistinct, indisvalid, indimmediate
FROM pg_index WHERE indexrelid = 'u_learned_key'::regclass;

SET enable_seqscan = off;
SET enable_bitmapscan = off;

-- Plain inserts: a live duplicate, a new key, duplicates within one
-- statement, NULLs (distinct by default).
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (5, 'again')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (42, 'again')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (6000, 'new')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (6001, 'a'), (6002, 'b'), (6001, 'c')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (NULL, 'n3'), (NULL, 'n4')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (9223372036854775807, 'max2')$$);
SELECT * FROM pg_temp.both('u', $$COPY u_@ FROM PROGRAM 'printf "7000\tc1\n7001\tc2\n7000\tc3\n"'$$);
-- Dead conflicts are skipped: deleted, rolled back, deleted in this
-- transaction.
SELECT * FROM pg_temp.both('u', $$DELETE FROM u_@ WHERE id = 100$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (100, 'after delete')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (100, 'once more')$$);
BEGIN;
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (8000, 'rolled back')$$);
ROLLBACK;
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (8000, 'after rollback')$$);
BEGIN;
SELECT * FROM pg_temp.both('u', $$DELETE FROM u_@ WHERE id = 200$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (200, 'same transaction')$$);
COMMIT;

-- UPDATE of the key: onto a live key, to a new key, a shift of every key
-- (fails on the first row that meets its successor), a swap in one
-- statement, a non-key update (HOT: no new entry).
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = 43 WHERE id = 42$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = 9000 WHERE id = 42$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = 42 WHERE id = 9000$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = id + 1 WHERE id BETWEEN 10 AND 20$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = 31 - id WHERE id IN (10, 21)$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET id = id + 100000 WHERE id BETWEEN 10 AND 20$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET v = v || '+' WHERE id BETWEEN 1 AND 50$$);
-- Rows grown past their page's free space: new versions elsewhere, new
-- entries with the same keys, which must not conflict with the old ones.
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET v = repeat('w', 2000) WHERE id BETWEEN 60 AND 69$$);
SELECT * FROM pg_temp.both('u', $$UPDATE u_@ SET v = 'back' WHERE id BETWEEN 60 AND 69$$);

-- One key with 2,500 dead entries, spread over several leaves (only they
-- are inserted meanwhile, so every new leaf holds some); then the live one
-- is the last entry of the run: the check must walk right to it.
SELECT leaf_pages AS leaves_before FROM learned_index_info('u_learned_key') \gset
SELECT * FROM pg_temp.both('u', $q$DO $do$ BEGIN FOR i IN 1..2500 LOOP INSERT INTO u_@ VALUES (-5, 'churn'); DELETE FROM u_@ WHERE id = -5; END LOOP; END $do$$q$);
SELECT leaf_pages - :leaves_before >= 2 AS churn_spans_leaves FROM learned_index_info('u_learned_key');
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (-5, 'live')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (-5, 'second')$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (-4, 'neighbour'), (-6, 'neighbour')$$);

-- INSERT ... ON CONFLICT: PostgreSQL 15 to 17 refuse a table with a
-- non-btree unique index (BuildSpeculativeIndexInfo), whatever the arbiter.
-- (Rolled back: btree's upserts would leave the twins different.)
BEGIN;
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (5, 'oc') ON CONFLICT (id) DO NOTHING$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (5, 'oc') ON CONFLICT DO NOTHING$$);
SELECT * FROM pg_temp.both('u', $$INSERT INTO u_@ VALUES (5, 'oc') ON CONFLICT (id) DO UPDATE SET v = excluded.v$$);
ROLLBACK;

-- Replica identity: a unique index on NOT NULL columns.
SELECT * FROM pg_temp.both('u', $$ALTER TABLE u_@ REPLICA IDENTITY USING INDEX u_@_key$$);
SELECT * FROM pg_temp.both('u', $$DELETE FROM u_@ WHERE id IS NULL$$);
SELECT * FROM pg_temp.both('u', $$ALTER TABLE u_@ ALTER COLUMN id SET NOT NULL$$);
SELECT * FROM pg_temp.both('u', $$ALTER TABLE u_@ REPLICA IDENTITY USING INDEX u_@_key$$);
SELECT relname, relreplident FROM pg_class
WHERE relname IN ('u_learned', 'u_btree') ORDER BY relname;

-- What the server accepts of a unique learned index beyond uniqueness:
-- constraints and foreign keys only on btree (each rolled back: a
-- constraint renames btree's index).
BEGIN;
SELECT * FROM pg_temp.both('u', $$ALTER TABLE u_@ ADD CONSTRAINT u_@_pk PRIMARY KEY USING INDEX u_@_key$$);
ROLLBACK;
BEGIN;
SELECT * FROM pg_temp.both('u', $$ALTER TABLE u_@ ADD CONSTRAINT u_@_uq UNIQUE USING INDEX u_@_key$$);
ROLLBACK;
BEGIN;
SELECT * FROM pg_temp.both('u', $$CREATE TABLE ref_@ (uid int8 REFERENCES u_@ (id))$$);
ROLLBACK;

-- The index against the heap.
SELECT learned_index_check('u_learned_key', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM u_learned WHERE id = 42');
SELECT * FROM pg_temp.cmp('SELECT * FROM u_learned WHERE id = -5');
SELECT * FROM pg_temp.cmp('SELECT * FROM u_learned WHERE id IN (5, 100, 200, 6001, 7000, 8000, 9000)');
SELECT * FROM pg_temp.cmp('SELECT id FROM u_learned ORDER BY id');
SELECT count(*) = count(DISTINCT id) AS ids_distinct, count(*) FROM u_learned;

-- NULLS NOT DISTINCT: two NULLs are duplicates, at build and on insert.
CREATE TABLE n_learned (id int8, v text);
CREATE TABLE n_btree (id int8, v text);
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'a'), (NULL, 'b'), (1, 'one')$$);
SELECT * FROM pg_temp.both('n', $$CREATE UNIQUE INDEX n_@_key ON n_@ USING @ (id) NULLS NOT DISTINCT$$);
SELECT * FROM pg_temp.both('n', $$DELETE FROM n_@ WHERE v = 'b'$$);
SELECT * FROM pg_temp.both('n', $$CREATE UNIQUE INDEX n_@_key ON n_@ USING @ (id) NULLS NOT DISTINCT$$);
SELECT indnullsnotdistinct FROM pg_index WHERE indexrelid = 'n_learned_key'::regclass;
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'c')$$);
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (1, 'c')$$);
SELECT * FROM pg_temp.both('n', $$UPDATE n_@ SET id = NULL WHERE id = 1$$);
SELECT * FROM pg_temp.both('n', $$DELETE FROM n_@ WHERE id IS NULL$$);
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'd')$$);
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'e')$$);
-- Many dead NULLs before the live one: the whole chain is checked.
SELECT * FROM pg_temp.both('n', $q$DO $do$ BEGIN FOR i IN 1..1500 LOOP DELETE FROM n_@ WHERE id IS NULL; INSERT INTO n_@ VALUES (NULL, 'churn' || i); END LOOP; END $do$$q$);
SELECT null_pages > 1 AS nulls_span_pages FROM learned_index_info('n_learned_key');
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'f')$$);
SELECT learned_index_check('n_learned_key', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM n_learned WHERE id IS NULL');
-- Without NULLS NOT DISTINCT the same index takes any number of NULLs.
SELECT * FROM pg_temp.both('n', $$DROP INDEX n_@_key$$);
SELECT * FROM pg_temp.both('n', $$CREATE UNIQUE INDEX n_@_key ON n_@ USING @ (id)$$);
SELECT * FROM pg_temp.both('n', $$INSERT INTO n_@ VALUES (NULL, 'g'), (NULL, 'h')$$);
SELECT * FROM pg_temp.cmp('SELECT * FROM n_learned WHERE id IS NULL');

RESET enable_seqscan;
RESET enable_bitmapscan;

-- CREATE UNIQUE INDEX CONCURRENTLY and REINDEX [CONCURRENTLY] cannot run
-- in a function: each runs as itself, its SQLSTATE and message kept in
-- psql variables and compared below.
CREATE TABLE c_learned (id int8, v text);
CREATE TABLE c_btree (id int8, v text);
INSERT INTO c_learned SELECT g, 'c' || g FROM generate_series(1, 3000) g;
INSERT INTO c_learned VALUES (1234, 'dup');
INSERT INTO c_btree SELECT * FROM c_learned;
\set VERBOSITY terse
CREATE UNIQUE INDEX CONCURRENTLY c_learned_key ON c_learned USING learned (id);
SELECT :'SQLSTATE' AS l_state, replace(:'LAST_ERROR_MESSAGE', 'learned', '@') AS l_msg \gset
CREATE UNIQUE INDEX CONCURRENTLY c_btree_key ON c_btree USING btree (id);
SELECT :'SQLSTATE' AS b_state, replace(:'LAST_ERROR_MESSAGE', 'btree', '@') AS b_msg \gset
SELECT :'l_state' AS learned_state, :'l_msg' AS learned_message,
	   :'l_state' = :'b_state' AND :'l_msg' = :'b_msg' AS same_as_btree;
-- Both leave an invalid index behind; REINDEX CONCURRENTLY fails alike
-- while the duplicate lives, and makes it valid once it is gone.
SELECT c.relname, i.indisvalid, i.indisready FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname IN ('c_learned_key', 'c_btree_key') ORDER BY 1;
REINDEX INDEX CONCURRENTLY c_learned_key;
SELECT :'SQLSTATE' AS l_state, replace(:'LAST_ERROR_MESSAGE', 'learned', '@') AS l_msg \gset
REINDEX INDEX CONCURRENTLY c_btree_key;
SELECT :'SQLSTATE' AS b_state, replace(:'LAST_ERROR_MESSAGE', 'btree', '@') AS b_msg \gset
SELECT :'l_state' AS learned_state, :'l_msg' AS learned_message,
	   :'l_state' = :'b_state' AND :'l_msg' = :'b_msg' AS same_as_btree;
DROP INDEX c_learned_key_ccnew, c_btree_key_ccnew;
DELETE FROM c_learned WHERE v = 'dup';
DELETE FROM c_btree WHERE v = 'dup';
REINDEX INDEX CONCURRENTLY c_learned_key;
REINDEX INDEX CONCURRENTLY c_btree_key;
SELECT c.relname, i.indisvalid, i.indisready FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname IN ('c_learned_key', 'c_btree_key') ORDER BY 1;
-- CREATE UNIQUE INDEX CONCURRENTLY over unique keys, then REINDEX.
DROP INDEX c_learned_key;
CREATE UNIQUE INDEX CONCURRENTLY c_learned_key ON c_learned USING learned (id);
REINDEX INDEX c_learned_key;
REINDEX TABLE CONCURRENTLY c_learned;
INSERT INTO c_learned VALUES (1234, 'dup again');
SELECT :'SQLSTATE' AS l_state, replace(:'LAST_ERROR_MESSAGE', 'learned', '@') AS l_msg \gset
INSERT INTO c_btree VALUES (1234, 'dup again');
SELECT :'SQLSTATE' AS b_state, replace(:'LAST_ERROR_MESSAGE', 'btree', '@') AS b_msg \gset
SELECT :'l_state' AS learned_state, :'l_msg' AS learned_message,
	   :'l_state' = :'b_state' AND :'l_msg' = :'b_msg' AS same_as_btree;
\set VERBOSITY default
SELECT learned_index_check('c_learned_key', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM c_learned WHERE id BETWEEN 1230 AND 1240');

DROP TABLE u_learned, u_btree, n_learned, n_btree, c_learned, c_btree;
