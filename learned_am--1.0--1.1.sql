/* learned_am--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION learned_am UPDATE TO '1.1'" to load this file. \quit

-- learned_index_info and learned_index_model read the whole index (or its
-- model pages) under AccessShareLock, and learned_index_model shows key
-- values.  As pgstattuple's and pg_visibility's functions: not for PUBLIC,
-- but for pg_stat_scan_tables (and whom an administrator grants EXECUTE).
-- The C functions check in addition that the caller may read the keys
-- (learned_index_model: SELECT on the indexed column) or the statistics
-- (learned_index_info: SELECT on the table, or pg_stat_scan_tables).
-- learned_index_check and learned_index_retrain stay as 1.0 made them:
-- EXECUTE revoked from PUBLIC, for superusers and whom they grant it.
REVOKE ALL ON FUNCTION learned_index_info(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION learned_index_info(regclass) TO pg_stat_scan_tables;

REVOKE ALL ON FUNCTION learned_index_model(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION learned_index_model(regclass) TO pg_stat_scan_tables;
