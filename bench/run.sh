#!/usr/bin/env bash
#
# bench/run.sh: the benchmark of the learned index against btree, hash and
# BRIN on the same data in the same run.  On a fresh Debian 12 machine (as
# root) it installs what is missing, builds the extension with warnings as
# errors, installs it, starts a throwaway cluster, runs bench/bench.py and
# stops the cluster.
#
#   sudo bash bench/run.sh           full mode: 10M rows per data set; writes
#                                    bench/RESULTS.md, bench/targets.md and
#                                    bench/charts/*.png (RESULTS.md gives the
#                                    run time, per phase)
#   sudo bash bench/run.sh --quick   100K rows, the same measurements, into
#                                    bench/out/ (gitignored).
#                                    CI's smoke test: no timing assertions, it
#                                    fails only on an error or a wrong answer.
#   sudo bash bench/run.sh --scale   issue 13's scale mode (not run by CI):
#                                    learned against btree on 100M rows of the
#                                    sparse and timestamps data sets: CREATE
#                                    INDEX with 0, 1 and 2 workers, size, pages
#                                    per lookup (warm and in a fresh session),
#                                    probe ns, a 1% range aggregate with 0 and
#                                    2 workers, cached_bytes; writes
#                                    bench/RESULTS-scale.md and
#                                    bench/results-scale.json
#   sudo bash bench/run.sh --growth  issue 13's growth mode (not run by CI):
#                                    learned against btree built on 1M rows
#                                    and grown by inserts, autovacuum on at
#                                    the server's defaults, no retrain run
#                                    by hand: ascending ids and bursty
#                                    timestamps appended to 100M rows,
#                                    random int8 inserted to 10M; pages per
#                                    lookup, size, learned_index_info,
#                                    retrains and insert rows/s at marks
#                                    along the way; writes
#                                    bench/RESULTS-growth.md and
#                                    bench/results-growth.json
#
# Environment (full-mode defaults in parentheses): LRN_PGPORT (55450),
# LRN_PGBIN (bin directory of the PostgreSQL to build against and run),
# BENCH_ROWS (rows per data set, 10M), BENCH_PROBES (probes per run of the
# lookups a target uses, 1M), BENCH_PROBES_OTHER (of the other lookups,
# 100K), BENCH_RANGE_ROWS and BENCH_RANGE_ROWS_INDEX (rows per range-scan
# run, index-only 3M, index scan 250K), BENCH_COPY_ROWS (rows per COPY, 1M),
# BENCH_PGBENCH_SECONDS and BENCH_PGBENCH_SECONDS_OTHER (seconds per pgbench
# run, learned and btree 2, hash 1), BENCH_DATASETS (comma-separated subset),
# BENCH_UNIQUE=0 (skip the unique-index section: COPY, upserts, TPC-B-like),
# BENCH_TPCB_SECONDS (seconds of the TPC-B-like run per index, 600; quick
# 10), BENCH_TPCB_SCALE (its pgbench scale, 10; quick 1), BENCH_TPCB_NONHOT=1
# (the accounts also indexed on abalance: no HOT update, every update adds
# an entry to the aid index),
# BENCH_SCALE_ROWS (--scale: rows per data set, 100M; a smaller number
# tries the mode out, and the report says so), BENCH_SCALE_PROBES (--scale:
# probes per run, 1M), BENCH_SCALE_BUILD_WORKERS (--scale: the
# max_parallel_maintenance_workers of its builds, 0,1,2),
# BENCH_GROWTH_START (--growth: rows at CREATE INDEX, 1M), BENCH_GROWTH_ROWS
# (--growth: rows after the appends, 100M), BENCH_GROWTH_RANDOM_ROWS
# (--growth: rows after the random inserts, 10x the start),
# BENCH_GROWTH_BATCH (--growth: rows per INSERT, a fortieth of the
# smaller growth, at most 1M), BENCH_GROWTH_PROBES (--growth: probes per
# pages-per-lookup count, 10K), BENCH_GROWTH_NAPTIME (--growth:
# autovacuum_naptime for a short trial; unset, the server's default),
# BENCH_GROWTH_RUNS
# (--growth: comma-separated subset of ascending,timestamps,random; smaller
# sizes try the mode out, and the report says so),
# BENCH_OUT (where the results go; a subset run should not overwrite bench/),
# BENCH_SKIP_BUILD=1 (use the extension already installed), LRN_KEEP=1 (keep
# the cluster directory).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export LRN_PGPORT=${LRN_PGPORT:-55450}
# shellcheck source=../scripts/common.sh
. "$BENCH_DIR/../scripts/common.sh"

