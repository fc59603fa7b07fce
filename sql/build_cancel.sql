--
-- build_cancel: CREATE INDEX stays cancellable once the table scan has
-- met a NULL key (the NULL chain is written without holding a buffer lock
-- across the scan's callbacks, so interrupts are not held off).
--
-- The key expression sleeps 1 ms a row, so that each build takes at least
-- 4 s of table scan while costing no CPU.  statement_timeout fires after
-- 100 ms; the cancel must land within 2 s, far before the scan would end.
-- Held off, it landed only once the scan had finished (4 s or more).
--

-- Not STRICT: NULL rows sleep too.  IMMUTABLE only so that it can index.
CREATE FUNCTION build_cancel_slow_key(k int8) RETURNS int8
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	PERFORM pg_sleep(0.001);
	RETURN k;
END
$$;

-- Build a learned index on build_cancel_slow_key(id) of the table and say
-- when the statement timeout cancelled it.
CREATE FUNCTION build_cancel_try(tbl text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE format('CREATE INDEX ON %I USING learned (build_cancel_slow_key(id))', tbl);
	RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
	IF clock_timestamp() - t0 < interval '2 s' THEN
		RETURN 'cancelled in time';
	END IF;
	RETURN format('cancelled late, after %s', clock_timestamp() - t0);
END
$$;

-- No NULL: the reference.
CREATE TABLE build_cancel_keys (id int8) WITH (autovacuum_enabled = off);
INSERT INTO build_cancel_keys SELECT g FROM generate_series(1, 4000) g;
-- The first row NULL, then keys.
CREATE TABLE build_cancel_null_first (id int8) WITH (autovacuum_enabled = off);
INSERT INTO build_cancel_null_first VALUES (NULL);
INSERT INTO build_cancel_null_first SELECT g FROM generate_series(1, 3999) g;
-- NULLs only: the cancel lands after the NULL chain has grown past its
-- first page.
CREATE TABLE build_cancel_nulls (id int8) WITH (autovacuum_enabled = off);
INSERT INTO build_cancel_nulls SELECT NULL FROM generate_series(1, 4000);

SET statement_timeout = '100ms';
SELECT build_cancel_try('build_cancel_keys');
SELECT build_cancel_try('build_cancel_null_first');
SELECT build_cancel_try('build_cancel_nulls');
RESET statement_timeout;

-- Nothing was left behind.
SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'build_cancel%';

-- A build over NULLs that is not cancelled still writes the whole chain.
CREATE TABLE build_cancel_done (id int8) WITH (autovacuum_enabled = off);
INSERT INTO build_cancel_done
SELECT CASE WHEN g % 3 = 0 THEN NULL ELSE g END FROM generate_series(1, 9000) g;
CREATE INDEX build_cancel_done_idx ON build_cancel_done USING learned (id);
SELECT learned_index_check('build_cancel_done_idx', true);
SELECT entries, null_entries, null_pages > 1 AS several_null_pages
FROM learned_index_info('build_cancel_done_idx');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) FROM build_cancel_done WHERE id IS NULL;
RESET enable_seqscan;
RESET enable_bitmapscan;

DROP TABLE build_cancel_keys, build_cancel_null_first, build_cancel_nulls,
	build_cancel_done;
DROP FUNCTION build_cancel_try(text);
DROP FUNCTION build_cancel_slow_key(int8);
