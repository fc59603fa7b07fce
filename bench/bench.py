#!/usr/bin/env python3
"""bench/bench.py: the benchmark driver (standard library only).

bench/run.sh starts a throwaway cluster, exports PGHOST/PGPORT/PGUSER and
calls this.  For each data set it generates the rows once into a file, loads
identical tables from it (t_noidx, and t_learned, t_btree, t_hash, t_brin for
the indexes that fit the data set: same rows, same physical order), indexes
each with its access method, and measures every index the same way, learned
and btree alternating in every round so that machine drift hits both.  Every
figure is the median of ROUNDS runs.  After the data sets, a unique learned
index is measured against a unique btree index on the same rows (issue 12:
COPY of unique keys, pgbench upserts, TPC-B-like pgbench; unique_indexes).
It writes RESULTS.md, targets.md, results.json and charts/*.png into --out;
no figure there is typed by hand, and the seconds each phase took are
recorded with them.

It exits non-zero when a query fails or when an index returns an answer that
differs from the sequential scan's (the correctness guard); it makes no
timing assertion.
"""

import argparse
import bisect
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = 3
KINDS = ["learned", "btree", "hash", "brin"]
# Every table but t_<kind>: dropped before and after each data set.
AUX_TABLES = ["probes_present", "probes_present2", "probes_absent", "probes_absent2", "probes_small_present",
              "probes_small_absent", "probes_after", "probes_small_after", "bench_keys",
              "ranges_r100", "ranges_r10k", "ranges_r1pct"]
