--
-- dead_entries: entries whose heap tuples are dead to everyone are removed
-- from a full leaf before it splits (README "How it works", "Dead
-- entries"), so UPDATEs that are not HOT do not make the index grow
-- without bound between VACUUMs.
--
-- The tables are unlogged: removals need no WAL there, whether or not the
-- library is preloaded (on a logged table without the learned resource
-- manager and with wal_level replica, nothing is removed: the standby could
-- not be made to conflict).  t/014_dead_entries_standby.pl covers the WAL
-- and a hot standby; specs/dead_entries.spec an older snapshot.
--
-- Sizes are compared with a fresh build of the same rows, never timed.
-- Index answers are compared with sequential scans (cmp).
--
SET max_parallel_workers_per_gather = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set cmp_sql :abs_srcdir '/sql/include/cmp.sql'
\i :cmp_sql

-- Twins: a unique learned index and a unique btree on id; the btree on v
-- makes every UPDATE of v a non-HOT one (a new entry in the id index, with
-- aminsert's "index unchanged" hint), and fillfactor 100 leaves no room
-- for HOT anyway.
CREATE UNLOGGED TABLE dead_learned (id int8 NOT NULL, v int8 NOT NULL)
	WITH (fillfactor = 100, autovacuum_enabled = off);
CREATE UNLOGGED TABLE dead_btree (id int8 NOT NULL, v int8 NOT NULL)
	WITH (fillfactor = 100, autovacuum_enabled = off);
INSERT INTO dead_learned SELECT g, 0 FROM generate_series(1, 20000) g;
INSERT INTO dead_btree SELECT * FROM dead_learned;
CREATE UNIQUE INDEX dead_learned_id ON dead_learned USING learned (id);
CREATE UNIQUE INDEX dead_btree_id ON dead_btree (id);
CREATE INDEX dead_learned_v ON dead_learned (v);
CREATE INDEX dead_btree_v ON dead_btree (v);

SELECT leaf_pages AS build_leaves FROM learned_index_info('dead_learned_id') \gset

-- Rounds of updating every row, each round its own transaction, so the
-- versions of the rounds before are dead to everyone.
CREATE PROCEDURE pg_temp.update_rounds(rounds int)
LANGUAGE plpgsql AS $$
BEGIN
	FOR r IN 1..rounds LOOP
		UPDATE dead_learned SET v = v + 1;
		UPDATE dead_btree SET v = v + 1;
		COMMIT;
	END LOOP;
END
$$;

-- The first rounds double the index: while a round runs, the versions it
-- replaces are not dead yet, so every row has two entries.  After that it
-- stays put: without removal each round would add 20000 entries (some
-- twenty times the build's leaves after twenty rounds).  Removal runs when
-- a leaf is full, so the entries kept are bounded by the leaves' room
-- (about 1,600 of these 5-byte entries a page), not by the live rows.
CALL pg_temp.update_rounds(5);
SELECT leaf_pages AS leaves_after_5 FROM learned_index_info('dead_learned_id') \gset
CALL pg_temp.update_rounds(15);
CREATE UNIQUE INDEX dead_learned_fresh ON dead_learned USING learned (id);
CREATE UNIQUE INDEX dead_btree_fresh ON dead_btree (id);
SELECT i.leaf_pages <= :leaves_after_5 + :leaves_after_5 / 10
		 AS learned_stopped_growing,
	   i.leaf_pages <= 4 * f.leaf_pages AS learned_within_4x_fresh,
	   i.entries <= 4 * 20000 AS learned_entries_bounded,
	   pg_relation_size('dead_btree_id') <= 4 * pg_relation_size('dead_btree_fresh')
		 AS btree_within_4x_fresh
FROM learned_index_info('dead_learned_id') i,
	 learned_index_info('dead_learned_fresh') f;
DROP INDEX dead_learned_fresh, dead_btree_fresh;

-- Every answer through the index equals a sequential scan's.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.cmp('SELECT id, v FROM dead_learned WHERE id = 7777');
SELECT * FROM pg_temp.cmp('SELECT id, v FROM dead_learned WHERE id BETWEEN 100 AND 19000 ORDER BY id');
SELECT * FROM pg_temp.cmp('SELECT id FROM dead_learned WHERE id >= 15000 ORDER BY id DESC');
SELECT * FROM pg_temp.cmp('SELECT count(*), sum(v) FROM dead_learned WHERE id = ANY (ARRAY[1, 500, 9999, 20000, 20001])');
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT (SELECT count(*) FROM dead_learned) = 20000 AS all_rows,
	   (SELECT bool_and(v = 20) FROM dead_learned) AS all_updated;
SELECT learned_index_check('dead_learned_id', true);

-- The uniqueness check still sees what is live: an old version removed or
-- not, a duplicate of a live row is refused as by btree.
INSERT INTO dead_learned VALUES (42, 0);
INSERT INTO dead_btree VALUES (42, 0);

-- Entries a scan finds dead (kill_prior_tuple) mark their leaf; inserts
-- into a full marked leaf remove them instead of splitting it.  Keys
-- 10, 20, ..., 200000 in full leaves; delete nineteen rows in twenty, read
-- the range through the index (which reports the deleted rows' entries
-- dead), then insert half as many new keys between the old ones: the
-- leaves do not split.
CREATE UNLOGGED TABLE dead_killed (id int8 NOT NULL, v int8 NOT NULL)
	WITH (autovacuum_enabled = off);
INSERT INTO dead_killed SELECT g * 10, g FROM generate_series(1, 20000) g;
CREATE INDEX dead_killed_id ON dead_killed USING learned (id)
	WITH (fillfactor = 100);
SELECT leaf_pages AS killed_leaves FROM learned_index_info('dead_killed_id') \gset
DELETE FROM dead_killed WHERE id % 200 <> 0;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SELECT count(*), sum(v) FROM dead_killed WHERE id BETWEEN 1 AND 200000;
RESET enable_indexonlyscan;
INSERT INTO dead_killed SELECT g * 10 + 5, -g FROM generate_series(1, 20000) g
	WHERE g % 20 BETWEEN 1 AND 10;
SELECT leaf_pages <= :killed_leaves AS no_split_after_killed
FROM learned_index_info('dead_killed_id');
SELECT * FROM pg_temp.cmp('SELECT id, v FROM dead_killed WHERE id BETWEEN 1000 AND 150000 ORDER BY id');
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT learned_index_check('dead_killed_id', true);

DROP TABLE dead_learned, dead_btree, dead_killed;
