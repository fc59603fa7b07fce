--
-- types: int4, int2, date, timestamp and timestamptz columns, with
-- cross-type comparisons (including constants outside the column's range),
-- expression and partial indexes.
--
SET max_parallel_workers_per_gather = 0;
-- ANALYZE reads every row (up to 300,000): statistics and plans are stable.
SET default_statistics_target = 1000;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

SET enable_seqscan = off;

-- int4, with the type's extremes.
CREATE TABLE t4 (c int4, v int4) WITH (autovacuum_enabled = off);
INSERT INTO t4 SELECT ((g::int8 * 7919) % 60013)::int4 * 35000 - 1050000000, g
FROM generate_series(1, 60000) g;
INSERT INTO t4 VALUES (-2147483648, -1), (2147483647, -2), (NULL, -3), (0, -4);
CREATE INDEX t4_idx ON t4 USING learned (c);
ANALYZE t4;
SELECT learned_index_check('t4_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = 35000');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = 35000::int8');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = 0::int2');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = 5000000000');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = -5000000000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c < 5000000000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c > -5000000000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c > 5000000000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c <= -5000000000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c >= 2147483647');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c > 2147483646::int8');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c <= -2147483648');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 WHERE c < -2147483647');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c BETWEEN -1000000 AND 1000000');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c >= 100000::int8 AND c < 3000000::int4');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = ANY(''{35000, 70000, 5000000000}''::int8[])');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c = ANY(''{3500, 0, -32768}''::int2[])');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 ORDER BY c DESC LIMIT 3');
SELECT * FROM pg_temp.cmp('SELECT c FROM t4 ORDER BY c');
SELECT * FROM pg_temp.cmp('SELECT * FROM t4 WHERE c IS NULL');
SELECT c FROM t4 ORDER BY c LIMIT 2;
SELECT c FROM t4 ORDER BY c DESC LIMIT 2;
SET plan_cache_mode = force_generic_plan;
PREPARE q4(int4) AS SELECT c, v FROM t4 WHERE c = $1;
PREPARE q8(int8) AS SELECT c, v FROM t4 WHERE c >= $1;
EXPLAIN (COSTS OFF) EXECUTE q4(35000);
EXPLAIN (COSTS OFF) EXECUTE q8(35000);
EXECUTE q4(35000);
EXECUTE q4(2147483647);
EXECUTE q8(2147483647);
EXECUTE q8(9223372036854775807);
SELECT count(*) FROM t4 WHERE c >= 1000000000;
CREATE TEMP TABLE r AS EXECUTE q8(1000000000);
SELECT count(*) FROM r;
DROP TABLE r;
DEALLOCATE ALL;
RESET plan_cache_mode;

-- int2, with the type's extremes and int4/int8 constants beyond them.
CREATE TABLE t2 (c int2, v int4) WITH (autovacuum_enabled = off);
INSERT INTO t2 SELECT ((g * 7919) % 65536 - 32768)::int2, g FROM generate_series(1, 70000) g;
INSERT INTO t2 VALUES (NULL, -1);
CREATE INDEX t2_idx ON t2 USING learned (c);
ANALYZE t2;
SELECT learned_index_check('t2_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = 100');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = 100::int2');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = 100::int8');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = -32768');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = 32767');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 WHERE c < 40000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 WHERE c > 40000');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 WHERE c >= -40000::int8 AND c < -32760');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 WHERE c > 32766');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c BETWEEN -10 AND 10');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c = ANY(''{1, 2, 40000}''::int4[])');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 ORDER BY c DESC LIMIT 5');
SELECT * FROM pg_temp.cmp('SELECT c FROM t2 ORDER BY c');
SELECT * FROM pg_temp.cmp('SELECT * FROM t2 WHERE c IS NULL');
SELECT c FROM t2 ORDER BY c LIMIT 3;
SELECT c FROM t2 WHERE c IS NOT NULL ORDER BY c DESC LIMIT 3;
SET plan_cache_mode = force_generic_plan;
PREPARE q2(int2) AS SELECT count(*) FROM t2 WHERE c = $1;
PREPARE q2i(int4) AS SELECT count(*) FROM t2 WHERE c <= $1;
EXPLAIN (COSTS OFF) EXECUTE q2(100);
EXECUTE q2(100);
EXECUTE q2i(-32768);
EXECUTE q2i(100000);
DEALLOCATE ALL;
RESET plan_cache_mode;
SELECT count(*) FROM t2 WHERE c = 100;

-- date, with infinities.
CREATE TABLE td (d date, v int4) WITH (autovacuum_enabled = off);
INSERT INTO td SELECT date '2000-01-01' + ((g * 7919) % 20011), g FROM generate_series(1, 40000) g;
INSERT INTO td VALUES ('infinity', -1), ('-infinity', -2), (NULL, -3),
	('4713-01-01 BC', -4), ('5874897-12-31', -5);
