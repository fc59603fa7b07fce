--
-- unlogged: learned indexes on an unlogged table and a temporary table
-- (local buffers), and an exclusion constraint.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;

CREATE UNLOGGED TABLE ul (id int8, v int4) WITH (autovacuum_enabled = off);
CREATE INDEX ul_idx ON ul USING learned (id);
SELECT relpersistence FROM pg_class WHERE relname = 'ul_idx';
INSERT INTO ul SELECT (g * 7919) % 30011, g FROM generate_series(1, 30000) g;
INSERT INTO ul VALUES (NULL, 0);
SELECT learned_index_check('ul_idx', true);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM ul WHERE id = 100;
SELECT * FROM ul WHERE id = 100;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ul WHERE id BETWEEN 100 AND 110 ORDER BY id DESC;
SELECT id FROM ul WHERE id BETWEEN 100 AND 110 ORDER BY id DESC;
RESET enable_bitmapscan;
CREATE TEMP TABLE via_idx AS SELECT id FROM ul WHERE id < 20000;
SELECT count(*) FROM ul WHERE id IS NULL;
DELETE FROM ul WHERE id % 3 = 0;
VACUUM ul;
SELECT learned_index_check('ul_idx', true);
SELECT count(*) FROM ul WHERE id < 20000;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
RESET enable_seqscan;
SELECT count(*) FROM ul WHERE id < 20000;
SELECT count(*) = (SELECT count(*) FROM via_idx WHERE id % 3 <> 0) AS same FROM ul WHERE id < 20000;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET enable_indexonlyscan;
DROP TABLE via_idx;
-- Built on a non-empty unlogged table.
CREATE INDEX ul_idx2 ON ul USING learned (v);
SELECT learned_index_check('ul_idx2', true);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ul WHERE v = 500;
SELECT id FROM ul WHERE v = 500;
RESET enable_seqscan;
SELECT id FROM ul WHERE v = 500;
SELECT entries = (SELECT count(id) FROM ul) AS entries_ok, null_entries
FROM learned_index_info('ul_idx');
DROP TABLE ul;

-- A temporary table: the index lives in local buffers.
CREATE TEMP TABLE tmp (id int8) WITH (autovacuum_enabled = off);
INSERT INTO tmp SELECT (g * 7919) % 20011 FROM generate_series(1, 20000) g;
CREATE INDEX tmp_idx ON tmp USING learned (id);
INSERT INTO tmp SELECT g FROM generate_series(20011, 40000) g;
INSERT INTO tmp SELECT (g * 31) % 20011 FROM generate_series(1, 5000) g;
SELECT learned_index_check('tmp_idx', true);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM tmp WHERE id BETWEEN 1000 AND 30000;
SELECT count(*) FROM tmp WHERE id BETWEEN 1000 AND 30000;
SELECT id FROM tmp WHERE id < 3 ORDER BY id;
RESET enable_seqscan;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SELECT count(*) FROM tmp WHERE id BETWEEN 1000 AND 30000;
SELECT id FROM tmp WHERE id < 3 ORDER BY id;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET enable_indexonlyscan;
DROP TABLE tmp;

-- An exclusion constraint checks through the index.
CREATE TABLE ex (id int8, EXCLUDE USING learned (id WITH =));
INSERT INTO ex SELECT g FROM generate_series(1, 2000) g;
INSERT INTO ex VALUES (NULL), (NULL);
INSERT INTO ex VALUES (1500);
INSERT INTO ex VALUES (2001);
UPDATE ex SET id = 1 WHERE id = 2;
SELECT count(*), count(id) FROM ex;
SELECT learned_index_check('ex_id_excl', true);
DROP TABLE ex;
