#!/usr/bin/env bash
#
# bench/parallel_build.sh: CREATE INDEX time with 0 and 2 parallel workers,
# learned against btree on the same table in the same run (parallel builds
# need PostgreSQL 17 or later: `bash scripts/in-debian.sh trixie bash
# bench/parallel_build.sh`).  As root; builds and installs the extension,
# starts a throwaway cluster, prints one line per build and writes them to
# bench/out/parallel_build.txt (not committed: a machine's figures).
#
# Environment: BENCH_ROWS (10M), BENCH_ROUNDS (2: each build is timed this
# many times, interleaved), LRN_PGPORT, LRN_PGBIN.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export LRN_PGPORT=${LRN_PGPORT:-55451}
# shellcheck source=../scripts/common.sh
. "$BENCH_DIR/../scripts/common.sh"

rows=${BENCH_ROWS:-10000000}
rounds=${BENCH_ROUNDS:-2}

trap lrn_cleanup EXIT
trap 'exit 130' INT TERM
lrn_require_root
lrn_install_deps
lrn_prepare_tree
lrn_build
lrn_install
lrn_cluster_start "shared_buffers = 1GB" "maintenance_work_mem = 1GB" \
	"max_worker_processes = 8" "max_parallel_workers = 8" "jit = off" \
	"autovacuum = off" "max_wal_size = 16GB" "checkpoint_timeout = 1h"

out=$BENCH_DIR/out
mkdir -p "$out"

# Scrambled int8 ids over a wide range: the heap order is not the key order.
lrn_psql -c "CREATE EXTENSION learned_am" \
	-c "CREATE TABLE pb (id int8) WITH (parallel_workers = 2)" \
	-c "INSERT INTO pb SELECT (g * 2654435761) % 40000000000 FROM generate_series(1, $rows) g" \
	-c "VACUUM ANALYZE pb" \
	-c "CHECKPOINT"

lrn_psql -c "CREATE FUNCTION build_ms(am text, workers int) RETURNS numeric
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz;
	ms numeric;
BEGIN
	PERFORM set_config('max_parallel_maintenance_workers', workers::text, true);
	t0 := clock_timestamp();
	EXECUTE format('CREATE INDEX pb_idx ON pb USING %s (id)', am);
	ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000);
	DROP INDEX pb_idx;
	RETURN ms;
END
\$\$"

{
	echo "# CREATE INDEX on $rows scrambled int8 keys, PostgreSQL $PG_MAJOR," \
		"maintenance_work_mem 1GB, $(nproc) cores, ms"
	for round in $(seq 1 "$rounds"); do
		for workers in 0 2; do
			for am in learned btree; do
				ms=$(lrn_psql -At -c "CHECKPOINT" -c "SELECT build_ms('$am', $workers)")
				# The machine's load when the build ended: timings depend on it.
				echo "round $round  $am  workers $workers  $ms ms" \
					" load $(cut -d ' ' -f 1 /proc/loadavg)"
			done
		done
	done
} | tee "$out/parallel_build.txt"
