--
-- model_cache: the per-backend model cache is loaded lazily.  A backend's first
-- lookup reads the metapage, the few records the root's window touches and
-- one leaf, not every model page; record lists are cached as lookups need
-- them, within a budget per index (Min(4 MB, Max(64 kB, 1% of the index)),
-- or learned.cache_budget_kb); a list that does not fit is searched on its
-- model page.  Whatever the budget, answers equal a sequential scan's.
--

-- 300,000 keys, leaves filled to 40%, 8 leaves per record: many records,
-- each a model page.
CREATE TABLE cache_t (id int8) WITH (autovacuum_enabled = off);
INSERT INTO cache_t SELECT g * 3 FROM generate_series(1, 300000) g;
CREATE INDEX cache_idx ON cache_t USING learned (id) WITH (pages_per_record = 8, fillfactor = 40);
VACUUM ANALYZE cache_t;
SELECT records >= 50 AS many_records, model_pages = records AS a_page_each
FROM learned_index_info('cache_idx');

-- What the tests below compare with; tables, so that they outlive \c.
CREATE TABLE cache_facts AS
SELECT least(4 * 1024 * 1024, greatest(64 * 1024, pg_relation_size('cache_idx') / 100)) AS budget,
	   (SELECT model_pages FROM learned_index_info('cache_idx')) AS model_pages;
CREATE TABLE cache_probes AS
SELECT (g * 7919 % 300000 + 1) * 3 AS k FROM generate_series(1, 1000) g;
CREATE TABLE cache_seen (what text, n int8);

-- cache_index_blocks(index): index blocks this backend has read or hit
-- since its statistics were last flushed: its own count, which no other
-- backend changes (the shared counters of pg_statio_user_indexes also
-- receive the counts a backend flushes as it exits, after \c returned).
-- Each measurement below starts after pg_stat_force_next_flush() (the
-- backend flushes when that statement ends) and runs in one transaction
-- (no flush inside it).
CREATE FUNCTION cache_index_blocks(idx text) RETURNS int8
LANGUAGE sql AS $$
	SELECT pg_stat_get_xact_blocks_fetched(idx::regclass)
$$;

-- A fresh backend: its first lookup reads three index pages, the metapage,
-- the record the root predicts and the leaf; that record's high fence says
-- where the next record starts, so no other record is read.
\c
SET enable_seqscan = off;
SET enable_bitmapscan = off;
BEGIN;
SELECT cache_index_blocks('cache_idx') AS blocks_of_a_new_backend;
SELECT id FROM cache_t WHERE id = 450003;
SELECT cache_index_blocks('cache_idx') AS blocks_of_the_first_lookup;
COMMIT;
INSERT INTO cache_seen SELECT 'one lookup', cached_bytes FROM learned_index_info('cache_idx');

-- Another fresh backend's first 100 lookups, spread over the index: at
-- most two index pages each on average (btree reads its height, 3), and
-- every key found, as a seqscan finds them.
\c
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE first_100 AS SELECT k FROM cache_probes LIMIT 100;
BEGIN;
SELECT count(*) AS found FROM first_100 p JOIN cache_t t ON t.id = p.k;
SELECT cache_index_blocks('cache_idx') AS blocks_of_100_first_lookups,
	   cache_index_blocks('cache_idx') <= 2 * 100 AS at_most_two_pages_a_lookup;
COMMIT;
SET enable_seqscan = on;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SELECT count(*) AS found_by_seqscan FROM first_100 p JOIN cache_t t ON t.id = p.k;
SET enable_seqscan = off;
RESET enable_indexscan;
RESET enable_indexonlyscan;

-- Routing by the directory's first keys.  Bursts of keys at irregular
-- distances, so that a linear root sends many lookups to a record next to
-- theirs; the metapage keeps every record's first key, so a fresh
-- backend's lookup still reads only the record its key is in: its first
-- 100 lookups read the metapage once, each record they land in once (the
-- record of key k: the last whose first key is below k) and one leaf each.
CREATE TABLE cache_burst (id int8) WITH (autovacuum_enabled = off);
INSERT INTO cache_burst
SELECT (b::int8 * b * b) * 1000 + i FROM generate_series(0, 399) b, generate_series(1, 1000) i;
CREATE INDEX cache_burst_idx ON cache_burst USING learned (id)
	WITH (pages_per_record = 8, fillfactor = 40, root_model = linear);
VACUUM ANALYZE cache_burst;
SELECT records BETWEEN 50 AND 641 AS keyed_records, root_type
FROM learned_index_info('cache_burst_idx');
SELECT learned_index_check('cache_burst_idx', true);
CREATE TABLE cache_burst_probes AS
SELECT (b::int8 * b * b) * 1000 + 1 + (g * 389) % 1000 AS k
FROM (SELECT g, (g * 7919) % 400 AS b FROM generate_series(1, 100) g) s;
CREATE TABLE cache_burst_records AS
SELECT count(DISTINCT (SELECT max(record) FROM learned_index_model('cache_burst_idx') m
					   WHERE m.record = 0 OR m.first_key < p.k)) AS landed
FROM cache_burst_probes p;
\c
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET max_parallel_workers_per_gather = 0;
BEGIN;
SELECT count(*) AS found FROM cache_burst_probes p JOIN cache_burst t ON t.id = p.k;
SELECT cache_index_blocks('cache_burst_idx') - 100 - 1 - landed AS pages_beyond_metapage_records_and_leaves
FROM cache_burst_records;
COMMIT;
SET enable_seqscan = on;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SELECT count(*) AS found_by_seqscan FROM cache_burst_probes p JOIN cache_burst t ON t.id = p.k;
SET enable_seqscan = off;
RESET enable_indexscan;
RESET enable_indexonlyscan;