# The unique-index section's tables (pgbench -i makes the pgbench_* ones).
UNIQUE_TABLES = ["u_learned", "u_btree", "u_copy_keys", "u_probes", "tpcb_probes", "pgbench_accounts",
                 "pgbench_branches", "pgbench_tellers", "pgbench_history"]


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------
# A persistent psql session: one backend for many statements, so that the
# learned index's per-backend model cache stays warm between measurements.
# --------------------------------------------------------------------------
class Session:
    counter = 0

    def __init__(self, name="s"):
        Session.counter += 1
        self.name = name
        self.errf = tempfile.TemporaryFile(mode="w+")
        self.p = subprocess.Popen(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errf,
            text=True, bufsize=1)
        self.seq = 0
        self.q("SET client_min_messages = warning")

    def q(self, sql):
        """Run sql (one or more statements); return the output rows."""
        self.seq += 1
        marker = "@@END%d@@" % self.seq
        try:
            self.p.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + marker + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        rows = []
        while True:
            line = self.p.stdout.readline()
            if line == "":
                self.p.wait()
                self.errf.seek(0)
                raise BenchError("psql session %s failed on:\n%s\n%s"
                                 % (self.name, sql.strip()[:2000], self.errf.read()[-4000:]))
            line = line.rstrip("\n")
            if line == marker:
                return rows
            if line == "":
                continue
            rows.append(line.split("\t"))

    def one(self, sql):
        rows = self.q(sql)
        return rows[0][0] if rows and rows[0] else None

    def close(self):
        try:
            self.p.stdin.write("\\q\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        self.p.wait()


# Session setup for every measuring session: the same for every index.
MEASURE_SETTINGS = """
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_memoize = off;
SET enable_material = off;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_indexscan = on;
SET enable_indexonlyscan = on;
"""

HELPERS = r"""
CREATE OR REPLACE FUNCTION bench_run(q text, OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE q INTO result;
	ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE OR REPLACE FUNCTION bench_exec(q text, OUT ms float8, OUT nrows int8)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE q;
	GET DIAGNOSTICS nrows = ROW_COUNT;
	ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
-- NULL, or the error q raised as 'SQLSTATE: message' (its work undone).
CREATE OR REPLACE FUNCTION bench_try(q text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN NULL;
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
"""


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# --------------------------------------------------------------------------
# Data sets: SQL producing (id int8) rows, deterministic (setseed or hashes).
# :N is the number of rows.  The heap keeps the generation order.
# --------------------------------------------------------------------------
DATASETS = [
    ("dense", "dense sequential ids 1..N, heap in key order",
     "SELECT i::int8 AS id FROM generate_series(1, {N}) AS i"),
    ("sparse", "sparse uniform int8: a 64-bit hash of i over the whole int8 range, heap in random order",
     "SELECT hashint8extended(i, 7) AS id FROM generate_series(1, {N}) AS i"),
    ("lognormal", "lognormal: floor(1e6 * exp(2 z)), z standard normal (Box-Muller on setseed random()); many duplicates among small keys; heap in random order",
     "SELECT floor(1e6 * exp(2.0 * sqrt(-2.0 * ln(1.0 - random())) * cos(2.0 * pi() * random())))::int8 AS id "
     "FROM generate_series(1, {N}) AS i"),
    ("timestamps", "bursty microsecond timestamps: a running sum of gaps, 0-40 us inside bursts, 1 s to 10 min between bursts (1 in 2000 gaps); heap in time order",
     "SELECT (1700000000000000 + sum(g) OVER (ORDER BY i))::int8 AS id FROM ("
     " SELECT i, CASE WHEN random() < 0.0005 THEN (1e6 + random() * 600e6)::int8"
     "                ELSE (random() * random() * 40)::int8 END AS g"
     " FROM generate_series(1, {N}) AS i) AS s"),
    ("clustered", "clustered: N/1000 groups at hashed centres below 2^50, each of width 2^12..2^30 (hashed), group sizes skewed (g = G * u^1.5); heap in random order",
     "SELECT (abs(hashint8extended(g, 11)) >> 14)"
     " + floor(random() * (1::int8 << (12 + abs(hashint8extended(g, 13)) % 19)::int))::int8 AS id"
     " FROM (SELECT floor({G} * power(random(), 1.5))::int8 AS g FROM generate_series(1, {N}) AS i) AS s"),
    ("adversarial", "adversarial: the bits of i spread to even bit positions (a Cantor-like staircase: gaps at every scale, no linear piece fits) plus 16 keys near the int8 maximum; heap in key order",
     "SELECT id FROM ("
     " SELECT x5 AS id, 0 AS o FROM ("
     "  SELECT (x4 | (x4 << 1)) & 6148914691236517205 AS x5 FROM ("
     "   SELECT (x3 | (x3 << 2)) & 3689348814741910323 AS x4 FROM ("
     "    SELECT (x2 | (x2 << 4)) & 1085102592571150095 AS x3 FROM ("
     "     SELECT (x1 | (x1 << 8)) & 71777214294589695 AS x2 FROM ("
     "      SELECT (i | (i << 16)) & 281470681808895 AS x1"
     "      FROM generate_series(1::int8, {N} - 16) AS i) a) b) c) d) e"
     " UNION ALL SELECT 9223372036854775807 - 1000003 * k, 1 FROM generate_series(0, 15) AS k"
     ") AS s ORDER BY o, id"),
]


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.mode == "quick"
        self.N = int(os.environ.get("BENCH_ROWS", 100000 if self.quick else 10000000))
        # Probes per run: P for the lookups a target uses (present keys,
        # learned and btree index-only, hash index scan), P2 for the others
        # (present-key index scans of learned and btree, absent keys, the
        # lookups after the writes): ns per probe either way, shorter runs.
        self.P = int(os.environ.get("BENCH_PROBES", 20000 if self.quick else 1000000))
        self.P2 = min(self.P, int(os.environ.get("BENCH_PROBES_OTHER", self.P if self.quick else 100000)))
        # Rows per range-scan run: index-only scans (a target) run longer
        # than index scans (none).
        self.range_rows = int(os.environ.get("BENCH_RANGE_ROWS", 20000 if self.quick else 3000000))
        self.range_rows_index = min(self.range_rows, int(os.environ.get(
            "BENCH_RANGE_ROWS_INDEX", self.range_rows if self.quick else 250000)))
        self.copy_rows = int(os.environ.get("BENCH_COPY_ROWS", 10000 if self.quick else 1000000))
        # pgbench: a fixed number of transactions in quick mode, seconds in
        # full: learned and btree (a target uses their TPS) run longer than
        # hash (none does).
        self.pgb = ("-t", "100") if self.quick else ("-T", os.environ.get("BENCH_PGBENCH_SECONDS", "2"))
        self.pgb_other = self.pgb if self.quick else ("-T", os.environ.get("BENCH_PGBENCH_SECONDS_OTHER", "1"))
        self.pages_probes = min(10000, self.P2)
        self.hash_sets = ("dense", "sparse", "lognormal")
        # BRIN answers a probe with a bitmap scan of a whole block range.
        self.brin_probes = max(20, self.P // 5000)
        self.brin_range_div = 100
        # A COPY that takes longer than this is cancelled and reported as such.
        self.copy_timeout_s = 30 if self.quick else 150
        # Unique indexes (issue 12): learned unique against btree unique, after
        # the data sets.  TPC-B-like pgbench runs for tpcb_seconds per index
        # (the issue's 10 minutes in full mode) at pgbench scale tpcb_scale.
        self.unique = os.environ.get("BENCH_UNIQUE", "1") != "0"
        self.tpcb_seconds = int(os.environ.get("BENCH_TPCB_SECONDS", 10 if self.quick else 600))
        self.tpcb_scale = int(os.environ.get("BENCH_TPCB_SCALE", 1 if self.quick else 10))
        self.tpcb_clients = 2
        # BENCH_TPCB_NONHOT=1: a btree index on abalance too, so that no
        # update is HOT and each one adds an entry to the aid index (without
        # it pgbench's updates are mostly HOT and the aid index barely grows).
        self.tpcb_nonhot = os.environ.get("BENCH_TPCB_NONHOT", "0") == "1"
        wanted = os.environ.get("BENCH_DATASETS")
        self.datasets = [d for d in DATASETS if not wanted or d[0] in wanted.split(",")]
        self.work = args.work
        self.out = args.out
        self.charts = os.path.join(self.out, "charts")
        os.makedirs(self.charts, exist_ok=True)
        self.results = {"datasets": {}, "notes": [], "order": [d[0] for d in self.datasets]}
        self.results["reductions"] = [
            "after the writes, learned and btree point lookups are timed as index-only scans only (hash: index scan)",
        ] + ([] if self.quick else [
            "hash is measured on the dense, sparse and lognormal data sets only",
            "hash and BRIN: CREATE INDEX is built once (learned and btree: 3 builds, median)",
            "the writes (COPY) into hash and BRIN indexes are measured on the dense data set only",
        ]) + ([] if self.P2 == self.P else [
            "point lookups no target uses (present-key index scans of learned and btree, every absent-key lookup, "
            "the lookups after the writes) run %s probes per run instead of %s (still ns per probe, median of %d runs)"
            % (fmt_int(self.P2), fmt_int(self.P), ROUNDS),
        ]) + ([] if self.pgb_other == self.pgb else [
            "pgbench runs of hash (no target uses them) last %s s, those of learned and btree %s s"
            % (self.pgb_other[1], self.pgb[1]),
        ]) + ([] if self.range_rows_index == self.range_rows else [
            "range index scans (no target uses them) return about %s rows per run, index-only scans about %s"
            % (fmt_int(self.range_rows_index), fmt_int(self.range_rows)),
        ])
        self.t_start = time.time()
        self.admin = Session("admin")
        self.has_model_fn = False
        self.has_info_fn = False
        self.has_prewarm = False

    # ------------------------------------------------------------------
    def setup(self):
        a = self.admin
        a.q("CREATE EXTENSION IF NOT EXISTS learned_am")
        # pg_prewarm (contrib, shipped with the server package): the buffers
        # every timed run reads are loaded before the first one.
        if a.one("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_prewarm'") != "0":
            a.q("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            self.has_prewarm = True
        else:
            self.results["notes"].append("pg_prewarm is not available: the first timed run of each figure "
                                         "may read pages the later ones find in shared buffers")
        a.q(HELPERS)
        self.has_info_fn = a.one("SELECT count(*) FROM pg_proc WHERE proname = 'learned_index_info'") != "0"
        self.has_model_fn = a.one("SELECT count(*) FROM pg_proc WHERE proname = 'learned_index_model'") != "0"
        self.results["env"] = self.environment()

    def environment(self):
        a = self.admin

        def sh(cmd):
            try:
                return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
            except Exception:
                return ""
        cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1") or platform.processor()
        mem = sh("free -h | awk '/^Mem:/{print $2}'")
        src = self.args.src
        commit = sh("git -C %s rev-parse --short HEAD 2>/dev/null" % shq(self.args.bench_dir + "/.."))
        dirty = sh("git -C %s status --porcelain --untracked-files=no 2>/dev/null | head -1" % shq(self.args.bench_dir + "/.."))
        settings = {}
        for name in ["shared_buffers", "work_mem", "maintenance_work_mem", "max_parallel_workers_per_gather",
                     "max_parallel_maintenance_workers", "jit", "autovacuum", "fsync", "synchronous_commit",
                     "wal_level", "full_page_writes", "checkpoint_timeout", "max_wal_size", "huge_pages"]:
            settings[name] = a.one("SHOW %s" % name)
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": platform.node(),
            "kernel": platform.release(),
            "cpu": cpu,
            "cores": os.cpu_count(),
            "memory": mem,
            "os": sh(". /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\""),
            "postgres": a.one("SELECT version()"),
            "compiler": sh("cc --version | head -1"),
            "commit": (commit + (" (with uncommitted changes)" if dirty else "")) if commit else "unknown",
            "learned_am": a.one("SELECT extversion FROM pg_extension WHERE extname = 'learned_am'"),
            "settings": settings,
            "mode": self.args.mode,
            "rows": self.N,
            "probes": self.P,
            "probes_other": self.P2,
            "range_rows": self.range_rows,
            "range_rows_index": self.range_rows_index,
            "prewarm": self.has_prewarm,
            "pgbench": " ".join(self.pgb),
            "pgbench_other": " ".join(self.pgb_other),
        }

    # ------------------------------------------------------------------
    def run(self):
        self.setup()
        self.results["setup_seconds"] = round(time.time() - self.t_start, 1)
        for name, desc, gen in self.datasets:
            t0 = time.time()
            log("data set %s (%d rows)" % (name, self.N))
            r = {"description": desc}
            self.results["datasets"][name] = r
            self.dataset(name, gen, r)
            r["seconds"] = round(time.time() - t0, 1)
            log("data set %s done in %.0f s" % (name, r["seconds"]))
            self.save_json()
        if self.unique:
            t0 = time.time()
            log("unique indexes (%d rows; TPC-B-like pgbench %d s per index)" % (self.N, self.tpcb_seconds))
            u = self.results["unique"] = {}
            self.unique_indexes(u)
            u["seconds"] = round(time.time() - t0, 1)
            log("unique indexes done in %.0f s" % u["seconds"])
            self.save_json()
        self.results["total_seconds"] = round(time.time() - self.t_start, 1)
        self.save_json()
        self.report()
        self.admin.close()
        if self.results.get("failures"):
            raise BenchError("%d failure(s):\n" % len(self.results["failures"]) + "\n".join(self.results["failures"]))

    def save_json(self):
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)

    # ------------------------------------------------------------------
    def phase(self, what):
        """End the phase running (log and record its seconds), start what."""
        now = time.time()
        if getattr(self, "_phase", None):
            name, t0, into = self._phase
            log("  %-28s %6.1f s" % (name, now - t0))
            into.append([name, round(now - t0, 1)])
        self._phase = (what, now, self._phases) if what else None

    def drop_tables(self):
        self.admin.q("DROP TABLE IF EXISTS %s CASCADE"
                     % ", ".join(AUX_TABLES + ["t_" + k for k in KINDS + ["noidx"]]))

    def load_table(self, k, datafile, prefix="t_"):
        """t_k (prefix k) from the generated file: COPY FREEZE into a table
        created in the same transaction writes the tuples frozen and marks
        every page all-visible, so no VACUUM pass is needed before index-only
        scans."""
        a = self.admin
        t = prefix + k
        a.q("BEGIN; CREATE TABLE %s (id int8, val int8);"
            " COPY %s FROM %s WITH (FORMAT binary, FREEZE); COMMIT" % (t, t, lit(datafile)))
        a.q("ANALYZE %s" % t)
        pages, visible = a.q("SELECT relpages, relallvisible FROM pg_class WHERE oid = '%s'::regclass" % t)[0]
        if int(visible) < int(pages):
            # Not expected since PostgreSQL 14; keep the guarantee anyway.
            log("%s: %s of %s pages all-visible after COPY FREEZE; vacuuming" % (t, visible, pages))
            a.q("VACUUM (FREEZE, ANALYZE) %s" % t)

    def dataset(self, name, gen, r):
        a = self.admin
        self._phases = r["phases"] = []
        self.phase("generate")
        N = self.N
        G = max(N // 1000, 10)
        sql = gen.format(N=N, G=G)
        self.drop_tables()
        a.q("SET work_mem = '1GB'")
        a.q("SELECT setseed(0.4242)")
        # Generated once into a file; every table is loaded from it, so all
        # hold the same rows in the same physical order (the generation order).
        datafile = os.path.join(self.work, "data_%s.bin" % name)
        a.q("COPY (SELECT id, id %% 1000 AS val FROM (%s) AS g) TO %s (FORMAT binary)" % (sql, lit(datafile)))

        self.phase("load tables")
        self.load_table("noidx", datafile)
        corr = a.one("SELECT correlation FROM pg_stats WHERE tablename = 't_noidx' AND attname = 'id'")
        r["correlation"] = float(corr) if corr not in (None, "") else 0.0
        # BRIN fits where the heap order follows the key order.  Full mode:
        # hash on three data sets only (its 10M-row build is the slowest of
        # all); RESULTS.md says so.
        hash_here = self.quick or name in self.hash_sets
        kinds = ["learned", "btree"] + (["hash"] if hash_here else []) + \
            (["brin"] if abs(r["correlation"]) > 0.9 else [])
        r["kinds"] = kinds
        for k in kinds:
            self.load_table(k, datafile)
        os.unlink(datafile)
        r["heap_pages"] = int(a.one("SELECT pg_relation_size('t_noidx') / current_setting('block_size')::int"))

        self.phase("statistics, probes")
        # One pass (two sorts) for the statistics and the key CDF: the keys at
        # 2001 evenly spaced fractions of the rows.
        fracs = [i / 2000.0 for i in range(2001)]
        stats = a.q("SELECT count(*), count(DISTINCT id), min(id), max(id),"
                    " percentile_disc(ARRAY[%s]::float8[]) WITHIN GROUP (ORDER BY id) FROM t_noidx"
                    % ",".join(repr(f) for f in fracs))[0]
        r["rows"], r["distinct"], r["min"], r["max"] = int(stats[0]), int(stats[1]), int(stats[2]), int(stats[3])
        r["unique"] = r["rows"] == r["distinct"]
        self.cdf_sample(name, r, [int(x) for x in stats[4].strip("{}").split(",")], fracs)
        a.q("SELECT setseed(0.17)")
        P, P2 = self.P, self.P2
        # Present keys: rows sampled uniformly (Bernoulli, seeded), in random
        # order; topped up with repeats only if the table has fewer rows than P.
        a.q("CREATE UNLOGGED TABLE probes_present AS SELECT id AS k FROM t_noidx"
            " TABLESAMPLE BERNOULLI (%f) REPEATABLE (17) ORDER BY random() LIMIT %d"
            % (min(100.0, 100.0 * 1.2 * P / max(1, r["rows"])), P))
        while int(a.one("SELECT count(*) FROM probes_present")) < P:
            a.q("INSERT INTO probes_present SELECT k FROM probes_present ORDER BY random() LIMIT %d"
                % (P - int(a.one("SELECT count(*) FROM probes_present"))))
        # The lookups no target uses run the first P2 of them.
        if P2 < P:
            a.q("CREATE UNLOGGED TABLE probes_present2 AS SELECT k FROM probes_present LIMIT %d" % P2)
        a.q("CREATE UNLOGGED TABLE probes_small_present AS SELECT k FROM probes_present LIMIT %d" % self.pages_probes)
        if name != "dense":  # pgbench's key table (the dense script needs none)
            a.q("CREATE UNLOGGED TABLE bench_keys (r int4 PRIMARY KEY, k int8)")
            a.q("INSERT INTO bench_keys SELECT row_number() OVER (), k FROM probes_present")
        a.q("RESET work_mem")

        self.phase("create index")
        # CREATE INDEX, median of ROUNDS builds, learned and btree alternating.
        r["build_ms"] = {k: [] for k in kinds}
        for rnd in range(ROUNDS):
            for k in self.order(kinds, rnd):
                if rnd > 0 and k in ("hash", "brin") and not self.quick:
                    continue  # built once in full mode
                if rnd > 0:
                    a.q("DROP INDEX i_%s" % k)
                a.q("CHECKPOINT")
                ms = float(a.q("SELECT ms FROM bench_exec('CREATE INDEX i_%s ON t_%s USING %s (id)')" % (k, k, k))[0][0])
                r["build_ms"][k].append(ms)
        r["size"] = {}
        for k in kinds:
            b = int(a.one("SELECT pg_relation_size('i_%s')" % k))
            r["size"][k] = {"bytes": b, "pages": b // 8192}
        if self.has_info_fn:
            r["info_build"] = self.info_row("i_learned")
        self.model_chart_data(name, r)

        self.phase("absent probes, ranges")
        self.absent_probes(r)
        self.range_sets(r)
        # VACUUM: hint bits and visibility set before any timed scan reads
        # these tables, so the first timed run does not pay for it.
        for t in ["probes_present", "probes_absent", "probes_small_present", "probes_small_absent"] + \
                (["probes_present2"] if P2 < P else []) + (["bench_keys"] if name != "dense" else []):
            a.q("VACUUM ANALYZE %s" % t)

        self.phase("correctness after build")
        self.correctness(name, kinds, r, "after build", same_as_noidx=kinds)
        self.phase("point lookups")
        r["before"] = self.lookups(name, kinds, r, after=False)
        self.phase("ranges")
        r["ranges"] = self.ranges(name, kinds, r)
        self.phase("pgbench")
        r["pgbench"] = self.pgbench(name, kinds, r)
        self.phase("writes")
        r["writes"] = self.writes(name, kinds, r)
        a = self.admin  # writes() replaces a session a timeout ended
        # Only the indexes whose tables took the writes are measured again;
        # the others are as they were after the build.
        written = [k for k in kinds if k in r["writes"]["tables"]]
        self.phase("vacuum, checks after writes")
        for k in written:
            a.q("VACUUM ANALYZE t_%s" % k)
        self.check_learned(r, "after writes", heapallindexed=self.quick)
        self.correctness(name, kinds, r, "after writes",
                         same_as_noidx=[] if r.get("tables_differ") else written)
        # Probes after the writes (P2 of them, no target uses these figures):
        # a sample of the whole table, new rows included.
        a.q("SELECT setseed(0.31)")
        a.q("CREATE UNLOGGED TABLE probes_after AS SELECT id AS k FROM t_btree TABLESAMPLE BERNOULLI (%f) REPEATABLE (7)"
            " ORDER BY random() LIMIT %d" % (min(100.0, 100.0 * 1.2 * self.P2 / max(1, r["rows"] + 6 * self.copy_rows)), self.P2))
        a.q("CREATE UNLOGGED TABLE probes_small_after AS SELECT k FROM probes_after LIMIT %d" % self.pages_probes)
        a.q("VACUUM ANALYZE probes_after; VACUUM ANALYZE probes_small_after")
        self.phase("lookups after writes")
        r["after"] = self.lookups(name, written, r, after=True)
        self.phase("drop")
        if self.has_info_fn:
            r["info_after"] = self.info_row("i_learned")
        self.drop_tables()
        a.q("CHECKPOINT")
        self.phase(None)

    @staticmethod
    def order(kinds, rnd):
        """learned and btree alternate which goes first in each round."""
        ks = list(kinds)
        if rnd % 2 == 1 and len(ks) > 1:
            ks[0], ks[1] = ks[1], ks[0]
        return ks

    def info_row(self, idx):
        rows = self.admin.q("SELECT row_to_json(i) FROM learned_index_info('%s') AS i" % idx)
        return json.loads(rows[0][0]) if rows else None

    def failed(self, r, msg):
        """A wrong answer or a broken invariant: stop, or with
        BENCH_KEEP_GOING=1 record it, finish, and exit non-zero at the end."""
        if os.environ.get("BENCH_KEEP_GOING") != "1":
            raise BenchError(msg)
        log("FAILURE: " + msg)
        self.results.setdefault("failures", []).append(msg)
        r.setdefault("checks", []).append("FAILED: " + msg.replace("\n", " ")[:500])

    def check_learned(self, r, when, heapallindexed, idx="i_learned"):
        s = Session("check")
        try:
            s.q("SELECT learned_index_check('%s', %s)" % (idx, "true" if heapallindexed else "false"))
            s.close()
        except BenchError as e:
            self.failed(r, "learned_index_check(%s) %s: %s" % (idx, when, str(e).strip().splitlines()[-1]))
            return
        r.setdefault("checks", []).append("learned_index_check(%s, heapallindexed => %s) %s: ok"
                                          % (idx, str(heapallindexed).lower(), when))

    # ------------------------------------------------------------------
    def correctness(self, name, kinds, r, when, same_as_noidx):
        """A few queries through each index must equal the seq scan's answer.
        The reference is a seq scan of t_noidx for the tables known to hold
        the same rows (same_as_noidx: loaded from the same file and given the
        same COPYs), else of the table itself: per reference table one seq
        scan answers all 9 queries (see combined below).  The ranges hold a
        bounded number of rows (about rows/1000, at least 1000), not a share
        of the key span: on skewed keys a share of the span can hold most of
        the table."""
        a = self.admin
        lo, hi = r["min"], r["max"]
        mid = a.one("SELECT k FROM probes_present LIMIT 1")
        mid2 = a.one("SELECT k FROM probes_absent LIMIT 1")
        # Range bounds: W entries after mid, and W entries below the largest
        # key (after the writes, the ascending keys' largest), read through
        # the btree index; only the seq scan's answer decides correctness.
        W = max(1000, r["rows"] // 1000)
        a.q("SET enable_seqscan = off; SET enable_bitmapscan = off")
        mid_hi = a.one("SELECT id FROM t_btree WHERE id >= %s ORDER BY id OFFSET %d LIMIT 1" % (mid, W))
        top = a.one("SELECT id FROM t_btree ORDER BY id DESC OFFSET %d LIMIT 1" % W)
        a.q("RESET enable_seqscan; RESET enable_bitmapscan")
        mid_hi = int(mid_hi) if mid_hi not in (None, "") else hi
        if mid_hi <= int(mid):
            mid_hi = int(mid) + 1  # W or more duplicates of mid
        top = int(top) if top not in (None, "") else lo
        # (name, aggregate with {f} where the reference puts its FILTER, condition, capability)
        counting = [
            ("point present", "count(*){f} || ':' || coalesce(sum(val){f}, 0)", "id = %s" % mid, "eq"),
            ("point absent", "count(*){f}", "id = %s" % mid2, "eq"),
            ("point int4 literal", "count(*){f}", "id = 5::int4", "eq"),
            ("range", "count(*){f} || ':' || coalesce(sum(id % 7919){f}, 0)", "id >= %s AND id < %d" % (mid, mid_hi),
             "range"),
            ("range open", "count(*){f}", "id > %d" % top, "range"),
            ("in list", "count(*){f}", "id = ANY(ARRAY[%s, %s, %d, %d])" % (mid, mid2, lo, hi), "eq"),
            ("is null", "count(*){f}", "id IS NULL", "range"),
        ]
        qs = [(qname, "SELECT " + agg.format(f="") + " FROM {t} WHERE " + cond, cap)
              for qname, agg, cond, cap in counting]
        qs += [
            ("order desc limit", "SELECT string_agg(id::text, ',') FROM (SELECT id FROM {t} ORDER BY id DESC LIMIT 20) s", "order"),
            ("order asc from", "SELECT string_agg(id::text, ',') FROM (SELECT id FROM {t} WHERE id >= %s ORDER BY id LIMIT 20) s" % mid, "order"),
        ]
        # The reference: one seq scan reads only the rows some condition
        # selects and answers every counting query (each aggregate FILTERed by
        # its condition) and both ordered ones: when "range open" (id > top)
        # counts at least 20 rows and no id is NULL, the 20 largest ids are
        # all above top, so they are its 20 largest; likewise the first 20
        # from mid when "range" counts at least 20.  Otherwise the ordered
        # query gets a seq scan of its own.
        combined = ("SELECT " + ", ".join(agg.format(f=" FILTER (WHERE %s)" % cond) for _, agg, cond, _ in counting)
                    + ", (array_agg(id ORDER BY id DESC) FILTER (WHERE id > %d))[1:20]" % top
                    + ", (array_agg(id ORDER BY id) FILTER (WHERE id >= %s AND id < %d))[1:20]" % (mid, mid_hi)
                    + " FROM {t} WHERE " + " OR ".join("(%s)" % cond for _, _, cond, _ in counting))
        s = Session("check")
        s.q("SET max_parallel_workers_per_gather = 0")
        reference = {}
        scans = [0]

        def ref(qname, q, ref_table):
            if (qname, ref_table) not in reference:
                s.q("RESET ALL; SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off")
                if not any(t == ref_table for _, t in reference):
                    row = s.q(combined.format(t=ref_table))[0]
                    scans[0] += 1
                    got = dict(zip([c[0] for c in counting], row))
                    reference.update(((cname, ref_table), v) for cname, v in got.items())
                    nonull = got["is null"] == "0"
                    for oname, arr, cname in (("order desc limit", row[-2], "range open"),
                                              ("order asc from", row[-1], "range")):
                        if nonull and int(got[cname].split(":")[0]) >= 20:
                            reference[(oname, ref_table)] = arr.strip("{}") or None
                if (qname, ref_table) not in reference:
                    reference[(qname, ref_table)] = s.one(q.format(t=ref_table))
                    scans[0] += 1
            return reference[(qname, ref_table)]

        for qname, q, cap in qs:
            for k in kinds:
                if cap == "range" and k == "hash":
                    continue
                if cap == "order" and k in ("hash", "brin"):
                    continue
                want = ref(qname, q, "t_noidx" if k in same_as_noidx else "t_" + k)
                for mode in ("index", "indexonly", "bitmap"):
                    if k == "brin" and mode != "bitmap":
                        continue
                    if k == "hash" and mode == "indexonly":
                        continue
                    s.q("RESET ALL; SET enable_seqscan = off; SET enable_indexscan = %s; SET enable_indexonlyscan = %s;"
                        " SET enable_bitmapscan = %s; SET enable_sort = %s"
                        % ("on" if mode == "index" else "off", "on" if mode == "indexonly" else "off",
                           "on" if mode == "bitmap" else "off", "off" if cap == "order" else "on"))
                    got = s.one(q.format(t="t_" + k))
                    if got != want:
                        plan = "\n".join(x[0] for x in s.q("EXPLAIN (COSTS OFF) " + q.format(t="t_" + k)))
                        self.failed(r, "WRONG RESULT (%s, %s, %s index %s, %s): got %r, seq scan says %r\n%s"
                                    % (name, when, k, mode, qname, got, want, plan))
        s.close()
        r.setdefault("checks", []).append("%d queries x every index and scan type equal the seq scan %s"
                                          " (%d seq scan%s)" % (len(qs), when, scans[0], "" if scans[0] == 1 else "s"))

    # ------------------------------------------------------------------
    def plan_note(self, r, key, k, want, plan):
        """The planner would not use the scan asked for (even with every other
        path disabled): no figure, a note in RESULTS.md."""
        msg = ("%s, %s: the planner did not choose %s although the other paths are disabled; plan: %s"
               % (key, k, " + ".join(want), " / ".join(l.strip() for l in plan.splitlines())))
        log("NOTE: " + msg)
        r.setdefault("notes", []).append(msg)

    def plan_ok(self, s, q, want):
        plan = "\n".join(x[0] for x in s.q("EXPLAIN (COSTS OFF) " + q))
        return all(w in plan for w in want), plan

    def probe_table(self, pset, v, k):
        """The probes of a lookup variant: P (probes_present) where a target
        uses the figure -- present keys, index-only for learned and btree,
        hash's index scan -- and P2 for the others (the absent and the after
        tables hold P2 probes; probes_present2 is the first P2 present ones)."""
        if pset != "present" or v == "indexonly" or k == "hash" or self.P2 >= self.P:
            return "probes_" + pset
        return "probes_present2"

    def prewarm(self, rels):
        """Read relations into shared buffers (pg_prewarm) before timed runs,
        so that the first of them does not pay for reads the others do not."""
        if not self.has_prewarm:
            return
        for rel in rels:
            self.admin.q("SELECT pg_prewarm(%s)" % lit(rel))

    def lookups(self, name, kinds, r, after):
        """Nested-loop point lookups: ns per probe, and index pages per lookup."""
        sets = ["after"] if after else ["present", "absent"]
        res = {}
        # Every index, and the heaps that index scans read (after the writes
        # only hash runs index scans; the tables have grown by then).
        self.prewarm(["i_" + k for k in kinds] +
                     ["t_" + k for k in kinds if not after or k == "hash"])
        sess = {k: Session("lookup-" + k) for k in kinds}
        for k in kinds:
            sess[k].q(MEASURE_SETTINGS)
        variants = []
        for pset in sets:
            for v in ("indexonly", "index"):
                variants.append((pset, v))
        counts = {}
        btree_on = {}  # probe table -> btree's answer on it
        for pset, v in variants:
            key = "%s_%s" % (pset, v)
            res[key] = {}
            plans = {}
            queries = {}
            ptables = {}
            for k in kinds:
                s = sess[k]
                ptable = self.probe_table(pset, v, k)
                if after and v == "index" and k != "hash":
                    continue  # after the writes: index-only (hash: its index scan)
                if k == "brin":
                    if v == "indexonly":
                        continue
                    # A bitmap scan per probe reads a whole block range: far
                    # fewer probes, or it would take minutes.
                    if after:
                        continue  # no longer correlated after random inserts: minutes per run
                    ptable = "(SELECT k FROM probes_%s LIMIT %d)" % (pset, self.brin_probes)
                    s.q("SET enable_bitmapscan = on; SET enable_indexscan = off; SET enable_indexonlyscan = off")
                    want = ["Nested Loop", "Bitmap Index Scan on i_brin"]
                elif v == "indexonly":
                    if k == "hash":
                        continue
                    s.q("SET enable_indexscan = on; SET enable_indexonlyscan = on")  # PG15 cost_index: indexscan off disables IOS too
                    want = ["Nested Loop", "Index Only Scan using i_%s" % k]
                else:
                    s.q("SET enable_indexscan = on; SET enable_indexonlyscan = off")
                    want = ["Nested Loop", "Index Scan using i_%s" % k]
                if v == "indexonly":
                    qt = "SELECT count(*) FROM {p} p JOIN t_%s t ON t.id = p.k" % k
                else:
                    qt = "SELECT count(*) || ':' || coalesce(sum(t.val), 0) FROM {p} p JOIN t_%s t ON t.id = p.k" % k
                q = qt.format(p=ptable)
                ok, plan = self.plan_ok(s, q, want)
                if not ok:
                    self.plan_note(r, key, k, want, plan)
                    continue
                queries[k] = q
                plans[k] = plan
                ptables[k] = ptable
                # Warm: the model cache of learned's backend, the plan, the
                # CPU caches; the buffers are prewarmed.
                if k != "brin":
                    s.q("SELECT bench_run(%s)" % lit(qt.format(p="probes_small_" + pset)))
                else:
                    s.q("SELECT bench_run(%s)" % lit(q))
            times = {k: [] for k in queries}
            answers = {}
            nprobes = {}
            for k in queries:
                t = "probes_" + pset if k == "brin" else ptables[k]
                if t not in counts:
                    counts[t] = int(self.admin.one("SELECT count(*) FROM %s" % t))
                nprobes[k] = min(counts[t], self.brin_probes) if k == "brin" else counts[t]
            for rnd in range(ROUNDS):
                for k in self.order([k for k in kinds if k in queries], rnd):
                    ms, result = sess[k].q("SELECT * FROM bench_run(%s)" % lit(queries[k]))[0]
                    times[k].append(float(ms) * 1e6 / nprobes[k])
                    answers.setdefault(k, result)
            # Every index must find the same rows for the same probes (brin
            # probes a subset): btree's answer; where btree ran these probes
            # only in another variant (hash's index scans of the present keys
            # and after the writes: btree ran them index-only), btree's count
            # of matching rows; else the same query through a hash join over
            # t_noidx (no index; a scan of the whole table).
            res[key]["probes"] = {k: nprobes[k] for k in queries}
            groups = {}
            for k in answers:
                if k != "brin":
                    groups.setdefault(ptables[k], []).append(k)
            if "btree" in answers:
                btree_on[ptables["btree"]] = answers["btree"]
            for pt, ks in groups.items():
                if after and r.get("tables_differ"):
                    break  # a cancelled COPY left the tables with different rows
                part = lambda ans: ans  # noqa: E731
                if "btree" in ks:
                    ref, ref_name = answers["btree"], "btree"
                elif pt in btree_on:
                    ref, ref_name = btree_on[pt].split(":")[0], "btree's count of matching rows on the same probes"
                    part = lambda ans: ans.split(":")[0]  # noqa: E731
                else:
                    k0 = ks[0]
                    ref = self.admin.one(queries[k0].replace("t_" + k0 + " t", "t_noidx t"))
                    ref_name = "a hash join over t_noidx"
                for k in ks:
                    if part(answers[k]) != ref:
                        self.failed(r, "WRONG RESULT (%s, %s): %s answers %s, %s %s"
                                    % (name, key, k, answers[k], ref_name, ref))
                if "btree" in ks or "matches" not in res[key]:
                    res[key]["matches"] = ref
            for k in queries:
                res[key][k] = {"ns": med(times[k]), "runs": times[k]}
        # Index pages per lookup (pg_statio), warm model cache, same sessions.
        for pset in sets:
            key = "pages_%s" % pset
            res[key] = {}
            for k in kinds:
                if k == "brin":
                    continue
                s = sess[k]
                if k == "hash":
                    s.q("SET enable_indexscan = on; SET enable_indexonlyscan = off")
                else:
                    s.q("SET enable_indexscan = on; SET enable_indexonlyscan = on")  # PG15 cost_index: indexscan off disables IOS too
                n = int(s.one("SELECT count(*) FROM probes_small_%s" % pset))
                q = "SELECT count(*) FROM probes_small_%s p JOIN t_%s t ON t.id = p.k" % (pset, k)
                s.q("SELECT bench_run(%s)" % lit(q))  # warm
                pages = self.count_pages(s, "i_" + k, q)
                res[key][k] = pages / n
        # Cold: the first lookup in a new backend (planning included).
        if not after:
            res["cold_pages"] = {}
            key0 = self.admin.one("SELECT k FROM probes_present OFFSET 7 LIMIT 1")
            for k in kinds:
                if k == "brin":
                    continue
                self.admin.q("SELECT pg_stat_reset_single_table_counters('i_%s'::regclass)" % k)
                fresh = Session("cold")
                fresh.q(MEASURE_SETTINGS)
                fresh.q("SELECT val FROM t_%s WHERE id = %s" % (k, key0))
                fresh.close()
                v = 0
                for _ in range(40):  # the backend flushes its counts as it exits
                    time.sleep(0.05)
                    self.admin.q("SELECT pg_stat_clear_snapshot()")
                    v = int(self.admin.one("SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes"
                                           " WHERE indexrelname = 'i_%s'" % k))
                    if v:
                        break
                res["cold_pages"][k] = v
        if "learned" in kinds and self.has_info_fn:
            info = json.loads(sess["learned"].one("SELECT row_to_json(i) FROM learned_index_info('i_learned') AS i"))
            res["learned_info"] = info
            res["cached_bytes"] = info.get("cached_bytes")
        for s in sess.values():
            s.close()
        return res

    def count_pages(self, s, idx, q):
        # Flush what earlier statements left pending, then reset and count.
        s.q("SELECT pg_stat_force_next_flush()")
        s.q("SELECT pg_stat_reset_single_table_counters('%s'::regclass)" % idx)
        s.q("SELECT bench_run(%s)" % lit(q))
        return self.own_index_pages(s, idx)

    @staticmethod
    def own_index_pages(s, idx):
        """The index's pg_statio hits + reads so far, as session s sees its
        own counts: the flush happens when the backend goes idle; then read
        them back."""
        s.q("SELECT pg_stat_force_next_flush()")
        for _ in range(50):
            s.q("SELECT pg_stat_clear_snapshot()")
            v = s.one("SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes WHERE indexrelname = '%s'" % idx)
            if v not in (None, "", "0"):
                return int(v)
            time.sleep(0.05)
        return 0

    # ------------------------------------------------------------------
    def ranges(self, name, kinds, r):
        res = {}
        self.prewarm(["i_" + k for k in kinds if k != "hash"] + ["t_" + k for k in kinds if k != "hash"])
        sess = {k: Session("range-" + k) for k in kinds if k != "hash"}
        for s in sess.values():
            s.q(MEASURE_SETTINGS)
        for rname in ("r100", "r10k", "r1pct"):
            for v in ("indexonly", "index"):
                key = "%s_%s" % (rname, v)
                res[key] = {}
                queries = {}
                for k, s in sess.items():
                    if k == "brin":
                        if v == "indexonly":
                            continue
                        s.q("SET enable_bitmapscan = on; SET enable_indexscan = off; SET enable_indexonlyscan = off")
                        want = ["Nested Loop", "Bitmap Index Scan on i_brin"]
                    elif v == "indexonly":
                        s.q("SET enable_indexscan = on; SET enable_indexonlyscan = on")  # PG15 cost_index: indexscan off disables IOS too
                        want = ["Nested Loop", "Index Only Scan using i_%s" % k]
                    else:
                        s.q("SET enable_indexscan = on; SET enable_indexonlyscan = off")
                        want = ["Nested Loop", "Index Scan using i_%s" % k]
                    # Index-only runs take every range of the set; index scans
                    # the first ranges_index of them, BRIN 1/brin_range_div of those.
                    widths = r["range_widths"][rname]
                    nall = widths["ranges"]
                    nr = nall if v == "indexonly" else widths.get("ranges_index", nall)
                    if k == "brin":
                        nr = max(3, nr // self.brin_range_div)
                    if v == "indexonly":
                        q = "SELECT count(*) FROM {ranges} g JOIN t_%s t ON t.id >= g.lo AND t.id < g.hi" % k
                    else:
                        q = ("SELECT count(*) || ':' || coalesce(sum(t.val), 0) FROM {ranges} g JOIN t_%s t"
                             " ON t.id >= g.lo AND t.id < g.hi" % k)
                    ranges_of = "(SELECT * FROM ranges_%s LIMIT %%d)" % rname
                    src = ranges_of % nr if nr < nall else "ranges_" + rname
                    ok, plan = self.plan_ok(s, q.format(ranges=src), want)
                    if not ok:
                        self.plan_note(r, key, k, want, plan)
                        continue
                    queries[k] = q.format(ranges=src)
                    # Warm on a tenth of the ranges (plan, model cache); the
                    # index and heap are prewarmed.
                    s.q("SELECT bench_run(%s)" % lit(q.format(ranges=ranges_of % max(1, nr // 10))))
                times = {k: [] for k in queries}
                answers = {}
                for rnd in range(ROUNDS):
                    for k in self.order(list(queries), rnd):
                        ms, result = sess[k].q("SELECT * FROM bench_run(%s)" % lit(queries[k]))[0]
                        nrows = int(result.split(":")[0])
                        times[k].append(nrows / (float(ms) / 1000.0) if float(ms) > 0 else None)
                        answers.setdefault(k, result)
                ref = answers.get("btree")
                for k, ans in answers.items():
                    if ans != ref and k != "brin":
                        self.failed(r, "WRONG RESULT (%s, %s): %s answers %s, btree %s" % (name, key, k, ans, ref))
                for k in queries:
                    res[key][k] = {"rows_per_s": med(times[k]), "runs": times[k]}
                if ref:
                    res[key]["rows"] = int(ref.split(":")[0])
        for s in sess.values():
            s.close()
        return res

    # ------------------------------------------------------------------
    def pgbench(self, name, kinds, r):
        res = {}
        script_src = "pgbench_point_dense.sql" if name == "dense" else "pgbench_point.sql"
        with open(os.path.join(self.args.bench_dir, script_src)) as f:
            template = f.read()
        pk = [k for k in kinds if k != "brin"]
        res["script"] = script_src
        for k in pk:
            path = os.path.join(self.work, "pgb_%s_%s.sql" % (name, k))
            with open(path, "w") as f:
                f.write(template.replace("@TABLE@", "t_" + k))
        nkeys = r["rows"] if name == "dense" else self.P
        for clients in (1, 2):
            key = "c%d" % clients
            res[key] = {k: {"tps": [], "p50": [], "p95": [], "p99": []} for k in pk}
            for rnd in range(ROUNDS):
                for k in self.order(pk, rnd):
                    tps, lat = self.pgbench_once(name, k, clients, nkeys)
                    res[key][k]["tps"].append(tps)
                    for p in ("p50", "p95", "p99"):
                        res[key][k][p].append(lat[p])
            for k in pk:
                d = res[key][k]
                d["tps_med"] = med(d["tps"])
                for p in ("p50", "p95", "p99"):
                    d[p + "_med"] = med(d[p])
        return res

    def pgbench_once(self, name, k, clients, nkeys, seed=None, run=None, script=None, counts=None):
        """One pgbench run of the script written for (name, k) (or of the
        options in script, e.g. a built-in one): (TPS, latency percentiles).
        seed: --random-seed, so that every index gets the same keys; run:
        -t/-T options instead of self.pgb's; counts: a dict that receives
        the transactions processed."""
        logdir = tempfile.mkdtemp(dir=self.work, prefix="pgblog_")
        script = script or ["-f", os.path.join(self.work, "pgb_%s_%s.sql" % (name, k))]
        cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients)] + \
            list(run or (self.pgb if k in ("learned", "btree") else self.pgb_other)) + \
            ([] if seed is None else ["--random-seed=%d" % seed]) + \
            ["-D", "nkeys=%d" % nkeys] + list(script) + ["-l", "--log-prefix=" + os.path.join(logdir, "pgb")]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError("pgbench failed (%s, %s):\n%s\n%s" % (name, k, p.stdout[-2000:], p.stderr[-2000:]))
        m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout)
        if not m:
            m = re.search(r"tps = ([0-9.]+)", p.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
        if failed and int(failed.group(1)) > 0:
            raise BenchError("pgbench had failed transactions (%s, %s):\n%s" % (name, k, p.stdout))
        done = re.search(r"number of transactions actually processed: (\d+)", p.stdout)
        if counts is not None and done:
            counts["transactions"] = int(done.group(1))
        lats = []
        for fn in os.listdir(logdir):
            with open(os.path.join(logdir, fn)) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3:
                        lats.append(int(parts[2]))
        shutil.rmtree(logdir, ignore_errors=True)
        lats.sort()

        def pct(q):
            if not lats:
                return None
            return lats[min(len(lats) - 1, int(q * len(lats)))] / 1000.0
        return float(m.group(1)), {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)}

    # ------------------------------------------------------------------
    def writes(self, name, kinds, r):
        """COPY copy_rows more rows (random keys, then ascending keys), ROUNDS
        batches each, into every indexed table and the table without index."""
        a = self.admin
        M = self.copy_rows
        res = {"rows": M}
        wk = [k for k in kinds if self.quick or name == "dense" or k in ("learned", "btree")] + ["noidx"]
        res["tables"] = wk
        span = r["max"] - r["min"]
        step = max(1, span // max(1, r["rows"]))
        files = {}
        for rnd in range(ROUNDS):
            a.q("SELECT setseed(%f)" % (0.5 + rnd / 10.0))
            fr = os.path.join(self.work, "copy_random_%d.tsv" % rnd)
            a.q("COPY (SELECT id, id %% 1000 FROM (SELECT (%d::numeric + floor(random() * (%d::numeric + 1)))::int8 AS id"
                " FROM generate_series(1, %d)) s) TO %s" % (r["min"], span, M, lit(fr)))
            files[("random", rnd)] = fr
        # Appends go after the largest key, with the data set's mean gap (or
        # less, to stay in int8); the adversarial set keeps 16 keys at the
        # int8 maximum: there the appends go after the largest key below 2^62.
        INT8MAX = 9223372036854775807
        top = r["max"]
        if INT8MAX - top < ROUNDS * M + 1:
            top = int(a.one("SELECT max(id) FROM t_noidx WHERE id < 4611686018427387904") or r["max"])
        step = max(1, min(step, (INT8MAX - top) // (ROUNDS * M + 1)))
        res["ascending_after"] = top
        res["ascending_step"] = step
        for rnd in range(ROUNDS):
            fa = os.path.join(self.work, "copy_ascending_%d.tsv" % rnd)
            base = top + 1 + rnd * M * step
            a.q("COPY (SELECT %d::int8 + i::int8 * %d, i %% 1000 FROM generate_series(0, %d) i) TO %s"
                % (base, step, M - 1, lit(fa)))
            files[("ascending", rnd)] = fa
        self.copy_rounds(r, files, wk, M, res)
        a = self.admin  # copy_rounds replaces a session a timeout ended
        for f in files.values():
            try:
                os.unlink(f)
            except OSError:
                pass
        for k in kinds:
            b = int(a.one("SELECT pg_relation_size('i_%s')" % k))
            res.setdefault("size_after", {})[k] = {"bytes": b, "pages": b // 8192}
        return res

    def copy_rounds(self, r, files, kinds, M, res, prefix="t_"):
        """The timed COPYs: for random, then ascending keys, ROUNDS batches
        (files[(order, round)], M rows each) into every table prefix+kind,
        learned and btree alternating, each after a CHECKPOINT; rows/s and
        WAL bytes (medians) into res[order][kind].  A COPY that outlasts
        copy_timeout_s is cancelled and that table takes no further batch of
        that order (r["tables_differ"] is set)."""
        a = self.admin
        timedout = set()
        for order in ("random", "ascending"):
            res[order] = {k: {"ms": [], "wal": []} for k in kinds}
            for rnd in range(ROUNDS):
                for k in self.order(kinds, rnd):
                    if k in timedout:
                        continue
                    t = prefix + k
                    a.q("CHECKPOINT")
                    l0 = a.one("SELECT pg_current_wal_insert_lsn()")
                    a.q("SET statement_timeout = '%ds'" % self.copy_timeout_s)
                    try:
                        ms, n = a.q("SELECT * FROM bench_exec(%s)" % lit("COPY %s FROM %s" % (t, lit(files[(order, rnd)]))))[0]
                    except BenchError as e:
                        if "statement timeout" not in str(e):
                            raise
                        # psql stopped (ON_ERROR_STOP): a new session.
                        self.admin = a = Session("admin")
                        log("COPY %s keys into %s cancelled after %d s" % (order, t, self.copy_timeout_s))
                        res[order][k]["timed_out_after_s"] = self.copy_timeout_s
                        r["tables_differ"] = True
                        timedout.add(k)
                        continue
                    a.q("RESET statement_timeout")
                    l1 = a.one("SELECT pg_current_wal_insert_lsn()")
                    wal = int(float(a.one("SELECT pg_wal_lsn_diff('%s', '%s')" % (l1, l0))))
                    if int(n) != M:
                        raise BenchError("COPY into %s loaded %s rows, not %d" % (t, n, M))
                    res[order][k]["ms"].append(float(ms))
                    res[order][k]["wal"].append(wal)
            for k in kinds:
                d = res[order][k]
                if d["ms"]:
                    d["rows_per_s"] = M / (med(d["ms"]) / 1000.0)
                    d["wal_bytes"] = med(d["wal"])
                elif d.get("timed_out_after_s"):
                    d["rows_per_s_below"] = M / float(d["timed_out_after_s"])
            timedout.clear()

    # ------------------------------------------------------------------
    # Unique indexes (issue 12): a unique learned index against a unique
    # btree index, same data, same run.
    # ------------------------------------------------------------------
    def rel_size(self, rel):
        b = int(self.admin.one("SELECT pg_relation_size(%s)" % lit(rel)))
        return {"bytes": b, "pages": b // 8192}

    def drop_unique_tables(self):
        self.admin.q("DROP TABLE IF EXISTS %s CASCADE" % ", ".join(UNIQUE_TABLES))

    def unique_indexes(self, u):
        """Tables u_learned and u_btree hold the same N rows (the even ids
        2, 4, .., 2N, heap in random order), each with a unique index on id
        (ui_learned, ui_btree).  Then: COPY batches of new unique keys into
        both; pgbench upserts on both (where the server allows ON CONFLICT
        with a learned arbiter); and TPC-B-like pgbench on pgbench's own
        schema with the accounts' key a unique index of either kind."""
        a = self.admin
        self._phases = u["phases"] = []
        kinds = ["learned", "btree"]
        N, M = self.N, self.copy_rows
        u["rows"], u["kinds"] = N, kinds
        u["server_version_num"] = int(a.one("SHOW server_version_num"))

        self.phase("load, build")
        self.drop_unique_tables()
        datafile = os.path.join(self.work, "data_unique.bin")
        a.q("COPY (SELECT 2 * i::int8 AS id, (i %% 1000)::int8 AS val FROM generate_series(1, %d) AS i ORDER BY hashint8(i))"
            " TO %s (FORMAT binary)" % (N, lit(datafile)))
        for k in kinds:
            self.load_table(k, datafile, prefix="u_")
        os.unlink(datafile)
        u["build_ms"], u["size"] = {}, {}
        for k in self.order(kinds, 0):
            a.q("CHECKPOINT")
            u["build_ms"][k] = float(a.q("SELECT ms FROM bench_exec('CREATE UNIQUE INDEX ui_%s ON u_%s USING %s (id)')"
                                         % (k, k, k))[0][0])
            u["size"][k] = self.rel_size("ui_" + k)
        # The checks' probes: ids uniform in [1, 2N], present and absent.
        a.q("SELECT setseed(0.29)")
        a.q("CREATE UNLOGGED TABLE u_probes AS SELECT (1 + floor(random() * %d))::int8 AS k"
            " FROM generate_series(1, %d)" % (2 * N, self.pages_probes))
        a.q("VACUUM ANALYZE u_probes")

        self.phase("COPY")
        # Random: odd ids (none is in the table), one seeded shuffle of them
        # cut into ROUNDS disjoint batches; ascending: the ids after every
        # id so far, one apart, as a sequence hands them out.
        span = max(N, ROUNDS * M)
        a.q("SET work_mem = '1GB'")
        a.q("CREATE UNLOGGED TABLE u_copy_keys AS SELECT n, id FROM"
            " (SELECT row_number() OVER (ORDER BY hashint8extended(j, 41), j) - 1 AS n, 2 * j + 1 AS id"
            "  FROM generate_series(0::int8, %d) AS j) AS s WHERE n < %d" % (span - 1, ROUNDS * M))
        a.q("RESET work_mem")
        files = {}
        top = 2 * span
        for rnd in range(ROUNDS):
            fr = os.path.join(self.work, "copy_unique_random_%d.tsv" % rnd)
            a.q("COPY (SELECT id, id %% 1000 FROM u_copy_keys WHERE n >= %d AND n < %d ORDER BY n) TO %s"
                % (rnd * M, (rnd + 1) * M, lit(fr)))
            files[("random", rnd)] = fr
            fa = os.path.join(self.work, "copy_unique_ascending_%d.tsv" % rnd)
            a.q("COPY (SELECT i, i %% 1000 FROM generate_series(%d::int8, %d) AS i) TO %s"
                % (top + 1 + rnd * M, top + (rnd + 1) * M, lit(fa)))
            files[("ascending", rnd)] = fa
        a.q("DROP TABLE u_copy_keys")
        u["copy"] = {"rows": M}
        self.copy_rounds(u, files, kinds, M, u["copy"], prefix="u_")
        a = self.admin  # copy_rounds replaces a session a timeout ended
        for f in files.values():
            os.unlink(f)
        u["size_copy"] = {k: self.rel_size("ui_" + k) for k in kinds}
        for k in kinds:
            a.q("VACUUM ANALYZE u_%s" % k)
        self.unique_check(u, kinds, "after the COPYs", same=not u.get("tables_differ"))
        self.check_learned(u, "after the COPYs", heapallindexed=self.quick, idx="ui_learned")

        self.phase("upsert")
        u["upsert"] = self.upsert(u, kinds)

        self.phase("TPC-B")
        u["tpcb"] = self.tpcb(u)
        self.phase("drop")
        self.drop_unique_tables()
        self.admin.q("CHECKPOINT")
        self.phase(None)

    def unique_check(self, u, kinds, when, same):
        """No key twice, and each unique index answers as a seq scan of its
        table: all rows through an index-only scan of the whole key span, and
        the probes of u_probes (present and absent ids) through a nested
        loop.  same: both tables must also hold the same rows."""
        s = Session("check")
        seq = {}
        for k in kinds:
            s.q("RESET ALL; SET max_parallel_workers_per_gather = 0;"
                " SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off")
            rows, distinct, h = s.q("SELECT count(*), count(DISTINCT id), coalesce(sum(id %% 7919), 0) FROM u_%s" % k)[0]
            if rows != distinct:
                self.failed(u, "u_%s %s: %s rows but %s distinct ids under a unique index" % (k, when, rows, distinct))
            probes = s.one("SELECT count(*) || ':' || coalesce(sum(t.val), 0) FROM u_probes p JOIN u_%s t ON t.id = p.k" % k)
            seq[k] = (rows + ":" + h, probes)
            s.q("RESET ALL; SET max_parallel_workers_per_gather = 0; SET enable_seqscan = off; SET enable_bitmapscan = off;"
                " SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off")
            for q, want in (("SELECT count(*) || ':' || coalesce(sum(id %% 7919), 0) FROM u_%s"
                             " WHERE id >= '-9223372036854775808'::int8" % k, seq[k][0]),
                            ("SELECT count(*) || ':' || coalesce(sum(t.val), 0) FROM u_probes p JOIN u_%s t ON t.id = p.k" % k,
                             seq[k][1])):
                got = s.one(q)
                if got != want:
                    plan = " / ".join(x[0].strip() for x in s.q("EXPLAIN (COSTS OFF) " + q))
                    self.failed(u, "WRONG RESULT (unique, %s, ui_%s): %s gives %s, the seq scan %s; plan: %s"
                                % (when, k, q, got, want, plan))
        s.close()
        if same and len(set(seq.values())) > 1:
            self.failed(u, "unique %s: the tables differ: %s" % (when, seq))
        u.setdefault("checks", []).append(
            "%s: no id twice (count = count(DISTINCT id), seq scan); every unique index answers a scan of all its rows "
            "and %s probes as the seq scan does%s" % (when, fmt_int(self.pages_probes), "; both tables hold the same rows" if same else ""))

    def upsert(self, u, kinds):
        """pgbench INSERT ... ON CONFLICT (id) DO UPDATE on random ids, 1 and
        2 clients.  PostgreSQL 15 to 17 refuse ON CONFLICT on a table with a
        non-btree unique index (README "Unique indexes"): there the row says
        so and nothing is timed; 18 must accept it."""
        a = self.admin
        N = u["rows"]
        res = {"script": "pgbench_upsert.sql", "nkeys": 2 * N}
        refused = {}
        for k in kinds:
            err = a.one("BEGIN; SELECT bench_try(%s); ROLLBACK"
                        % lit("INSERT INTO u_%s (id, val) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET val = u_%s.val" % (k, k)))
            if not err:
                continue
            if k == "learned" and err.startswith("XX000: unexpected non-btree speculative unique index") \
                    and u["server_version_num"] < 180000:
                refused[k] = err
                log("upsert: refused by the server on the learned unique index (%s)" % err)
            else:
                self.failed(u, "INSERT ... ON CONFLICT on u_%s: %s" % (k, err))
                refused[k] = err
        if refused:
            res["refused"] = refused
            return res
        with open(os.path.join(self.args.bench_dir, res["script"])) as f:
            template = f.read()
        for k in kinds:
            with open(os.path.join(self.work, "pgb_upsert_%s.sql" % k), "w") as f:
                f.write(template.replace("@TABLE@", "u_" + k))
        for clients in (1, 2):
            key = "c%d" % clients
            res[key] = {k: {"tps": [], "p50": [], "p95": [], "p99": []} for k in kinds}
            for rnd in range(ROUNDS):
                for k in self.order(kinds, rnd):
                    tps, lat = self.pgbench_once("upsert", k, clients, 2 * N, seed=4242 + 10 * rnd + clients)
                    res[key][k]["tps"].append(tps)
                    for p in ("p50", "p95", "p99"):
                        res[key][k][p].append(lat[p])
            for k in kinds:
                d = res[key][k]
                d["tps_med"] = med(d["tps"])
                for p in ("p50", "p95", "p99"):
                    d[p + "_med"] = med(d[p])
        res["size_after"] = {k: self.rel_size("ui_" + k) for k in kinds}
        # With a fixed number of transactions (-t) and the same seed both
        # tables took the same upserts (their order does not change the
        # result: each adds 1 to val), so they must hold the same rows.
        self.unique_check(u, kinds, "after the upserts", same=self.pgb[0] == "-t" and not u.get("tables_differ"))
        self.check_learned(u, "after the upserts", heapallindexed=self.quick, idx="ui_learned")
        return res

    def tpcb(self, u):
        """pgbench's built-in TPC-B-like script for tpcb_seconds on pgbench's
        schema (pgbench -i at tpcb_scale), once with the accounts keyed by a
        unique learned index on aid and once by a unique btree index, each
        on a fresh pgbench -i (the same rows): the index's size at the start
        and the end, and index pages per lookup (pg_statio, as for the data
        sets) at the start and the end."""
        a = self.admin
        S, T, C = self.tpcb_scale, self.tpcb_seconds, self.tpcb_clients
        accounts = 100000 * S
        res = {"scale": S, "seconds": T, "clients": C, "accounts": accounts, "nonhot": self.tpcb_nonhot}
        a.q("SELECT setseed(0.37)")
        a.q("CREATE UNLOGGED TABLE tpcb_probes AS SELECT (1 + floor(random() * %d))::int4 AS k"
            " FROM generate_series(1, %d)" % (accounts, self.pages_probes))
        a.q("VACUUM ANALYZE tpcb_probes")
        for k in ("learned", "btree"):
            idx = "accounts_" + k
            d = res[k] = {"index": idx}
            # pgbench -i without its primary-key step: the branches' and
            # tellers' primary keys as pgbench makes them, the accounts' a
            # unique index of the kind measured.
            p = subprocess.run(["pgbench", "-i", "-s", str(S), "-I", "dtGv"], capture_output=True, text=True)
            if p.returncode != 0:
                raise BenchError("pgbench -i failed:\n%s\n%s" % (p.stdout[-2000:], p.stderr[-2000:]))
            a.q("ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)")
            a.q("ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)")
            a.q("CREATE UNIQUE INDEX %s ON pgbench_accounts USING %s (aid)" % (idx, k))
            if self.tpcb_nonhot:
                a.q("CREATE INDEX accounts_abalance ON pgbench_accounts (abalance)")
            a.q("VACUUM ANALYZE pgbench_accounts")
            d["size_start"] = self.rel_size(idx)
            # The script's UPDATE must find its account through the index
            # with no setting changed, or the run measures a seq scan.
            want = ["Index Scan using %s" % idx]
            ok, plan = self.plan_ok(a, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1", want)
            if not ok:
                self.plan_note(u, "TPC-B UPDATE of an account", k, want, plan)
            d["pages_start"] = self.tpcb_pages(u, k, idx, "at the start")
            a.q("CHECKPOINT")
            counts = {}
            tps, lat = self.pgbench_once("tpcb", k, C, 0, seed=4242, run=("-T", str(T)),
                                         script=["-b", "tpcb-like"], counts=counts)
            d["tps"], d["latency"], d["transactions"] = tps, lat, counts.get("transactions")
            d["size_end"] = self.rel_size(idx)
            d["heap_end"] = self.rel_size("pgbench_accounts")
            if k == "learned" and self.has_info_fn:
                d["info_end"] = self.info_row(idx)
            d["pages_end"] = self.tpcb_pages(u, k, idx, "at the end")
            # TPC-B's invariant: every transaction adds its delta to one
            # account, teller and branch and logs it in the history.
            sums = a.q("SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers),"
                       " (SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history),"
                       " (SELECT count(*) FROM pgbench_accounts), (SELECT count(DISTINCT aid) FROM pgbench_accounts)")[0]
            if len(set(sums[:4])) != 1 or sums[4] != sums[5] or int(sums[4]) != accounts:
                self.failed(u, "TPC-B with %s: balances of accounts, tellers, branches, history %s; %s accounts, "
                               "%s distinct aids, expected %d" % (idx, " / ".join(sums[:4]), sums[4], sums[5], accounts))
            if k == "learned":
                self.check_learned(u, "after TPC-B", heapallindexed=self.quick, idx=idx)
        u.setdefault("checks", []).append(
            "TPC-B, each index: the balances of accounts, tellers, branches and history agree, every aid is there "
            "once, and the %s probed aids are found once each through the index, at the start and the end"
            % fmt_int(self.pages_probes))
        return res

    def tpcb_pages(self, u, k, idx, when):
        """Index pages per lookup of an aid (pg_statio, warm), through a
        nested loop over tpcb_probes; each probe must find its account once."""
        s = Session("tpcb-" + k)
        s.q(MEASURE_SETTINGS)
        n = int(s.one("SELECT count(*) FROM tpcb_probes"))
        q = "SELECT count(*) FROM tpcb_probes p JOIN pgbench_accounts a ON a.aid = p.k"
        want = ["Nested Loop", "using %s" % idx]
        ok, plan = self.plan_ok(s, q, want)
        if not ok:
            self.plan_note(u, "TPC-B lookups %s" % when, k, want, plan)
            s.close()
            return None
        got = s.q("SELECT * FROM bench_run(%s)" % lit(q))[0][1]  # warm
        if int(got) != n:
            self.failed(u, "WRONG RESULT (TPC-B %s, %s): %s of %d probed aids found" % (when, idx, got, n))
        pages = self.count_pages(s, idx, q)
        s.close()
        return pages / n

    # ------------------------------------------------------------------
    def cdf_sample(self, name, r, keys, fracs):
        """The key CDF: the keys at evenly spaced fractions of the rows."""
        self._cdf = list(zip(keys, fracs))
        path = os.path.join(self.work, "cdf_%s.dat" % name)
        with open(path, "w") as f:
            for key, frac in self._cdf:
                f.write("%d %.9f\n" % (key, frac))
        r["cdf_file"] = path

    def absent_probes(self, r):
        """P2 absent keys: where the data is (a present key + 1), then
        uniform in [min, max], then beyond max (the dense set has no gap at
        all); in random order.  Absent is checked through the btree index
        just built (a merge or nested-loop anti-join over 2 P2 candidates),
        not by hashing against a scan of the whole table."""
        a = self.admin
        P2 = self.P2
        a.q("SELECT setseed(0.19)")
        a.q("SET work_mem = '1GB'; SET enable_hashjoin = off; SET enable_seqscan = off; SET enable_bitmapscan = off")
        a.q("""CREATE UNLOGGED TABLE probes_absent AS
            WITH c AS MATERIALIZED (
                SELECT k + 1 AS k, 0 AS prio FROM (SELECT k FROM probes_present LIMIT %(P)d) AS p
                WHERE k < 9223372036854775807
                UNION ALL
                SELECT (%(mn)d::numeric + floor(random() * (%(mx)d::numeric - %(mn)d + 1)))::int8, 1
                FROM generate_series(1, %(P)d))
            SELECT k FROM (SELECT DISTINCT ON (k) k, prio FROM c
                           WHERE NOT EXISTS (SELECT 1 FROM t_btree t WHERE t.id = c.k)
                           ORDER BY k, prio) AS d
            ORDER BY prio, random() LIMIT %(P)d""" % {"mn": r["min"], "mx": r["max"], "P": P2})
        a.q("RESET work_mem; RESET enable_hashjoin; RESET enable_seqscan; RESET enable_bitmapscan")
        have = int(a.one("SELECT count(*) FROM probes_absent"))
        if have < P2 and r["max"] < 9223372036854775807 - P2:
            a.q("INSERT INTO probes_absent SELECT %d + i FROM generate_series(1, %d) AS i" % (r["max"], P2 - have))
            a.q("CREATE UNLOGGED TABLE probes_absent2 AS SELECT k FROM probes_absent ORDER BY random()")
            a.q("DROP TABLE probes_absent; ALTER TABLE probes_absent2 RENAME TO probes_absent")
        r["absent_beyond_max"] = int(a.one("SELECT count(*) FROM probes_absent WHERE k > %d" % r["max"]))
        a.q("CREATE UNLOGGED TABLE probes_small_absent AS SELECT k FROM probes_absent LIMIT %d" % self.pages_probes)

    def range_sets(self, r):
        """Range sets of about W rows each: lo the key of a row sampled
        uniformly (seeded), hi the key W entries after lo's first entry in key
        order, read through the btree index just built; with duplicates a
        range can hold a little fewer than W rows."""
        a = self.admin
        N = r["rows"]
        widths = [("r100", 100), ("r10k", 10000), ("r1pct", max(N // 100, 1))]
        r["range_widths"] = {}
        a.q("SELECT setseed(0.23)")
        a.q("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        for i, (rname, W) in enumerate(widths):
            W = min(W, N - 1)
            # K ranges for the index-only runs, the first K_index of them for
            # the index scans.
            K = max(3, self.range_rows // W)
            K_index = min(K, max(3, self.range_rows_index // W))
            r["range_widths"][rname] = {"rows": W, "ranges": K, "ranges_index": K_index}
            # A lo in the last W rows has no hi: draw more than K.
            draw = 2 * K + 5
            a.q("CREATE UNLOGGED TABLE ranges_%s AS SELECT p.k AS lo, h.id AS hi FROM"
                " (SELECT id AS k FROM t_noidx TABLESAMPLE BERNOULLI (%f) REPEATABLE (%d) ORDER BY random() LIMIT %d) AS p"
                " CROSS JOIN LATERAL (SELECT id FROM t_btree WHERE id >= p.k ORDER BY id OFFSET %d LIMIT 1) AS h"
                " LIMIT %d" % (rname, min(100.0, 100.0 * 1.5 * draw / max(1, N)), 23 + i, draw, W, K))
            got = int(a.one("SELECT count(*) FROM ranges_%s" % rname))
            if got < K:
                raise BenchError("range set %s: %d ranges of %d rows, not %d" % (rname, got, W, K))
        a.q("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")
        for rname, _ in widths:
            a.q("VACUUM ANALYZE ranges_%s" % rname)

    def model_chart_data(self, name, r):
        """The model as the index holds it, from learned_index_model(): per
        record its first key, leaf pages, fit and error bounds.  Columns are
        read by name, so columns added later do not matter; without the ones
        needed the chart shows the key CDF only and RESULTS.md says why.
        Lookups route a key to the last record whose first key is below it
        (whatever the root's kind), so the fit is drawn without the root."""
        r["model_source"] = None
        if not self.has_model_fn:
            r["model_error"] = "the extension has no learned_index_model()"
            return
        recs = [json.loads(x[0]) for x in
                self.admin.q("SELECT row_to_json(m) FROM learned_index_model('i_learned') AS m")]
        need = ["first_key", "pages", "slope", "intercept", "err_lo", "err_hi"]
        missing = [c for c in need if recs and c not in recs[0]]
        if not recs or missing:
            r["model_error"] = ("learned_index_model() returned no records" if not recs else
                                "learned_index_model() has no column %s" % ", ".join(missing))
            return
        recs.sort(key=lambda x: int(x["first_key"]))
        starts, total = [], 0
        for rec in recs:
            starts.append(total)
            total += int(rec["pages"])
        if total == 0:
            r["model_error"] = "learned_index_model() lists no leaf pages"
            return
        first_keys = [int(x["first_key"]) for x in recs]
        fitf = os.path.join(self.work, "fit_%s.dat" % name)
        errf = os.path.join(self.work, "err_%s.dat" % name)
        with open(fitf, "w") as f:
            # key, fraction of keys below it, model's leaf page for it as a
            # fraction of the leaf pages (page centre), that page, its record
            for key, frac in self._cdf:
                j = max(0, bisect.bisect_left(first_keys, key) - 1)
                page = starts[j] + seg_predict(recs[j], key)
                f.write("%d %.9f %.9f %d %d\n" % (key, frac, (page + 0.5) / total, page, j))
        with open(errf, "w") as f:
            # record, err_lo, err_hi, leaf pages, first key
            for j, rec in enumerate(recs):
                f.write("%d %d %d %d %d\n" % (j, int(rec["err_lo"]), int(rec["err_hi"]), int(rec["pages"]),
                                              int(rec["first_key"])))
        r["model_source"] = "learned_index_model"
        r["fit_file"], r["err_file"] = fitf, errf
        r["model_records"] = len(recs)
        r["model_leaf_pages"] = total
        r["model_max_err"] = max(int(x["err_lo"]) + int(x["err_hi"]) for x in recs)

    # ------------------------------------------------------------------
    def report(self):
        from report import write_report  # bench/report.py
        write_report(self.results, self.out, self.charts, self.work)


class Scale(Bench):
    """--mode scale (issue 13; not run by CI): learned against btree on
    BENCH_SCALE_ROWS rows (100M) of the sparse and timestamps data sets, in
    the same run: CREATE INDEX with 0 and 2 workers, size, index pages per
    lookup (warm, and over a fresh session's first 100 lookups), index-only
    probe ns, a 1% range aggregate with 0 and 2 workers, and the learned
    backend's cached_bytes.  Then, on every other data set of the full mode
    (BENCH_SCALE_PAGES_SETS; "none" skips them), the learned index alone at
    the same size: its pages per lookup, warm and in a fresh session, and
    its build.  Writes results-scale.json and RESULTS-scale.md into --out
    (report.py's write_scale_report)."""

    SETS = ("sparse", "timestamps")
    PAGES_SETS = ("dense", "lognormal", "clustered", "adversarial")
    KINDS = ("learned", "btree")
    COLD_LOOKUPS = 100

    def __init__(self, args):
        super().__init__(args)
        self.N = int(os.environ.get("BENCH_SCALE_ROWS", 100000000))
        self.P = int(os.environ.get("BENCH_SCALE_PROBES", 1000000))
        self.pages_probes = min(10000, self.P)
        # CREATE INDEX with each of these max_parallel_maintenance_workers.
        self.build_workers = [int(w) for w in os.environ.get("BENCH_SCALE_BUILD_WORKERS", "0,1,2").split(",")]
        self.datasets = [d for d in DATASETS if d[0] in self.SETS]
        pages_sets = os.environ.get("BENCH_SCALE_PAGES_SETS", ",".join(self.PAGES_SETS)).split(",")
        self.pages_datasets = [d for d in DATASETS if d[0] in pages_sets and d[0] not in self.SETS]
        self.results = {"datasets": {}, "notes": [], "order": [d[0] for d in self.datasets], "scale": True,
                        "pages_only": {}, "pages_order": [d[0] for d in self.pages_datasets]}

    def run(self):
        self.setup()
        self.results["setup_seconds"] = round(time.time() - self.t_start, 1)
        a = self.admin
        self.results["env"]["rows"] = self.N
        self.results["env"]["probes"] = self.P
        self.results["env"].pop("probes_other", None)
        self.results["build_workers"] = self.build_workers
        self.results["env"]["server_num"] = int(a.one("SHOW server_version_num"))
        for name in ("max_worker_processes", "max_parallel_workers"):
            self.results["env"]["settings"][name] = a.one("SHOW %s" % name)
        # Parallel CREATE INDEX of an index access method other than btree
        # (amcanbuildparallel) exists from PostgreSQL 17 on.
        self.parallel_build = {"btree": True, "learned": self.results["env"]["server_num"] >= 170000}
        self.results["parallel_build"] = self.parallel_build
        for name, desc, gen in self.datasets:
            t0 = time.time()
            log("scale: data set %s (%d rows)" % (name, self.N))
            r = self.results["datasets"][name] = {"description": desc}
            self.scale_dataset(name, gen, r)
            r["seconds"] = round(time.time() - t0, 1)
            log("scale: data set %s done in %.0f s" % (name, r["seconds"]))
            self.save_json()
        for name, desc, gen in self.pages_datasets:
            t0 = time.time()
            log("scale: data set %s, learned pages only (%d rows)" % (name, self.N))
            r = self.results["pages_only"][name] = {"description": desc}
            self.pages_dataset(name, gen, r)
            r["seconds"] = round(time.time() - t0, 1)
            log("scale: data set %s done in %.0f s" % (name, r["seconds"]))
            self.save_json()
        self.results["total_seconds"] = round(time.time() - self.t_start, 1)
        self.save_json()
        from report import write_scale_report  # bench/report.py
        write_scale_report(self.results, self.out)
        a.close()
        if self.results.get("failures"):
            raise BenchError("%d failure(s):\n" % len(self.results["failures"]) + "\n".join(self.results["failures"]))

    def save_json(self):
        with open(os.path.join(self.out, "results-scale.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)

    def scale_load(self, name, gen, kinds, probes, r):
        """Generate the data set into a file and load a table per index kind
        (t_<kind>, parallel_workers = 2 on each: the same workers for every
        parallel build), then probes present keys sampled from the table
        (probes_present) and the first pages_probes of them
        (probes_small_present)."""
        a = self.admin
        a.q("DROP TABLE IF EXISTS %s, probes_present, probes_small_present CASCADE"
            % ", ".join("t_" + k for k in kinds))
        a.q("SET work_mem = '1GB'")
        a.q("SELECT setseed(0.4242)")
        datafile = os.path.join(self.work, "data_%s.bin" % name)
        a.q("COPY (SELECT id, id %% 1000 AS val FROM (%s) AS g) TO %s (FORMAT binary)"
            % (gen.format(N=self.N, G=max(self.N // 1000, 10)), lit(datafile)))
        for k in kinds:
            self.load_table(k, datafile)
            a.q("ALTER TABLE t_%s SET (parallel_workers = 2)" % k)
        os.unlink(datafile)
        t = "t_" + kinds[-1]
        r["rows"] = int(a.one("SELECT reltuples::int8 FROM pg_class WHERE oid = '%s'::regclass" % t))
        r["heap_pages"] = int(a.one("SELECT pg_relation_size('%s') / current_setting('block_size')::int" % t))
        a.q("SELECT setseed(0.17)")
        a.q("CREATE UNLOGGED TABLE probes_present AS SELECT id AS k FROM %s"
            " TABLESAMPLE BERNOULLI (%f) REPEATABLE (17) ORDER BY random() LIMIT %d"
            % (t, min(100.0, 100.0 * 1.2 * probes / max(1, r["rows"])), probes))
        a.q("CREATE UNLOGGED TABLE probes_small_present AS SELECT k FROM probes_present LIMIT %d" % self.pages_probes)
        a.q("VACUUM ANALYZE probes_present; VACUUM ANALYZE probes_small_present")
        a.q("RESET work_mem")

    def scale_dataset(self, name, gen, r):
        a = self.admin
        self._phases = r["phases"] = []
        self.phase("generate, load")
        self.scale_load(name, gen, self.KINDS, self.P, r)

        self.phase("create index")
        r["build_ms"] = {}
        for rnd, workers in enumerate(self.build_workers):
            for k in self.order(self.KINDS, rnd):
                if workers and not self.parallel_build[k]:
                    continue  # the report says "not supported by the server"
                a.q("DROP INDEX IF EXISTS i_%s" % k)
                a.q("CHECKPOINT")
                a.q("SET max_parallel_maintenance_workers = %d" % workers)
                ms = float(a.q("SELECT ms FROM bench_exec('CREATE INDEX i_%s ON t_%s USING %s (id)')"
                               % (k, k, k))[0][0])
                a.q("RESET max_parallel_maintenance_workers")
                r["build_ms"]["%s_%d" % (k, workers)] = ms
        r["size"] = {k: int(a.one("SELECT pg_relation_size('i_%s')" % k)) for k in self.KINDS}
        if self.has_info_fn:
            r["info_build"] = self.info_row("i_learned")
        self.check_learned(r, "after build", heapallindexed=False)

        self.phase("probes, pages")
        self.scale_lookups(r)
        self.phase("cold sessions")
        self.cold_lookups(r)
        self.phase("1% range aggregate")
        self.range_aggregate(r)
        self.phase("drop")
        a.q("DROP TABLE t_learned, t_btree, probes_present, probes_small_present")
        a.q("CHECKPOINT")
        self.phase(None)

    def pages_dataset(self, name, gen, r):
        """The learned index alone on a data set at the scale size: CREATE
        INDEX (serial), size, warm index pages per lookup over the small
        probe set (whose answer is checked against a sequential scan), and a
        fresh session's first lookups."""
        a = self.admin
        self._phases = r["phases"] = []
        self.phase("generate, load")
        self.scale_load(name, gen, ("learned",), self.pages_probes, r)

        self.phase("create index")
        a.q("CHECKPOINT")
        a.q("SET max_parallel_maintenance_workers = 0")
        r["build_ms"] = float(a.q("SELECT ms FROM bench_exec('CREATE INDEX i_learned ON t_learned USING learned (id)')")[0][0])
        a.q("RESET max_parallel_maintenance_workers")
        r["size"] = int(a.one("SELECT pg_relation_size('i_learned')"))
        if self.has_info_fn:
            r["info_build"] = self.info_row("i_learned")
        self.check_learned(r, "after build", heapallindexed=False)

        self.phase("probes, pages")
        self.prewarm(["i_learned"])
        s = Session("pages-learned")
        s.q(MEASURE_SETTINGS)
        q = "SELECT count(*) FROM probes_small_present p JOIN t_learned t ON t.id = p.k"
        ok, plan = self.plan_ok(s, q, ["Nested Loop", "Index Only Scan using i_learned"])
        if not ok:
            self.failed(r, "probes on learned: not a nested-loop index-only scan: %s" % plan)
            s.close()
            return
        got = s.one(q)
        s.q("SELECT bench_run(%s)" % lit(q))  # warm
        n = int(a.one("SELECT count(*) FROM probes_small_present"))
        r["pages_warm"] = self.count_pages(s, "i_learned", q) / n
        if self.has_info_fn:
            info = json.loads(s.one("SELECT row_to_json(i) FROM learned_index_info('i_learned') AS i"))
            r["cached_bytes"] = info.get("cached_bytes")
        s.close()
        ref = Session("pages-ref")
        ref.q("SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;"
              " SET max_parallel_workers_per_gather = 0")
        want = ref.one(q)
        ref.close()
        if got != want:
            self.failed(r, "WRONG RESULT (probes): learned finds %s rows, a sequential scan %s" % (got, want))
        self.phase("cold sessions")
        self.cold_lookups(r, kinds=("learned",))
        self.phase("drop")
        a.q("DROP TABLE t_learned, probes_present, probes_small_present")
        a.q("CHECKPOINT")
        self.phase(None)

    def scale_lookups(self, r):
        """Index-only probe ns (median of ROUNDS runs, learned and btree
        alternating), warm index pages per lookup (pg_statio, as the full
        mode counts them), and the learned backend's cached_bytes."""
        self.prewarm(["i_" + k for k in self.KINDS])
        sess = {k: Session("scale-" + k) for k in self.KINDS}
        q = {}
        for k, s in sess.items():
            s.q(MEASURE_SETTINGS)
            q[k] = "SELECT count(*) FROM {p} p JOIN t_%s t ON t.id = p.k" % k
            ok, plan = self.plan_ok(s, q[k].format(p="probes_present"), ["Nested Loop", "Index Only Scan using i_" + k])
            if not ok:
                self.failed(r, "probes on %s: not a nested-loop index-only scan: %s" % (k, plan))
                return
            s.q("SELECT bench_run(%s)" % lit(q[k].format(p="probes_small_present")))  # warm
        times = {k: [] for k in self.KINDS}
        answers = {}
        for rnd in range(ROUNDS):
            for k in self.order(self.KINDS, rnd):
                ms, res = sess[k].q("SELECT * FROM bench_run(%s)" % lit(q[k].format(p="probes_present")))[0]
                times[k].append(float(ms) * 1e6 / self.P)
                answers.setdefault(k, res)
        if answers["learned"] != answers["btree"]:
            self.failed(r, "WRONG RESULT (probes): learned finds %s rows, btree %s"
                        % (answers["learned"], answers["btree"]))
        r["probes"] = self.P
        r["probe_ns"] = {k: {"ns": med(times[k]), "runs": times[k]} for k in self.KINDS}
        n = int(self.admin.one("SELECT count(*) FROM probes_small_present"))
        r["pages_warm"] = {k: self.count_pages(sess[k], "i_" + k, q[k].format(p="probes_small_present")) / n
                           for k in self.KINDS}
        if self.has_info_fn:
            info = json.loads(sess["learned"].one("SELECT row_to_json(i) FROM learned_index_info('i_learned') AS i"))
            r["cached_bytes"] = info.get("cached_bytes")
        for s in sess.values():
            s.close()

    def cold_lookups(self, r, kinds=KINDS):
        """A new session per index runs COLD_LOOKUPS single-row index-only
        lookups of random present keys, one query each, under EXPLAIN
        (ANALYZE, BUFFERS).  Counted per lookup: the scan node's shared hits
        + reads (what the issue measured: it includes the visibility-map
        page and any heap page fetched), and the index's own pages from
        pg_statio_user_indexes (planning included, no visibility-map page)."""
        a = self.admin
        a.q("SELECT setseed(0.5)")
        keys = [row[0] for row in a.q("SELECT k FROM (SELECT k FROM probes_present LIMIT %d) s ORDER BY random()"
                                      % self.COLD_LOOKUPS)]
        r["cold"] = {}
        for k in kinds:
            a.q("SELECT pg_stat_reset_single_table_counters('i_%s'::regclass)" % k)
            s = Session("cold-" + k)
            s.q(MEASURE_SETTINGS)
            node, vm_heap, statio = [], [], []
            for i, key in enumerate(keys):
                plan = json.loads("\n".join(x[0] for x in s.q(
                    "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) SELECT id FROM t_%s WHERE id = %s" % (k, key))))
                scan = plan[0]["Plan"]
                while scan.get("Node Type") != "Index Only Scan" and scan.get("Plans"):
                    scan = scan["Plans"][0]
                if scan.get("Node Type") != "Index Only Scan" or scan.get("Actual Rows", 0) < 1:
                    self.failed(r, "cold lookup of %s on %s: not an index-only scan finding the row: %s"
                                % (key, k, json.dumps(scan)[:400]))
                    break
                node.append(int(scan["Shared Hit Blocks"]) + int(scan["Shared Read Blocks"]))
                # The visibility-map page (one per lookup: every heap page is
                # all-visible) and the heap pages fetched.
                vm_heap.append(1 + int(scan.get("Heap Fetches", 0)))
                if i == 0 or i == len(keys) - 1:
                    statio.append(self.own_index_pages(s, "i_" + k))
            s.close()
            if len(statio) < 2:
                continue
            n = len(node)
            r["cold"][k] = {
                "lookups": n,
                "node_first": node[0], "node_avg": sum(node) / n,
                "node_minus_vm_first": node[0] - vm_heap[0], "node_minus_vm_avg": (sum(node) - sum(vm_heap)) / n,
                "heap_fetches": sum(vm_heap) - n,
                "statio_first": statio[0], "statio_avg": statio[1] / n,
            }

    def range_aggregate(self, r):
        """count(*) and sum(id) over 1% of the rows (a key range from the
        40th to the 41st percentile), index-only, with 0 and 2 workers; ms
        per query, median of ROUNDS runs.  The answer is checked against a
        sequential scan."""
        a = self.admin
        a.q("SET enable_seqscan = off; SET enable_bitmapscan = off; SET max_parallel_workers_per_gather = 0")
        lo = a.one("SELECT id FROM t_btree ORDER BY id OFFSET %d LIMIT 1" % (r["rows"] * 40 // 100))
        hi = a.one("SELECT id FROM t_btree ORDER BY id OFFSET %d LIMIT 1" % (r["rows"] * 41 // 100))
        a.q("RESET enable_seqscan; RESET enable_bitmapscan; RESET max_parallel_workers_per_gather")
        qt = "SELECT count(*) || ':' || sum(id) FROM t_%%s WHERE id >= %s AND id < %s" % (lo, hi)
        s = Session("range-ref")
        s.q("SET max_parallel_workers_per_gather = 0; SET enable_indexscan = off; SET enable_indexonlyscan = off;"
            " SET enable_bitmapscan = off")
        want = s.one(qt % "learned")
        s.close()
        r["range"] = {"lo": lo, "hi": hi, "rows": int(want.split(":")[0]), "forced": {}, "workers_launched": {}}
        self.prewarm(["i_" + k for k in self.KINDS])
        for workers in (0, 2):
            sess = {}
            for k in self.KINDS:
                s = sess[k] = Session("range-%s-%d" % (k, workers))
                s.q(MEASURE_SETTINGS)
                s.q("SET max_parallel_workers_per_gather = %d" % workers)
                wanted = ["Index Only Scan using i_" + k] + (["Parallel Index Only Scan", "Workers Planned: %d" % workers]
                                                             if workers else [])
                ok, plan = self.plan_ok(s, qt % k, wanted)
                forced = False
                if not ok and workers:
                    # The planner prefers fewer workers at this size: force them.
                    s.q("SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
                        " SET min_parallel_index_scan_size = 0; SET min_parallel_table_scan_size = 0")
                    forced = True
                    ok, plan = self.plan_ok(s, qt % k, wanted)
                if not ok:
                    self.failed(r, "range aggregate on %s, %d workers: the plan is not %s: %s"
                                % (k, workers, " + ".join(wanted), plan))
                    return
                r["range"]["forced"]["%s_%d" % (k, workers)] = forced
                if workers:
                    ex = "\n".join(x[0] for x in s.q("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + qt % k))
                    m = re.search(r"Workers Launched: (\d+)", ex)
                    r["range"]["workers_launched"]["%s_%d" % (k, workers)] = int(m.group(1)) if m else 0
                s.q("SELECT bench_run(%s)" % lit(qt % k))  # warm
            times = {k: [] for k in self.KINDS}
            for rnd in range(ROUNDS):
                for k in self.order(self.KINDS, rnd):
                    ms, res = sess[k].q("SELECT * FROM bench_run(%s)" % lit(qt % k))[0]
                    times[k].append(float(ms))
                    if res != want:
                        self.failed(r, "WRONG RESULT (1%% range, %s, %d workers): %s, seq scan says %s"
                                    % (k, workers, res, want))
            for k, s in sess.items():
                r["range"]["%s_%d" % (k, workers)] = {"ms": med(times[k]), "runs": times[k]}
                s.close()


# --------------------------------------------------------------------------
# --growth (issue 13): an index built small that grows by inserts.
# --------------------------------------------------------------------------
# The growth runs: (name, description, column type, key generator).  A
# generator returns the SELECT of rows lo..hi (1-based, inclusive) as
# (id, val); prev is the largest key so far in its int8 form (timestamps:
# microseconds since the Unix epoch), or None before the first batch.
TS_BASE = 1700000000000000  # the timestamps data set's origin, us since 1970


def growth_ascending(lo, hi, prev):
    return "SELECT i::int8 AS id, i % 1000 AS val FROM generate_series({0}, {1}) AS i".format(lo, hi)


def growth_timestamps(lo, hi, prev):
    # The timestamps data set's gaps (0-40 us inside bursts, 1 s to 10 min
    # between them, 1 gap in 2000), continued from the largest key so far.
    return ("SELECT timestamptz 'epoch' + x::float8 * interval '1 microsecond' AS id, x % 1000 AS val FROM ("
            " SELECT ({0} + sum(g) OVER (ORDER BY i))::int8 AS x FROM ("
            "  SELECT i, CASE WHEN random() < 0.0005 THEN (1e6 + random() * 600e6)::int8"
            "                 ELSE (random() * random() * 40)::int8 END AS g"
            "  FROM generate_series({1}, {2}) AS i) AS s) AS s2").format(TS_BASE if prev is None else prev, lo, hi)


def growth_random(lo, hi, prev):
    # The sparse data set's keys: a 64-bit hash of i, uniform over int8.
    return "SELECT hashint8extended(i, 7) AS id, i % 1000 AS val FROM generate_series({0}, {1}) AS i".format(lo, hi)


GROWTH_RUNS = [
    ("ascending", "ascending int8 ids 1, 2, 3, ... appended in order (a bigserial column)", "int8",
     growth_ascending, "append"),
    ("timestamps", "bursty timestamptz appended in time order (the timestamps data set's generator: gaps of "
     "0-40 us inside bursts, 1 s to 10 min between bursts, 1 gap in 2000)", "timestamptz", growth_timestamps,
     "append"),
    ("random", "random int8 inserts (the sparse data set's keys: a 64-bit hash of i, uniform over the int8 range), "
     "inserted in random key order", "int8", growth_random, "random"),
]


class Growth(Bench):
    """--mode growth (issue 13's growth target; not run by CI): per run one
    table per index (learned, btree) with the same rows, built on
    BENCH_GROWTH_START rows and grown by INSERTs of the same batches, with
    autovacuum on at the server's defaults and no retrain run by hand: the
    ascending and timestamps runs append up to BENCH_GROWTH_ROWS rows, the
    random run inserts up to BENCH_GROWTH_RANDOM_ROWS (10x the start).  At
    marks along the way (each 10x of the start and each quarter of the
    growth) it measures warm index pages per lookup, size, the learned
    index's learned_index_info, the retrains and autovacuums so far and the
    insert rate since the last mark; at the end every index answers sample
    queries as a sequential scan does and learned_index_check passes.
    Writes results-growth.json and RESULTS-growth.md into --out (report.py's
    write_growth_report)."""

    KINDS = ("learned", "btree")
    QUIET_PHASES = ("generate batches", "insert")  # once per batch: not logged

    def __init__(self, args):
        super().__init__(args)
        self.start = int(os.environ.get("BENCH_GROWTH_START", 1000000))
        self.final = int(os.environ.get("BENCH_GROWTH_ROWS", 100000000))
        self.final_random = int(os.environ.get("BENCH_GROWTH_RANDOM_ROWS", 10 * self.start))
        # Rows per INSERT: a fortieth of the smaller growth (225K at the
        # defaults), at most 1M: a small trial still has batches for
        # autovacuum to run between.
        smallest = max(1, min(self.final, self.final_random) - self.start)
        self.batch = int(os.environ.get("BENCH_GROWTH_BATCH", max(1000, min(1000000, smallest // 40))))
        self.pages_probes = int(os.environ.get("BENCH_GROWTH_PROBES", 10000))
        if self.start < 1000 or self.final <= self.start or self.final_random <= self.start:
            raise BenchError("BENCH_GROWTH_START must be at least 1000 and below BENCH_GROWTH_ROWS and "
                             "BENCH_GROWTH_RANDOM_ROWS")
        wanted = os.environ.get("BENCH_GROWTH_RUNS")
        self.runs = [g_ for g_ in GROWTH_RUNS if not wanted or g_[0] in wanted.split(",")]
        self.results = {"runs": {}, "notes": [], "order": [g_[0] for g_ in self.runs], "growth": True}

    def run(self):
        self.setup()
        a = self.admin
        a.q("CREATE EXTENSION IF NOT EXISTS pageinspect")
        self.results["setup_seconds"] = round(time.time() - self.t_start, 1)
        env = self.results["env"]
        env.update({"loadavg_start": round(os.getloadavg()[0], 2), "start_rows": self.start,
                    "final_rows": self.final, "random_rows": self.final_random, "batch_rows": self.batch,
                    "growth_probes": self.pages_probes})
        for k in ("rows", "probes", "probes_other", "range_rows", "range_rows_index", "pgbench", "pgbench_other"):
            env.pop(k, None)
        for name in ("autovacuum_naptime", "autovacuum_vacuum_insert_threshold",
                     "autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_threshold",
                     "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_cost_delay",
                     "autovacuum_vacuum_cost_limit", "vacuum_cost_limit", "learned.cache_budget_kb"):
            env["settings"][name] = a.one("SHOW %s" % name)
        changed = a.q("SELECT name, setting || coalesce(unit, ''), boot_val || coalesce(unit, '') FROM pg_settings"
                      " WHERE name LIKE 'autovacuum%' AND setting IS DISTINCT FROM boot_val ORDER BY name")
        if changed:
            self.results["notes"].append(
                "autovacuum settings that are not the server's defaults: " + ", ".join(
                    "`%s = %s` (default %s)" % tuple(row) for row in changed)
                + (" (BENCH_GROWTH_NAPTIME: a short trial would end before autovacuum's first look)"
                   if any(row[0] == "autovacuum_naptime" for row in changed) else ""))
        if env["settings"].get("autovacuum") != "on":
            self.results["notes"].append("autovacuum is off in this server: no retrain can happen")
        for name, desc, typ, gen, kind in self.runs:
            t0 = time.time()
            final = self.final_random if kind == "random" else self.final
            log("growth: %s, %d -> %d rows" % (name, self.start, final))
            r = self.results["runs"][name] = {"description": desc, "type": typ, "start": self.start,
                                              "final": final, "batch": self.batch}
            self.growth_run(name, typ, gen, final, r)
            r["seconds"] = round(time.time() - t0, 1)
            log("growth: %s done in %.0f s" % (name, r["seconds"]))
            self.save_json()
        self.results["total_seconds"] = round(time.time() - self.t_start, 1)
        self.save_json()
        from report import write_growth_report  # bench/report.py
        write_growth_report(self.results, self.out)
        a.close()
        if self.results.get("failures"):
            raise BenchError("%d failure(s):\n" % len(self.results["failures"]) + "\n".join(self.results["failures"]))

    def phase(self, what):
        """Bench.phase, but the phases of every batch are not logged."""
        now = time.time()
        if getattr(self, "_phase", None):
            name, t0, into = self._phase
            if name not in self.QUIET_PHASES:
                log("  %-28s %6.1f s" % (name, now - t0))
            into.append([name, round(now - t0, 1)])
        self._phase = (what, now, self._phases) if what else None

    def save_json(self):
        with open(os.path.join(self.out, "results-growth.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)

    def marks(self, final):
        """Row counts after which to measure: each 10x of the start and each
        quarter of the growth (measured after the first batch that reaches
        each)."""
        m = set(self.start + q * (final - self.start) // 4 for q in range(1, 5))
        x = self.start * 10
        while x < final:
            m.add(x)
            x *= 10
        return sorted(m)

    def make_batch(self, gen, lo, hi, prev):
        """The rows lo..hi into g_batch, from which both tables get them."""
        a = self.admin
        a.q("TRUNCATE g_batch")
        a.q("INSERT INTO g_batch " + gen(lo, hi, prev))

    def batch_max(self, typ):
        """The largest key of g_batch in its int8 form."""
        if typ == "timestamptz":
            return int(self.admin.one("SELECT (extract(epoch FROM max(id)) * 1000000)::int8 FROM g_batch"))
        return int(self.admin.one("SELECT max(id) FROM g_batch"))

    def growth_run(self, name, typ, gen, final, r):
        a = self.admin
        self._phases = r["phases"] = []
        self.phase("load %s rows, build" % fmt_int(self.start))
        a.q("DROP TABLE IF EXISTS g_batch, g_probes, t_learned, t_btree CASCADE")
        a.q("SET work_mem = '1GB'")
        a.q("SELECT setseed(0.4242)")
        a.q("CREATE UNLOGGED TABLE g_batch (id %s, val int8)" % typ)
        self.make_batch(gen, 1, self.start, None)
        prev = self.batch_max(typ)
        for k in self.KINDS:
            a.q("CREATE TABLE t_%s (id %s, val int8)" % (k, typ))
            a.q("INSERT INTO t_%s SELECT * FROM g_batch" % k)
            # Start all-visible and analyzed, as a table that has been
            # vacuumed before its index was made.
            a.q("VACUUM (FREEZE, ANALYZE) t_%s" % k)
        r["build_ms"] = {}
        for k in self.KINDS:
            a.q("CHECKPOINT")
            r["build_ms"][k] = float(a.q("SELECT ms FROM bench_exec('CREATE INDEX i_%s ON t_%s USING %s (id)')"
                                         % (k, k, k))[0][0])
        a.q("RESET work_mem")
        r["model_version_build"] = self.model_version()
        r["marks"] = []
        self.phase("measure")
        self.measure(r, self.start, {k: 0 for k in self.KINDS}, 0)
        rows = self.start
        marks = self.marks(final)
        ins_ms = {k: 0.0 for k in self.KINDS}
        ins_rows = 0
        nbatch = 0
        while rows < final:
            self.phase("generate batches")
            hi = min(final, rows + self.batch)
            self.make_batch(gen, rows + 1, hi, prev)
            if typ == "timestamptz":
                prev = self.batch_max(typ)
            self.phase("insert")
            for k in self.order(self.KINDS, nbatch):
                ins_ms[k] += float(a.q("SELECT ms FROM bench_exec('INSERT INTO t_%s SELECT * FROM g_batch')"
                                       % k)[0][0])
            nbatch += 1
            ins_rows += hi - rows
            rows = hi
            if marks and rows >= marks[0]:
                while marks and rows >= marks[0]:
                    marks.pop(0)
                self.phase("measure")
                log("growth: %s at %s rows" % (name, fmt_int(rows)))
                self.measure(r, rows, ins_ms, ins_rows)
                ins_ms = {k: 0.0 for k in self.KINDS}
                ins_rows = 0
                self.save_json()
        r["batches"] = nbatch
        self.phase("final checks")
        self.growth_correctness(r, typ)
        self.check_learned(r, "at the end", heapallindexed=True)
        self.phase("drop")
        a.q("DROP TABLE t_learned, t_btree, g_batch, g_probes")
        a.q("CHECKPOINT")
        self.phase(None)

    def model_version(self):
        """The metapage's model_version (learned.h, LearnedMetaPageData),
        which only a retrain bumps, read with pageinspect: learned_index_info
        does not show it.  The generation read beside it must equal
        learned_index_info's, else the layout is not the one assumed here
        and the answer is None."""
        import struct
        for _ in range(3):
            raw, gen = self.admin.q("SELECT encode(substr(get_raw_page('i_learned', 0), 25, 72), 'hex'),"
                                    " (learned_index_info('i_learned')).generation")[0]
            b = bytes.fromhex(raw)
            generation, = struct.unpack_from("<I", b, 8)
            model_version, = struct.unpack_from("<I", b, 68)
            if generation == int(gen):
                return model_version
        return None

    def index_pages_own(self, s, idx, q):
        """Index pages per run of q, as count_pages counts them (the index's
        buffer hits + reads) but from this backend's own counters of the
        transaction (pg_stat_get_xact_blocks_fetched): with autovacuum on,
        pg_statio_user_indexes would also count a concurrent VACUUM's reads
        of the index."""
        # Counts the backend has not flushed yet (it flushes at most once a
        # second) are in the same counter: take the difference.
        fetched = "SELECT pg_stat_get_xact_blocks_fetched('%s'::regclass)" % idx
        s.q("BEGIN")
        before = int(s.one(fetched))
        s.q("SELECT bench_run(%s)" % lit(q))
        n = int(s.one(fetched)) - before
        s.q("COMMIT")
        return n

    def measure(self, r, rows, ins_ms, ins_rows):
        a = self.admin
        m = {"rows": rows, "seconds": round(time.time() - self.t_start, 1), "loadavg": round(os.getloadavg()[0], 2)}
        # Bounds the WAL a 100M-row run keeps (max_wal_size is 64GB and
        # checkpoint_timeout 1h), outside the timed INSERTs.
        a.q("CHECKPOINT")
        a.q("DROP TABLE IF EXISTS g_probes")
        a.q("SELECT setseed(0.17)")
        a.q("CREATE UNLOGGED TABLE g_probes AS SELECT id AS k FROM t_btree TABLESAMPLE BERNOULLI (%f)"
            " REPEATABLE (17) ORDER BY random() LIMIT %d"
            % (min(100.0, 100.0 * 1.5 * self.pages_probes / rows), self.pages_probes))
        a.q("ANALYZE g_probes")
        n = int(a.one("SELECT count(*) FROM g_probes"))
        m["probes"] = n
        found = {}
        for k in self.KINDS:
            e = m[k] = {}
            e["size"] = int(a.one("SELECT pg_relation_size('i_%s')" % k))
            if ins_rows:
                e["insert_rows_per_s"] = ins_rows / (ins_ms[k] / 1000.0) if ins_ms[k] > 0 else None
                e["insert_ms"] = ins_ms[k]
            st = a.q("SELECT autovacuum_count, autoanalyze_count, vacuum_count, coalesce(last_autovacuum::text, '')"
                     " FROM pg_stat_user_tables WHERE relname = 't_%s'" % k)[0]
            e["autovacuums"], e["autoanalyzes"], e["vacuums"] = int(st[0]), int(st[1]), int(st[2])
            e["last_autovacuum"] = st[3] or None
            s = Session("growth-" + k)
            s.q(MEASURE_SETTINGS)
            q = "SELECT count(*) FROM g_probes p JOIN t_%s t ON t.id = p.k" % k
            ok, plan = self.plan_ok(s, q, ["Nested Loop", "Index Only Scan using i_" + k])
            if not ok:
                self.failed(r, "probes on %s at %d rows: not a nested-loop index-only scan: %s" % (k, rows, plan))
                s.close()
                continue
            s.q("SELECT bench_run(%s)" % lit(q))  # warm the model cache
            # Rows matching the probes (more than the probes where keys
            # repeat): both tables hold the same rows, so the same count.
            found[k] = int(s.one(q))
            if found[k] < n:
                self.failed(r, "WRONG RESULT (probes on %s at %d rows): %d rows for %d present keys"
                            % (k, rows, found[k], n))
            e["pages_per_lookup"] = self.index_pages_own(s, "i_" + k, q) / n if n else None
            if k == "learned":
                e["info"] = json.loads(s.one("SELECT row_to_json(i) FROM learned_index_info('i_learned') AS i"))
            s.close()
        if len(set(found.values())) > 1:
            self.failed(r, "WRONG RESULT (probes at %d rows): rows found %r" % (rows, found))
        mv = self.model_version()
        b0 = r.get("model_version_build")
        m["learned"]["retrains"] = mv - b0 if mv is not None and b0 is not None else None
        m["btree"]["levels"] = int(a.one("SELECT level + 1 FROM bt_metap('i_btree')"))
        r["marks"].append(m)
        e = m["learned"]
        log("  %s rows: pages/lookup learned %s btree %s; retrains %s; autovacuums %s/%s; levels %s"
            % (fmt_int(rows), fmt_ratio(e.get("pages_per_lookup")), fmt_ratio(m["btree"].get("pages_per_lookup")),
               e.get("retrains"), e.get("autovacuums"), m["btree"].get("autovacuums"),
               g_(e, "info", "levels")))

    def growth_correctness(self, r, typ):
        """Sample queries through each index (index, index-only and bitmap
        scans) equal a sequential scan of the same table, and the two
        tables' sequential scans agree (they hold the same rows)."""
        a = self.admin
        one = "interval '1 microsecond'" if typ == "timestamptz" else "1"
        keys = [row[0] for row in a.q("SELECT k FROM g_probes LIMIT 3")]
        a.q("SET enable_seqscan = off; SET enable_bitmapscan = off")
        lo = a.one("SELECT id FROM t_btree ORDER BY id LIMIT 1")
        hi = a.one("SELECT id FROM t_btree ORDER BY id DESC LIMIT 1")
        W = max(1000, r["final"] // 1000)
        k1 = keys[0]
        k1w = a.one("SELECT id FROM t_btree WHERE id >= %s::%s ORDER BY id OFFSET %d LIMIT 1" % (lit(k1), typ, W)) or hi
        top = a.one("SELECT id FROM t_btree ORDER BY id DESC OFFSET %d LIMIT 1" % W) or lo
        a.q("RESET enable_seqscan; RESET enable_bitmapscan")

        def v(x):
            return "%s::%s" % (lit(x), typ)
        conds = [("point present", "id = %s" % v(k1)),
                 ("point next", "id = %s + %s" % (v(keys[1 % len(keys)]), one)),
                 ("point below the smallest", "id = %s - %s" % (v(lo), one)),
                 ("point largest", "id = %s" % v(hi)),
                 ("range", "id >= %s AND id < %s" % (v(k1), v(k1w))),
                 ("range open (the newest keys)", "id > %s" % v(top)),
                 ("in list", "id = ANY(ARRAY[%s])" % ", ".join(v(x) for x in keys + [lo, hi])),
                 ("is null", "id IS NULL")]
        qs = [(cname, "SELECT count(*) || ':' || coalesce(sum(val), 0) FROM {t} WHERE " + c, False)
              for cname, c in conds]
        qs += [("order desc limit", "SELECT string_agg(id::text, ',') FROM"
                " (SELECT id FROM {t} ORDER BY id DESC LIMIT 20) s", True),
               ("order asc from", "SELECT string_agg(id::text, ',') FROM"
                " (SELECT id FROM {t} WHERE id >= %s ORDER BY id LIMIT 20) s" % v(k1), True)]
        s = Session("check")
        s.q("SET max_parallel_workers_per_gather = 0")
        for qname, q, ordered in qs:
            want = {}
            for k in self.KINDS:
                s.q("RESET ALL; SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off")
                want[k] = s.one(q.format(t="t_" + k))
                for mode in ("index", "indexonly", "bitmap"):
                    s.q("RESET ALL; SET enable_seqscan = off; SET enable_indexscan = %s; SET enable_indexonlyscan = %s;"
                        " SET enable_bitmapscan = %s; SET enable_sort = %s"
                        % ("on" if mode == "index" else "off", "on" if mode == "indexonly" else "off",
                           "on" if mode == "bitmap" else "off", "off" if ordered else "on"))
                    got = s.one(q.format(t="t_" + k))
                    if got != want[k]:
                        plan = "\n".join(x[0] for x in s.q("EXPLAIN (COSTS OFF) " + q.format(t="t_" + k)))
                        self.failed(r, "WRONG RESULT (growth %s, %s index %s, %s): got %r, seq scan says %r\n%s"
                                    % (r["description"][:20], k, mode, qname, got, want[k], plan))
            if want["learned"] != want["btree"]:
                self.failed(r, "the tables differ (%s): t_learned %r, t_btree %r" % (qname, want["learned"], want["btree"]))
        s.close()
        r["check_queries"] = len(qs)
        r.setdefault("checks", []).append("%d queries x each index x index, index-only and bitmap scans equal a "
                                          "sequential scan of the same table at the end (and both tables' "
                                          "sequential scans agree)" % len(qs))


def seg_predict(rec, x):
    """rmi_segment_predict in Python doubles (IEEE, as in rmi.c): the leaf
    page within the record, floor(intercept + slope * (x - first_key)),
    clamped to the record's pages."""
    first_key = int(rec["first_key"])
    count = int(rec.get("count") or rec["pages"])
    if count <= 1:
        return 0
    d = float(x - first_key) if x > first_key else 0.0
    p = float(rec["intercept"]) + float(rec["slope"]) * d
    if not math.isfinite(p):
        return 0  # as rmi.c's floor_clamp: a NaN lands on 0
    p = math.floor(p)
    return int(min(max(p, 0), count - 1))


def fmt_ratio(x):
    return "-" if x is None else "%.3f" % x


def g_(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def fmt_int(n):
    return "{:,}".format(int(n))


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["quick", "full", "scale", "growth"], default="quick")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("--src", default="")
    args = ap.parse_args()
    sys.path.insert(0, args.bench_dir)
    try:
        b = {"scale": Scale, "growth": Growth}.get(args.mode, Bench)(args)
        b.run()
    except BenchError as e:
        print("bench: " + str(e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