mode=full
for arg in "$@"; do
	case $arg in
	--quick) mode=quick ;;
	--full) mode=full ;;
	--scale) mode=scale ;;
	--growth) mode=growth ;;
	-h | --help)
		sed -n '2,/^$/ s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*) lrn_die "unknown argument: $arg (use --quick, --scale, --growth or nothing)" ;;
	esac
done

trap lrn_cleanup EXIT
trap 'exit 130' INT TERM

lrn_require_root

# Our own work directory (/tmp/bench_*): the cluster, the source copy, the
# COPY files and pgbench logs.  lrn_make_tmp keeps a LRN_TMP already set.
LRN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_XXXXXX")
chmod 755 "$LRN_TMP"
chown "$LRN_PG_USER:" "$LRN_TMP" 2>/dev/null || true

extra=()
command -v gnuplot >/dev/null || extra+=(gnuplot-nox)
command -v python3 >/dev/null || extra+=(python3)
lrn_install_deps "${extra[@]}"
# lrn_install_deps creates the postgres OS user through the postgresql package.
chown "$LRN_PG_USER:" "$LRN_TMP"

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
	lrn_prepare_tree
	lrn_build
	lrn_install
fi

if [ "$mode" = quick ]; then
	out=${BENCH_OUT:-$BENCH_DIR/out}
	conf=("shared_buffers = 256MB" "maintenance_work_mem = 256MB" "work_mem = 64MB")
else
	out=${BENCH_OUT:-$BENCH_DIR}
	conf=("shared_buffers = 4GB" "maintenance_work_mem = 1GB" "work_mem = 256MB")
fi
# The same settings for every index: one process per query (no parallel
# workers, also not for CREATE INDEX; the scale mode sets them per statement
# where a figure names them), no JIT, no autovacuum (but in the growth
# mode), no checkpoint
# in the middle of a measurement (the harness checkpoints before each COPY).
# The growth mode keeps autovacuum on at the server's defaults: its claim is
# that VACUUM's cleanup, run by autovacuum, retrains what inserts drift.
# BENCH_GROWTH_NAPTIME (e.g. 5s) shortens autovacuum_naptime for a short
# trial, which otherwise ends before autovacuum's first look; the report
# then names the setting that is not the server's default.
if [ "$mode" != growth ]; then
	conf+=("autovacuum = off")
elif [ -n "${BENCH_GROWTH_NAPTIME:-}" ]; then
	conf+=("autovacuum_naptime = '$BENCH_GROWTH_NAPTIME'")
fi
conf+=(
	"max_parallel_workers_per_gather = 0"
	"max_parallel_maintenance_workers = 0"
	"jit = off"
	"max_wal_size = 64GB"
	"checkpoint_timeout = 1h"
	"track_io_timing = off"
	"huge_pages = try"
)
lrn_cluster_start "${conf[@]}"

work=$LRN_TMP/bench
mkdir -p "$work" "$out"
chown "$LRN_PG_USER:" "$work"

lrn_log "running the $mode benchmark (results in ${out#"$LRN_ROOT"/})"
python3 "$BENCH_DIR/bench.py" --mode "$mode" --out "$out" --work "$work" \
	--bench-dir "$BENCH_DIR" --src "${LRN_SRC:-$LRN_ROOT}"

lrn_log "done; stopping the cluster"