CREATE INDEX td_idx ON td USING learned (d);
ANALYZE td;
SELECT learned_index_check('td_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM td WHERE d = ''2010-06-15''');
SELECT * FROM pg_temp.cmp('SELECT * FROM td WHERE d BETWEEN ''2010-01-01'' AND ''2010-01-31''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d > ''2054-01-01''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d < ''2000-01-03''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d = ''infinity''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d = ''-infinity''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d > ''5874897-12-30''');
SELECT * FROM pg_temp.cmp('SELECT d FROM td WHERE d = ANY(''{2001-01-01, 2001-01-01, infinity}''::date[])');
SELECT * FROM pg_temp.cmp('SELECT d FROM td ORDER BY d DESC LIMIT 4');
SELECT * FROM pg_temp.cmp('SELECT d FROM td ORDER BY d');
SELECT d FROM td ORDER BY d LIMIT 3;
SELECT d FROM td ORDER BY d DESC LIMIT 4;
SELECT count(*) FROM td WHERE d BETWEEN '2010-01-01' AND '2010-01-31';

-- timestamp, with infinities.
CREATE TABLE tts (ts timestamp, v int4) WITH (autovacuum_enabled = off);
INSERT INTO tts SELECT timestamp '2020-01-01' + ((g * 7919) % 50021) * interval '37 seconds', g
FROM generate_series(1, 50000) g;
INSERT INTO tts VALUES ('infinity', -1), ('-infinity', -2), (NULL, -3),
	('2020-01-01 00:00:00.000001', -4);
CREATE INDEX tts_idx ON tts USING learned (ts);
ANALYZE tts;
SELECT learned_index_check('tts_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM tts WHERE ts = ''2020-01-01 00:00:37''');
SELECT * FROM pg_temp.cmp('SELECT * FROM tts WHERE ts = ''2020-01-01 00:00:36''');
SELECT * FROM pg_temp.cmp('SELECT * FROM tts WHERE ts > ''2020-01-01'' AND ts < ''2020-01-01 00:01:00''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts WHERE ts >= ''2020-01-10'' AND ts < ''2020-01-11''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts WHERE ts > ''2020-01-22''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts WHERE ts = ''infinity''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts WHERE ts < ''2019-12-31''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts ORDER BY ts DESC LIMIT 3');
SELECT * FROM pg_temp.cmp('SELECT ts FROM tts ORDER BY ts');
SELECT ts FROM tts ORDER BY ts LIMIT 4;
SELECT ts FROM tts WHERE ts < 'infinity' ORDER BY ts DESC LIMIT 2;

-- timestamptz.
CREATE TABLE ttz (ts timestamptz, v int4) WITH (autovacuum_enabled = off);
INSERT INTO ttz SELECT timestamptz '2020-01-01 00:00:00+00' + ((g * 7919) % 50021) * interval '37 seconds', g
FROM generate_series(1, 50000) g;
INSERT INTO ttz VALUES ('infinity', -1), ('-infinity', -2), (NULL, -3);
CREATE INDEX ttz_idx ON ttz USING learned (ts);
ANALYZE ttz;
SELECT learned_index_check('ttz_idx', true);
SELECT * FROM pg_temp.cmp('SELECT * FROM ttz WHERE ts = ''2020-01-01 00:00:37+00''');
SELECT * FROM pg_temp.cmp('SELECT * FROM ttz WHERE ts = ''2020-01-01 01:00:37+01''');
SELECT * FROM pg_temp.cmp('SELECT * FROM ttz WHERE ts >= ''2020-01-10 00:00:00-08'' AND ts < ''2020-01-10 01:00:00-08''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM ttz WHERE ts > ''2020-01-21 12:00:00+00''');
SELECT * FROM pg_temp.cmp('SELECT ts FROM ttz ORDER BY ts DESC LIMIT 3');
SELECT * FROM pg_temp.cmp('SELECT ts FROM ttz ORDER BY ts');
SELECT ts FROM ttz WHERE ts = '2020-01-01 01:00:37+01';
SET plan_cache_mode = force_generic_plan;
PREPARE qtz(timestamptz, timestamptz) AS SELECT count(*) FROM ttz WHERE ts >= $1 AND ts < $2;
EXPLAIN (COSTS OFF) EXECUTE qtz('2020-01-10', '2020-01-11');
EXECUTE qtz('2020-01-10', '2020-01-11');
DEALLOCATE ALL;
RESET plan_cache_mode;
SELECT count(*) FROM ttz WHERE ts >= '2020-01-10' AND ts < '2020-01-11';

-- An expression index and a partial index.
CREATE TABLE tx (a int4, b int4) WITH (autovacuum_enabled = off);
INSERT INTO tx SELECT g, (g * 7919) % 10007 FROM generate_series(1, 30000) g;
CREATE INDEX tx_expr ON tx USING learned ((a::int8 * 1000 + b));
CREATE INDEX tx_part ON tx USING learned (b) WHERE a > 20000;
ANALYZE tx;
SELECT learned_index_check('tx_expr', true);
SELECT learned_index_check('tx_part', true);
SELECT entries FROM learned_index_info('tx_part');
SELECT * FROM pg_temp.cmp('SELECT * FROM tx WHERE a::int8 * 1000 + b = 5005 * 1000 + (5005 * 7919) % 10007');
SELECT * FROM pg_temp.cmp('SELECT * FROM tx WHERE a::int8 * 1000 + b BETWEEN 1000000 AND 1010000');
SELECT * FROM pg_temp.cmp('SELECT * FROM tx WHERE b = 77 AND a > 20000');
SELECT * FROM pg_temp.cmp('SELECT * FROM tx WHERE b < 100 AND a > 20000');

DROP TABLE t4, t2, td, tts, ttz, tx;
