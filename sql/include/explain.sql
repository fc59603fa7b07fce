-- Shared by the regression tests (not a test itself): a test includes it
-- with \i :explain_sql after setting explain_sql from PG_ABS_SRCDIR, which
-- pg_regress sets, so that it is found whatever the current directory.
--
-- explain_analyze(q, buffers): run q under EXPLAIN ANALYZE and show, per
-- plan node, what does not depend on the PostgreSQL version's EXPLAIN text
-- (18 prints fractional row counts, buffers by default and "Index Searches"):
-- the node and its index, actual rows and loops, heap fetches, with buffers
-- the shared blocks hit or read, and for an index node the searches of the
-- index the statement made (this backend's idx_scan count for the index,
-- pg_stat_get_xact_numscans, which the whole statement runs in one
-- transaction for).  Where EXPLAIN counts "Index Searches" (18 on), it must
-- say the same, or the function raises an error.
CREATE FUNCTION pg_temp.explain_node(node jsonb, depth int, buffers bool,
									 searches jsonb) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	child jsonb;
	line text;
	idx text := node->>'Index Name';
BEGIN
	line := repeat('  ', depth) || (node->>'Node Type') ||
		coalesce(' using ' || idx, '') ||
		format(': rows %s, loops %s', round((node->>'Actual Rows')::numeric),
			   node->>'Actual Loops');
	IF node ? 'Heap Fetches' THEN
		line := line || ', heap fetches ' || (node->>'Heap Fetches');
	END IF;
	IF buffers THEN
		line := line || ', buffers ' ||
			((node->>'Shared Hit Blocks')::int8 + (node->>'Shared Read Blocks')::int8);
	END IF;
	IF idx IS NOT NULL THEN
		line := line || ', index searches ' || (searches->>idx);
		IF node ? 'Index Searches' AND
			(node->>'Index Searches')::int8 <> (searches->>idx)::int8 THEN
			RAISE EXCEPTION 'EXPLAIN counts % index searches of %, the statistics %',
				node->>'Index Searches', idx, searches->>idx;
		END IF;
	END IF;
	RETURN NEXT line;
	FOR child IN SELECT * FROM jsonb_array_elements(coalesce(node->'Plans', '[]'))
	LOOP
		RETURN QUERY SELECT * FROM pg_temp.explain_node(child, depth + 1, buffers, searches);
	END LOOP;
END
$fn$;

CREATE FUNCTION pg_temp.explain_analyze(q text, buffers bool DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	plan jsonb;
	before jsonb;
	searches jsonb;
BEGIN
	SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_numscans(c.oid)) INTO before
	FROM pg_class c WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace;
	EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q
		INTO plan;
	SELECT jsonb_object_agg(c.relname,
							pg_stat_get_xact_numscans(c.oid) - (before->>c.relname)::int8)
		INTO searches
	FROM pg_class c WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace;
	RETURN QUERY SELECT * FROM pg_temp.explain_node(plan->0->'Plan', 0, buffers, searches);
END
$fn$;
