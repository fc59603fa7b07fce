-- Shared by the regression tests (not a test itself): a test includes it
-- with \i :cmp_sql after setting cmp_sql from PG_ABS_SRCDIR, which
-- pg_regress sets, so that it is found whatever the current directory.
--
-- cmp(query): show the plan the query gets under the current settings, run
-- it, run it again by sequential scan (no index, every join method and sort
-- allowed), and report whether the answers agree (in order when the query
-- has ORDER BY, as multisets otherwise).  The row count shown is the
-- sequential scan's; a wrong answer also prints the differing rows.
CREATE FUNCTION pg_temp.cmp(q text) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	line text;
	r record;
	via_index text[] := '{}';
	via_seq text[] := '{}';
	gucs text[] := '{enable_indexscan, enable_bitmapscan, enable_indexonlyscan, enable_seqscan, enable_sort, enable_hashjoin, enable_mergejoin, enable_nestloop}';
	seq_values text[] := '{off, off, off, on, on, on, on, on}';
	saved text[] := ARRAY(SELECT current_setting(g) FROM unnest(gucs) g);
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		RETURN NEXT line;
	END LOOP;
	FOR r IN EXECUTE q LOOP
		via_index := array_append(via_index, r::text);
	END LOOP;
	PERFORM set_config(gucs[i], seq_values[i], false) FROM generate_subscripts(gucs, 1) i;
	FOR r IN EXECUTE q LOOP
		via_seq := array_append(via_seq, r::text);
	END LOOP;
	PERFORM set_config(gucs[i], saved[i], false) FROM generate_subscripts(gucs, 1) i;
	IF q !~* '\morder\s+by\M' THEN
		via_index := ARRAY(SELECT x FROM unnest(via_index) x ORDER BY x);
		via_seq := ARRAY(SELECT x FROM unnest(via_seq) x ORDER BY x);
	END IF;
	RETURN NEXT format('rows: %s, same as seqscan: %s',
					   cardinality(via_seq), via_index = via_seq);
	IF via_index <> via_seq THEN
		RETURN QUERY SELECT 'only via index: ' || x FROM
			(SELECT unnest(via_index) EXCEPT ALL SELECT unnest(via_seq)) d(x)
			ORDER BY 1 LIMIT 5;
		RETURN QUERY SELECT 'only via seqscan: ' || x FROM
			(SELECT unnest(via_seq) EXCEPT ALL SELECT unnest(via_index)) d(x)
			ORDER BY 1 LIMIT 5;
		RETURN QUERY SELECT 'first difference at row ' || i || ': ' ||
			coalesce(via_index[i], 'no row') || ' vs ' || coalesce(via_seq[i], 'no row')
			FROM generate_series(1, greatest(cardinality(via_index), cardinality(via_seq))) i
			WHERE via_index[i] IS DISTINCT FROM via_seq[i] LIMIT 1;
	END IF;
END
$fn$;
