/* learned_am--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION learned_am" to load this file. \quit

CREATE FUNCTION learned_handler(internal)
RETURNS index_am_handler
AS 'MODULE_PATHNAME'
LANGUAGE C;

CREATE ACCESS METHOD learned TYPE INDEX HANDLER learned_handler;
COMMENT ON ACCESS METHOD learned IS 'learned index: a recursive model index over integer keys';

-- Integer types: one family with every cross-type operator, as btree's
-- integer_ops, so that an int8 index serves "WHERE id = 5" (an int4 literal).
-- Strategy numbers are btree's: 1 <, 2 <=, 3 =, 4 >=, 5 >.
CREATE OPERATOR FAMILY integer_ops USING learned;

CREATE OPERATOR CLASS int8_ops
DEFAULT FOR TYPE int8 USING learned FAMILY integer_ops AS
	OPERATOR 1 < (int8, int8),
	OPERATOR 2 <= (int8, int8),
	OPERATOR 3 = (int8, int8),
	OPERATOR 4 >= (int8, int8),
	OPERATOR 5 > (int8, int8);

CREATE OPERATOR CLASS int4_ops
DEFAULT FOR TYPE int4 USING learned FAMILY integer_ops AS
	OPERATOR 1 < (int4, int4),
	OPERATOR 2 <= (int4, int4),
	OPERATOR 3 = (int4, int4),
	OPERATOR 4 >= (int4, int4),
	OPERATOR 5 > (int4, int4);

CREATE OPERATOR CLASS int2_ops
DEFAULT FOR TYPE int2 USING learned FAMILY integer_ops AS
	OPERATOR 1 < (int2, int2),
	OPERATOR 2 <= (int2, int2),
	OPERATOR 3 = (int2, int2),
	OPERATOR 4 >= (int2, int2),
	OPERATOR 5 > (int2, int2);

ALTER OPERATOR FAMILY integer_ops USING learned ADD
	OPERATOR 1 < (int8, int4),
	OPERATOR 2 <= (int8, int4),
	OPERATOR 3 = (int8, int4),
	OPERATOR 4 >= (int8, int4),
	OPERATOR 5 > (int8, int4),
	OPERATOR 1 < (int8, int2),
	OPERATOR 2 <= (int8, int2),
	OPERATOR 3 = (int8, int2),
	OPERATOR 4 >= (int8, int2),
	OPERATOR 5 > (int8, int2),
	OPERATOR 1 < (int4, int8),
	OPERATOR 2 <= (int4, int8),
	OPERATOR 3 = (int4, int8),
	OPERATOR 4 >= (int4, int8),
	OPERATOR 5 > (int4, int8),
	OPERATOR 1 < (int4, int2),
	OPERATOR 2 <= (int4, int2),
	OPERATOR 3 = (int4, int2),
	OPERATOR 4 >= (int4, int2),
	OPERATOR 5 > (int4, int2),
	OPERATOR 1 < (int2, int8),
	OPERATOR 2 <= (int2, int8),
	OPERATOR 3 = (int2, int8),
	OPERATOR 4 >= (int2, int8),
	OPERATOR 5 > (int2, int8),
	OPERATOR 1 < (int2, int4),
	OPERATOR 2 <= (int2, int4),
	OPERATOR 3 = (int2, int4),
	OPERATOR 4 >= (int2, int4),
	OPERATOR 5 > (int2, int4);

-- Dates and timestamps map to their internal integers.  Cross-type
-- comparisons among them convert values (time zones), so each type has a
-- family of its own.
CREATE OPERATOR FAMILY date_ops USING learned;
CREATE OPERATOR CLASS date_ops
DEFAULT FOR TYPE date USING learned FAMILY date_ops AS
	OPERATOR 1 < (date, date),
	OPERATOR 2 <= (date, date),
	OPERATOR 3 = (date, date),
	OPERATOR 4 >= (date, date),
	OPERATOR 5 > (date, date);

CREATE OPERATOR FAMILY timestamp_ops USING learned;
CREATE OPERATOR CLASS timestamp_ops
DEFAULT FOR TYPE timestamp USING learned FAMILY timestamp_ops AS
	OPERATOR 1 < (timestamp, timestamp),
	OPERATOR 2 <= (timestamp, timestamp),
	OPERATOR 3 = (timestamp, timestamp),
	OPERATOR 4 >= (timestamp, timestamp),
	OPERATOR 5 > (timestamp, timestamp);

CREATE OPERATOR FAMILY timestamptz_ops USING learned;
CREATE OPERATOR CLASS timestamptz_ops
DEFAULT FOR TYPE timestamptz USING learned FAMILY timestamptz_ops AS
	OPERATOR 1 < (timestamptz, timestamptz),
	OPERATOR 2 <= (timestamptz, timestamptz),
	OPERATOR 3 = (timestamptz, timestamptz),
	OPERATOR 4 >= (timestamptz, timestamptz),
	OPERATOR 5 > (timestamptz, timestamptz);

-- Introspection: what the index learned and how it is doing.
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
	OUT mean_entry_bytes float8)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

-- Verification: every invariant of the structure, and optionally that every
-- heap tuple is indexed.  Raises an ERROR naming the block and the rule.
CREATE FUNCTION learned_index_check(index regclass,
	heapallindexed boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

-- The model, record by record: what the index learned.  Keys are the
-- internal int64 form (dates: days since 2000-01-01; timestamps:
-- microseconds since 2000-01-01).
CREATE FUNCTION learned_index_model(index regclass,
	OUT record int4,
	OUT block int8,
	OUT first_key int8,
	OUT last_fence_key int8,
	OUT pages int4,
	OUT slope float8,
	OUT intercept float8,
	OUT err_lo int4,
	OUT err_hi int4,
	OUT splits int8,
	OUT unlisted_splits int8)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

-- Refit the model from the current leaves without rewriting them; readers
-- and writers keep working.
CREATE FUNCTION learned_index_retrain(index regclass)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION learned_index_retrain(regclass) FROM PUBLIC;

-- The check takes ShareLock on the table and the index, like amcheck's
-- bt_index_parent_check: only those granted it may block writers.
REVOKE ALL ON FUNCTION learned_index_check(regclass, boolean) FROM PUBLIC;
