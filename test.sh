#!/usr/bin/env bash
#
# test.sh: build the extension with warnings as errors, install it, and run
# every test suite against a throwaway cluster:
#   - check-model: the C unit tests (test/rmi_test.c, split_test.c, leaf_test.c)
#   - pg_regress over sql/*.sql
#   - pg_isolation_regress over specs/*.spec (concurrent sessions)
#   - the TAP tests t/*.pl (replication, crash recovery, concurrency)
# Prints the failures' diffs and logs, and closes with one line
# "N passed, M failed" (N, M: model test + regression tests + isolation
# tests + TAP files).
# Exit status 0 only if everything passed.
#
# Usage (Debian 12, as root; installs what is missing):
#   sudo bash test.sh
#   sudo PROVE_TESTS=t/001_replication.pl bash test.sh   # some TAP files only
#   sudo REGRESS="scans dml" ISOLATION="scan_split" bash test.sh
#   sudo LRN_KEEP=1 bash test.sh     # keep the work directory for a look
# LRN_SUMMARY_FILE=path also writes the closing line to that file.

set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/scripts/common.sh"

passed=0
failed=0
summary_done=0

summary() {
	local line="$passed passed, $failed failed"
	echo
	echo "$line"
	if [ -n "${LRN_SUMMARY_FILE:-}" ]; then echo "$line" >"$LRN_SUMMARY_FILE"; fi
	summary_done=1
}

on_exit() {
	local rc=$?
	lrn_cleanup
	if [ "$summary_done" = 0 ]; then
		# Died before or while testing (install, build, cluster): a failure.
		failed=$((failed + 1))
		summary
		[ "$rc" -ne 0 ] || rc=1
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

lrn_require_root
lrn_install_deps libipc-run-perl
lrn_prepare_tree
lrn_build
lrn_install
# A test's VACUUM must mark its pages all-visible, or index-only scan plans
# flip: no autovacuum (an autoanalyze's snapshot holds it back) and
# synchronous commits (VACUUM needs the hint bits that an unflushed
# asynchronous commit may not set yet).
lrn_cluster_start "autovacuum = off" "synchronous_commit = on"
cd "$LRN_SRC" || exit 1

# Run one step as postgres, its output shown and kept in $LRN_TMP/<name>.out.
# With prefix set, each line shown starts with it (so that no line of a
# step's own output looks like this script's closing summary line).
run_step() {
	local name=$1
	shift
	echo
	lrn_log "$name"
	lrn_as_pg "$@" 2>&1 | tee "$LRN_TMP/$name.out" | sed "s|^|${prefix:-}|"
	return "${PIPESTATUS[0]}"
}

suites=(make -s -f Makefile -f scripts/suites.mk PG_CONFIG="$PG_CONFIG")

# 1. The model's unit test.
if prefix="check-model: " run_step check-model make -s check-model PG_CONFIG="$PG_CONFIG"; then
	passed=$((passed + 1)); model="ok"
else
	failed=$((failed + 1)); model="FAILED"
fi

# How many tests of a pg_regress-style run passed and failed: "name ... ok"
# up to PostgreSQL 15, "ok N - name" / "not ok N - name" from 16 on.
# A missing output file (the work directory gone) counts as one failure.
count_results() {
	local out=$1
	ok=0
	bad=1
	[ -f "$out" ] || return 0
	ok=$(grep -cE '(\.\.\. ok( |$)|^ok [0-9]+ +[-+] )' "$out")
	bad=$(grep -cE '(\.\.\. FAILED( |$)|^not ok [0-9]+ +[-+] )' "$out")
}

# 2. pg_regress over sql/*.sql and pg_isolation_regress over specs/*.spec,
# against the cluster (PGHOST/PGPORT).
run_regress_suite() {
	local name=$1 target=$2 diffs=$3 want=$4
	shift 4
	run_step "$name" env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
		"${suites[@]}" "$target" "$@"
	local rc=$?
	count_results "$LRN_TMP/$name.out"
	if [ "$bad" -eq 0 ] && { [ "$rc" -ne 0 ] || { [ "$ok" -eq 0 ] && [ "$want" -gt 0 ]; }; }; then
		bad=1 # the runner failed before running a test, or ran none
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$rc" -ne 0 ] && [ -f "$diffs" ]; then
		echo
		lrn_log "$diffs"
		cat "$diffs"
	fi
}

regress_args=()
if [ -n "${REGRESS:-}" ]; then regress_args+=(REGRESS="$REGRESS"); fi
run_regress_suite regress installcheck-regress regression.diffs \
	"$(ls sql/*.sql 2>/dev/null | wc -l)" "${regress_args[@]}"
regress_ok=$ok regress_bad=$bad

isolation_args=()
if [ -n "${ISOLATION:-}" ]; then isolation_args+=(ISOLATION="$ISOLATION"); fi
run_regress_suite isolation installcheck-isolation output_iso/regression.diffs \
	"$(ls specs/*.spec 2>/dev/null | wc -l)" "${isolation_args[@]}"
isolation_ok=$ok isolation_bad=$bad

# 3. The TAP tests: their own clusters, as postgres, on ports they pick.
if [ -n "${PROVE_TESTS:-}" ]; then
	read -r -a tap_files <<<"$PROVE_TESTS"
else
	tap_files=()
	for f in t/*.pl; do [ -e "$f" ] && tap_files+=("$f"); done
fi
tap_bad=0
if [ ${#tap_files[@]} -gt 0 ]; then
	run_step tap "${suites[@]}" installcheck-tap PROVE_TESTS="${tap_files[*]}" \
		PROVE_FLAGS="--timer"
	tap_rc=$?
	# prove's "Test Summary Report" lists each failed file once.
	mapfile -t tap_failed < <(sed -n 's/^\(t\/[^ ]*\.pl\) *(Wstat.*/\1/p' "$LRN_TMP/tap.out" | sort -u)
	tap_bad=${#tap_failed[@]}
	if [ "$tap_rc" -ne 0 ] && [ "$tap_bad" -eq 0 ]; then
		tap_bad=${#tap_files[@]} # prove failed as a whole
		tap_failed=("${tap_files[@]}")
	fi
	passed=$((passed + ${#tap_files[@]} - tap_bad))
	failed=$((failed + tap_bad))
	for f in "${tap_failed[@]}"; do
		name=$(basename "$f" .pl)
		echo
		lrn_log "$f failed: end of tmp_check/log/regress_log_$name"
		tail -n 80 "tmp_check/log/regress_log_$name" 2>/dev/null
		for log in tmp_check/log/"${name}"_*.log; do
			[ -e "$log" ] || continue
			lrn_log "end of $log"
			tail -n 25 "$log"
		done
	done
fi

cd / && lrn_cleanup # stop the cluster first: the summary is the last line
echo
echo "model test: $model; regression tests: $regress_ok ok, $regress_bad failed;" \
	"isolation tests: $isolation_ok ok, $isolation_bad failed;" \
	"TAP files: $((${#tap_files[@]} - tap_bad)) ok, $tap_bad failed"
summary
[ "$failed" -eq 0 ]
