/* learned_am--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION learned_am UPDATE TO '1.2'" to load this file. \quit

-- learned_index_info gains a last column, levels: how many levels of
-- records the model has (1 until the metapage's directory fills; README,
-- "Limits").  A function's result columns cannot change in place, so it is
-- dropped and created again, with 1.1's privileges.
DROP FUNCTION learned_index_info(regclass);
CREATE FUNCTION learned_index_info(index regclass,
	OUT root_type text,
	OUT records int4,
	OUT model_pages int4,
	OUT leaf_pages int8,
	OUT null_pages int8,
	OUT entries int8,
	OUT null_entries int8,
	OUT build_entries int8,
	OUT splits int8,
	OUT unlisted_splits int8,
	OUT generation int4,
	OUT fillfactor int4,
	OUT root_err_lo int4,
	OUT root_err_hi int4,
	OUT mean_window float8,
	OUT max_window int4,
	OUT expected_pages_per_lookup float8,
	OUT cached_bytes int8,
	OUT pages_per_record int4,
	OUT model_choice text,
	OUT cache_budget int8,
	OUT mean_entry_bytes float8,
	OUT levels int4)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

REVOKE ALL ON FUNCTION learned_index_info(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION learned_index_info(regclass) TO pg_stat_scan_tables;
