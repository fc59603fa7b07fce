#!/usr/bin/env bash
#
# run.sh: see the learned index at work next to a btree.  Installs what is
# missing (Debian 12, as root), builds and installs the extension, starts a
# throwaway cluster, loads 1M int8 ids into two identical tables, indexes one
# with `learned` and one with `btree`, and shows both side by side: CREATE
# INDEX time, index size, EXPLAIN (ANALYZE, BUFFERS) of a point lookup and a
# range scan, then learned_index_info.  The cluster is removed at the end.
#
# Usage: sudo bash run.sh        (ROWS=N for another table size)

set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/scripts/common.sh"
trap lrn_cleanup EXIT
trap 'exit 130' INT TERM

ROWS=${ROWS:-1000000}
case $ROWS in '' | *[!0-9]*) lrn_die "ROWS must be a number" ;; esac

lrn_require_root
# shellcheck disable=SC2119 # (no extra packages)
lrn_install_deps
lrn_prepare_tree
lrn_build
lrn_install
lrn_cluster_start "shared_buffers = 256MB" "maintenance_work_mem = 256MB"

lrn_log "loading $ROWS ids into events_learned and events_btree"
echo
lrn_psql -v rows="$ROWS" <<'SQL'
\pset footer off
CREATE EXTENSION learned_am;

-- Ids with gaps (about one in ten values used), in random order in the heap.
CREATE TABLE events_learned (id int8 NOT NULL, payload text);
INSERT INTO events_learned
SELECT i * 10 + abs(hashint4(i)) % 10, 'event ' || i
FROM generate_series(1, :rows) AS i
ORDER BY hashint4(i + 1);
CREATE TABLE events_btree AS TABLE events_learned;
VACUUM ANALYZE events_learned;
VACUUM ANALYZE events_btree;

-- Build both indexes, timing each with the server's clock.
CREATE TEMP TABLE build_times (am text, build_ms numeric);
DO $$
DECLARE
	t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	CREATE INDEX events_learned_idx ON events_learned USING learned (id);
	INSERT INTO build_times
	VALUES ('learned', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1));

	t0 := clock_timestamp();
	CREATE INDEX events_btree_idx ON events_btree USING btree (id);
	INSERT INTO build_times
	VALUES ('btree', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1));
END
$$;
ANALYZE events_learned;
ANALYZE events_btree;

\echo '=== CREATE INDEX on' :rows 'rows: time and size ==='
SELECT b.am AS "access method",
	   b.build_ms AS "CREATE INDEX ms",
	   pg_size_pretty(pg_relation_size(i.oid)) AS "index size",
	   pg_relation_size(i.oid) / current_setting('block_size')::int AS pages
FROM build_times b
JOIN pg_class i ON i.relname = 'events_' || b.am || '_idx'
ORDER BY b.am DESC;

-- A key that exists and a range of about 1000 keys, the same for both.
SELECT id AS point FROM events_learned ORDER BY id OFFSET (:rows / 3) LIMIT 1 \gset
SELECT (:rows * 5)::int8 AS lo, (:rows * 5 + 10000)::int8 AS hi \gset

-- Warm both indexes and tables, so the plans below compare lookups, not I/O.
SELECT count(*) FROM events_learned WHERE id BETWEEN 0 AND :rows * 20 \g /dev/null
SELECT count(*) FROM events_btree WHERE id BETWEEN 0 AND :rows * 20 \g /dev/null

\echo
\echo '=== point lookup: WHERE id =' :point '==='
\echo '--- learned'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM events_learned WHERE id = :point;
\echo '--- btree'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM events_btree WHERE id = :point;

\echo
\echo '=== range scan: WHERE id BETWEEN' :lo 'AND' :hi '==='
\echo '--- learned'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM events_learned WHERE id BETWEEN :lo AND :hi;
\echo '--- btree'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM events_btree WHERE id BETWEEN :lo AND :hi;

\echo
\echo '=== newest 5, backward: ORDER BY id DESC LIMIT 5 ==='
\echo '--- learned'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM events_learned ORDER BY id DESC LIMIT 5;
\echo '--- btree'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM events_btree ORDER BY id DESC LIMIT 5;

\echo
\echo '=== what the learned index learned: learned_index_info ==='
\x on
SELECT * FROM learned_index_info('events_learned_idx');
\x off

\echo '=== learned_index_check(events_learned_idx, heapallindexed => true) ==='
SELECT 'ok: every invariant holds and every row is indexed' AS result
FROM (SELECT learned_index_check('events_learned_idx', true)) AS checked;
SQL

echo
lrn_log "done; stopping the cluster"