-- Runs of equal keys stay on one leaf: CREATE INDEX ends a leaf before a
-- short run of equal keys that would straddle its end, so a warm lookup of
-- any key of a table where every key comes three times reads one leaf and
-- finds its three rows, as a seqscan does (without that, about two in three
-- leaf boundaries would cut a run and its lookup read two leaves).
CREATE TABLE cache_dups (id int8) WITH (autovacuum_enabled = off);
INSERT INTO cache_dups SELECT g / 3 FROM generate_series(0, 299999) g;
CREATE INDEX cache_dups_idx ON cache_dups USING learned (id);
VACUUM ANALYZE cache_dups;
SELECT leaf_pages > 100 AS many_leaves FROM learned_index_info('cache_dups_idx');
SELECT learned_index_check('cache_dups_idx', true);
CREATE TABLE cache_dup_probes AS SELECT g::int8 AS k FROM generate_series(0, 99999) g;
ANALYZE cache_dup_probes;
SELECT count(*) AS found_cold FROM cache_dup_probes p JOIN cache_dups t ON t.id = p.k;
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) AS found FROM cache_dup_probes p JOIN cache_dups t ON t.id = p.k;
SELECT cache_index_blocks('cache_dups_idx') AS blocks_for_100000_warm_lookups;
COMMIT;
SET enable_seqscan = on;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_hashjoin = on;
SELECT count(*) AS found_by_seqscan FROM cache_dup_probes p JOIN cache_dups t ON t.id = p.k;
SET enable_seqscan = off;
SET enable_hashjoin = off;
RESET enable_indexscan;
RESET enable_indexonlyscan;

-- Lookups all over the index load every record: the cache grows, within
-- the budget, and warm lookups read one leaf each.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k;
INSERT INTO cache_seen SELECT 'every record', cached_bytes FROM learned_index_info('cache_idx');
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k;
SELECT cache_index_blocks('cache_idx') AS blocks_for_1000_warm_lookups;
COMMIT;
SELECT (SELECT n FROM cache_seen WHERE what = 'one lookup') <
	   (SELECT n FROM cache_seen WHERE what = 'every record') AS grows_with_records,
	   (SELECT n FROM cache_seen WHERE what = 'every record') <= budget AS within_budget
FROM cache_facts;

-- No room for lists (a budget of 0: the cache keeps only the root and the
-- records' directory): every list is searched on its model page, so a warm
-- lookup reads the record page and the leaf, and every answer is exact.
\c
\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql
SET max_parallel_workers_per_gather = 0;
SET learned.cache_budget_kb = 0;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 450003');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 450004');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 0');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 900001');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_t WHERE id BETWEEN 12345 AND 234567');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id > 899000 ORDER BY id DESC LIMIT 3');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = ANY(''{3, 30000, 300000, 899997, 900000}'')');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k');
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k;
SELECT cache_index_blocks('cache_idx') AS blocks_for_1000_lookups_lists_on_pages;
COMMIT;
SELECT learned_index_check('cache_idx', true);

-- A budget of 16 kB, smaller than the lists: some are cached, the rest
-- searched on their pages; the cache stays within 16 kB.
SET learned.cache_budget_kb = 16;
SHOW learned.cache_budget_kb;
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k');
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k;
SELECT cache_index_blocks('cache_idx') BETWEEN 1001 AND 1999 AS some_lists_cached;
COMMIT;
SELECT cached_bytes <= 16 * 1024 AS within_16kB FROM learned_index_info('cache_idx');
SELECT learned_index_check('cache_idx', true);

-- Leaf and record splits under the small budget: inserts between the keys
-- and at the right end (enough for the last record's list to fill up and
-- split); the inserting backend drops its cache on a record split, and the
-- answers stay exact.
INSERT INTO cache_t SELECT g * 3 + 1 FROM generate_series(1, 100000) g;
INSERT INTO cache_t SELECT 900000 + g FROM generate_series(1, 800000) g;
SELECT splits > 0 AS leaf_splits, records > (SELECT model_pages FROM cache_facts) AS record_splits
FROM learned_index_info('cache_idx');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 150001');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_t WHERE id BETWEEN 3 AND 300000');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id >= 1699990 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_probes p JOIN cache_t t ON t.id = p.k + 1');
SELECT cached_bytes <= 16 * 1024 AS within_16kB FROM learned_index_info('cache_idx');
SELECT learned_index_check('cache_idx', true);

-- The same index in a backend with the default budget: exact as well.
\c
\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql
SET max_parallel_workers_per_gather = 0;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id = 150001');
SELECT * FROM pg_temp.cmp('SELECT count(*) FROM cache_t WHERE id BETWEEN 3 AND 300000');
SELECT * FROM pg_temp.cmp('SELECT id FROM cache_t WHERE id >= 1699990 ORDER BY id');
SELECT learned_index_check('cache_idx', true);
SELECT cached_bytes <= least(4 * 1024 * 1024, greatest(64 * 1024, pg_relation_size('cache_idx') / 100))
	   AS within_budget
FROM learned_index_info('cache_idx');

DROP TABLE cache_t, cache_facts, cache_probes, cache_seen;
DROP FUNCTION cache_index_blocks(text);
