--
-- create_errors: what CREATE INDEX ... USING learned refuses, and reloptions.
--

CREATE TABLE err_t (i8 int8, i4 int4, i2 int2, t text, f float8, n numeric,
					d date)
	WITH (autovacuum_enabled = off);
INSERT INTO err_t SELECT g, g, g, g::text, g, g, date '2000-01-01' + g
FROM generate_series(1, 100) g;

-- Unsupported types: no default operator class.
CREATE INDEX ON err_t USING learned (t);
CREATE INDEX ON err_t USING learned (f);
CREATE INDEX ON err_t USING learned (n);
-- An operator class for another type.
CREATE INDEX ON err_t USING learned (t int8_ops);
CREATE INDEX ON err_t USING learned (f date_ops);

-- Shapes the index does not support.
CREATE INDEX ON err_t USING learned (i8, i4);
CREATE INDEX ON err_t USING learned (i8) INCLUDE (i4);
-- Ordering options it cannot honour.
CREATE INDEX ON err_t USING learned (i8 DESC);
CREATE INDEX ON err_t USING learned (i8 NULLS FIRST);
CREATE INDEX ON err_t USING learned (i8 DESC NULLS LAST);
CREATE INDEX ON err_t USING learned (i4 DESC);
-- The defaults spelled out are fine.
CREATE INDEX err_asc ON err_t USING learned (i8 ASC NULLS LAST);
DROP INDEX err_asc;

-- Reloptions.
CREATE INDEX ON err_t USING learned (i8) WITH (fillfactor = 5);
CREATE INDEX ON err_t USING learned (i8) WITH (fillfactor = 9);
CREATE INDEX ON err_t USING learned (i8) WITH (fillfactor = 101);
CREATE INDEX ON err_t USING learned (i8) WITH (foo = 1);
CREATE INDEX ON err_t USING learned (i8) WITH (fillfactor = 'abc');
CREATE INDEX err_ff10 ON err_t USING learned (i8) WITH (fillfactor = 10);
CREATE INDEX err_ff50 ON err_t USING learned (i8) WITH (fillfactor = 50);
CREATE INDEX err_ff100 ON err_t USING learned (i8) WITH (fillfactor = 100);
SELECT relname, reloptions FROM pg_class
WHERE relname IN ('err_ff10', 'err_ff50', 'err_ff100') ORDER BY relname;
SELECT fillfactor, entries FROM learned_index_info('err_ff10');
SELECT fillfactor, entries FROM learned_index_info('err_ff50');
SELECT fillfactor, entries FROM learned_index_info('err_ff100');
SELECT learned_index_check('err_ff10', true);
SELECT learned_index_check('err_ff50', true);
SELECT learned_index_check('err_ff100', true);
ALTER INDEX err_ff50 SET (fillfactor = 3);
ALTER INDEX err_ff50 SET (bar = 3);
ALTER INDEX err_ff50 SET (fillfactor = 70);
SELECT reloptions FROM pg_class WHERE relname = 'err_ff50';
DROP INDEX err_ff10, err_ff50, err_ff100;

-- Supported types all build.
CREATE INDEX err_i2 ON err_t USING learned (i2);
CREATE INDEX err_i4 ON err_t USING learned (i4);
CREATE INDEX err_d ON err_t USING learned (d);
CREATE INDEX err_expr ON err_t USING learned ((i8 * 2));
CREATE INDEX err_partial ON err_t USING learned (i8) WHERE i8 > 50;
SELECT learned_index_check('err_i2', true);
SELECT learned_index_check('err_i4', true);
SELECT learned_index_check('err_d', true);
SELECT learned_index_check('err_expr', true);
SELECT learned_index_check('err_partial', true);
SELECT entries FROM learned_index_info('err_partial');

-- The introspection functions refuse other indexes and non-indexes.
CREATE INDEX err_btree ON err_t USING btree (i8);
SELECT * FROM learned_index_info('err_btree');
SELECT learned_index_check('err_btree');
SELECT * FROM learned_index_info('err_t');
SELECT learned_index_check('err_t');
SELECT learned_index_info(NULL);

DROP TABLE err_t;
