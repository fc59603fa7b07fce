--
-- privileges: who may call the introspection functions, and the update
-- of an installed 1.0 extension to 1.1 and 1.2.
--
-- learned_index_info and learned_index_model: EXECUTE for
-- pg_stat_scan_tables, as pgstattuple's and pg_visibility's functions;
-- then info needs SELECT on the table or pg_stat_scan_tables' privileges,
-- and model (which shows key values) SELECT on the indexed column.
-- learned_index_check and learned_index_retrain: superusers and whom they
-- grant EXECUTE.
--
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_learned_nobody;
DROP ROLE IF EXISTS regress_learned_monitor;
DROP ROLE IF EXISTS regress_learned_reader;
DROP ROLE IF EXISTS regress_learned_colreader;
RESET client_min_messages;

-- Run a statement; say 'ok' or the SQLSTATE and message it raised.
CREATE FUNCTION learned_priv_try(q text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE TABLE priv_t (id int8, secret text) WITH (autovacuum_enabled = off);
INSERT INTO priv_t SELECT g * 1000, 'row ' || g FROM generate_series(1, 2000) g;
CREATE INDEX priv_t_idx ON priv_t USING learned (id);
CREATE INDEX priv_t_expr_idx ON priv_t USING learned ((id + 1));

-- No privilege at all.
CREATE ROLE regress_learned_nobody;
-- pg_stat_scan_tables (as pg_monitor is), no privilege on the table.
CREATE ROLE regress_learned_monitor IN ROLE pg_stat_scan_tables;
-- SELECT on the table, and EXECUTE granted by the administrator.
CREATE ROLE regress_learned_reader;
GRANT SELECT ON priv_t TO regress_learned_reader;
GRANT EXECUTE ON FUNCTION learned_index_info(regclass),
	learned_index_model(regclass) TO regress_learned_reader;
-- SELECT on the indexed column only, pg_stat_scan_tables.
CREATE ROLE regress_learned_colreader IN ROLE pg_stat_scan_tables;
GRANT SELECT (id) ON priv_t TO regress_learned_colreader;

-- Who may execute what, as the catalog says.
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public,
	   has_function_privilege('pg_stat_scan_tables', p.oid, 'EXECUTE') AS pg_stat_scan_tables
FROM pg_proc p
WHERE p.proname IN ('learned_index_info', 'learned_index_model',
					'learned_index_check', 'learned_index_retrain')
ORDER BY p.oid::regprocedure::text;

CREATE TEMP TABLE priv_calls (call text, ord int);
INSERT INTO priv_calls VALUES
	('SELECT * FROM learned_index_info(''priv_t_idx'')', 1),
	('SELECT * FROM learned_index_model(''priv_t_idx'')', 2),
	('SELECT * FROM learned_index_info(''priv_t_expr_idx'')', 3),
	('SELECT * FROM learned_index_model(''priv_t_expr_idx'')', 4),
	('SELECT learned_index_check(''priv_t_idx'')', 5),
	('SELECT learned_index_check(''priv_t_idx'', true)', 6),
	('SELECT learned_index_retrain(''priv_t_idx'')', 7);
GRANT SELECT ON priv_calls TO PUBLIC;

SET ROLE regress_learned_nobody;
SELECT call, learned_priv_try(call) FROM priv_calls ORDER BY ord;
SET ROLE regress_learned_monitor;
SELECT call, learned_priv_try(call) FROM priv_calls ORDER BY ord;
SET ROLE regress_learned_reader;
SELECT call, learned_priv_try(call) FROM priv_calls ORDER BY ord;
SELECT record, first_key FROM learned_index_model('priv_t_idx') ORDER BY record LIMIT 1;
SET ROLE regress_learned_colreader;
SELECT call, learned_priv_try(call) FROM priv_calls ORDER BY ord;
RESET ROLE;

-- The whole message, as psql shows it.
SET ROLE regress_learned_monitor;
SELECT first_key FROM learned_index_model('priv_t_idx');
RESET ROLE;

-- The superuser may call everything.
SELECT call, learned_priv_try(call) FROM priv_calls ORDER BY ord;

DROP TABLE priv_t;
REVOKE EXECUTE ON FUNCTION learned_index_info(regclass),
	learned_index_model(regclass) FROM regress_learned_reader;
DROP ROLE regress_learned_nobody, regress_learned_monitor,
	regress_learned_reader, regress_learned_colreader;
DROP FUNCTION learned_priv_try(text);

-- An installation of 1.0 updated to the latest (1.1, then 1.2), in a
-- database of its own.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_learned_update;
RESET client_min_messages;
CREATE DATABASE regress_learned_update;
\c regress_learned_update
CREATE EXTENSION learned_am VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'learned_am';
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public,
	   has_function_privilege('pg_stat_scan_tables', p.oid, 'EXECUTE') AS pg_stat_scan_tables
FROM pg_proc p
WHERE p.proname IN ('learned_index_info', 'learned_index_model',
					'learned_index_check', 'learned_index_retrain')
ORDER BY p.oid::regprocedure::text;
-- An index made under 1.0 is kept by the update.
CREATE TABLE upd_t (id int8);
INSERT INTO upd_t SELECT g FROM generate_series(1, 1000) g;
CREATE INDEX upd_t_idx ON upd_t USING learned (id);
-- Before the update PUBLIC may execute both, but the library's own check
-- already refuses a role that may not read the table.
CREATE ROLE regress_learned_nobody;
SET ROLE regress_learned_nobody;
SELECT entries FROM learned_index_info('upd_t_idx');
SELECT first_key FROM learned_index_model('upd_t_idx');
RESET ROLE;
DROP ROLE regress_learned_nobody;
ALTER EXTENSION learned_am UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'learned_am';
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public,
	   has_function_privilege('pg_stat_scan_tables', p.oid, 'EXECUTE') AS pg_stat_scan_tables
FROM pg_proc p
WHERE p.proname IN ('learned_index_info', 'learned_index_model',
					'learned_index_check', 'learned_index_retrain')
ORDER BY p.oid::regprocedure::text;
SELECT learned_index_check('upd_t_idx', true);
SELECT entries, levels FROM learned_index_info('upd_t_idx');
SET enable_seqscan = off;
SELECT id FROM upd_t WHERE id = 500;
RESET enable_seqscan;
-- A fresh installation has what the update made.
DROP EXTENSION learned_am CASCADE;
CREATE EXTENSION learned_am;
SELECT extversion FROM pg_extension WHERE extname = 'learned_am';
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public,
	   has_function_privilege('pg_stat_scan_tables', p.oid, 'EXECUTE') AS pg_stat_scan_tables
FROM pg_proc p
WHERE p.proname IN ('learned_index_info', 'learned_index_model',
					'learned_index_check', 'learned_index_retrain')
ORDER BY p.oid::regprocedure::text;
\c :regress_db
DROP DATABASE regress_learned_update;
