"""bench/report.py: RESULTS.md, targets.md and the gnuplot charts, from the
results dictionary bench.py measured.  Every number comes from there."""

import json
import math
import os
import shutil
import subprocess

KIND_COLS = ["learned", "btree", "hash", "brin", "noidx"]
KIND_NAMES = {"learned": "learned", "btree": "btree", "hash": "hash", "brin": "BRIN", "noidx": "no index"}


def fmt(x, unit=""):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return "{:,}".format(x) + unit
    a = abs(x)
    if a == 0:
        s = "0"
    elif a >= 100000:
        s = "{:,.0f}".format(x)
    elif a >= 100:
        s = "{:.0f}".format(x)
    elif a >= 10:
        s = "{:.1f}".format(x)
    elif a >= 1:
        s = "{:.2f}".format(x)
    else:
        s = "{:.3f}".format(x)
    return s + unit


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def ratio(a, b):
    if not num(a) or not num(b) or b == 0:
        return None
    return a / b


def g(d, *path):
    for p in path:
        if d is None:
            return None
        if isinstance(d, dict):
            d = d.get(p)
        else:
            return None
    return d


def metrics(r):
    """(section, label, better, {kind: value}) for one data set."""
    out = []

    def add(section, label, better, vals):
        out.append((section, label, better, vals))

    def per(fn, kinds=KIND_COLS):
        return {k: fn(k) for k in kinds}

    kinds = r.get("kinds", [])
    add("build", "CREATE INDEX ms", "lower", per(lambda k: med(g(r, "build_ms", k)), kinds))
    add("build", "index size, bytes", "lower", per(lambda k: g(r, "size", k, "bytes"), kinds))
    add("build", "index size, pages", "lower", per(lambda k: g(r, "size", k, "pages"), kinds))
    add("build", "model cache, bytes per backend", "lower", {"learned": g(r, "before", "cached_bytes")})
    for pset, plabel in (("present", "present keys"), ("absent", "absent keys")):
        add("point", "ns per probe, index-only scan, %s" % plabel, "lower",
            per(lambda k: g(r, "before", "%s_indexonly" % pset, k, "ns"), kinds))
        add("point", "ns per probe, index scan, %s" % plabel, "lower",
            per(lambda k: g(r, "before", "%s_index" % pset, k, "ns"), kinds))
    add("point", "index pages per lookup, present keys (warm)", "lower",
        per(lambda k: g(r, "before", "pages_present", k), kinds))
    add("point", "index pages per lookup, absent keys (warm)", "lower",
        per(lambda k: g(r, "before", "pages_absent", k), kinds))
    add("point", "index pages, first lookup in a new backend", "lower",
        per(lambda k: g(r, "before", "cold_pages", k), kinds))
    for rname in ("r100", "r10k", "r1pct"):
        w = g(r, "range_widths", rname, "rows")
        n = g(r, "range_widths", rname, "ranges")
        ni = g(r, "range_widths", rname, "ranges_index") or n
        for v, vl in (("indexonly", "index-only"), ("index", "index scan")):
            add("range", "rows/s, ~%s rows per range (%s ranges), %s"
                % (fmt(w), fmt(n if v == "indexonly" else ni), vl), "higher",
                per(lambda k: g(r, "ranges", "%s_%s" % (rname, v), k, "rows_per_s"), kinds))
    for c in ("c1", "c2"):
        cl = c[1:]
        add("pgbench", "TPS, %s client(s)" % cl, "higher", per(lambda k: g(r, "pgbench", c, k, "tps_med"), kinds))
        for p in ("p50", "p95", "p99"):
            add("pgbench", "latency %s ms, %s client(s)" % (p, cl), "lower",
                per(lambda k: g(r, "pgbench", c, k, p + "_med"), kinds))
    for order in ("random", "ascending"):
        add("writes", "COPY %s keys: rows/s" % order, "higher",
            per(lambda k: g(r, "writes", order, k, "rows_per_s") or copy_timeout(r, order, k), kinds + ["noidx"]))
        add("writes", "COPY %s keys: WAL bytes" % order, "lower",
            per(lambda k: g(r, "writes", order, k, "wal_bytes"), kinds + ["noidx"]))
    add("writes", "index size after the writes, bytes", "lower",
        per(lambda k: g(r, "writes", "size_after", k, "bytes"), kinds))
    add("after", "ns per probe, index-only scan (after writes)", "lower",
        per(lambda k: g(r, "after", "after_indexonly", k, "ns"), kinds))
    add("after", "ns per probe, index scan (after writes)", "lower",
        per(lambda k: g(r, "after", "after_index", k, "ns"), kinds))
    add("after", "index pages per lookup (after writes)", "lower",
        per(lambda k: g(r, "after", "pages_after", k), kinds))
    return out


def copy_timeout(r, order, k):
    t = g(r, "writes", order, k, "timed_out_after_s")
    if t:
        return "< %s (cancelled after %d s)" % (fmt(g(r, "writes", order, k, "rows_per_s_below")), t)
    return None


def med(xs):
    if not xs:
        return None
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


# --------------------------------------------------------------------------
# Targets (full mode, learned against btree in the same run).
# --------------------------------------------------------------------------
def targets(r):
    """[(target text, value text, met: True/False/None)] for one data set."""
    t = []
    b = r.get("before", {})

    def row(label, val, ok, shown=None):
        t.append((label, shown if shown is not None else fmt(val) + ("x" if val is not None else ""), ok))

    x = ratio(g(b, "present_indexonly", "learned", "ns"), g(b, "present_indexonly", "btree", "ns"))
    row("point lookup ns, index-only nested loop <= 0.7x btree", x, None if x is None else x <= 0.7)
    h = ratio(g(b, "present_indexonly", "learned", "ns"), g(b, "present_index", "hash", "ns"))
    row("point lookup ns (index-only) no slower than hash (index scan)", h, None if h is None else h <= 1.0)
    p = g(b, "pages_present", "learned")
    row("index pages per point lookup <= 1.1", p, None if p is None else p <= 1.1, fmt(p))
    if r.get("unique"):
        s = ratio(g(r, "size", "learned", "bytes"), g(r, "size", "btree", "bytes"))
        row("index size (unique keys) <= 0.6x btree", s, None if s is None else s <= 0.6)
    else:
        row("index size (unique keys) <= 0.6x btree", None, None, "n/a (duplicates)")
    c = ratio(med(g(r, "build_ms", "learned")), med(g(r, "build_ms", "btree")))
    row("CREATE INDEX time <= 1.0x btree", c, None if c is None else c <= 1.0)
    rr = [ratio(g(r, "ranges", "%s_indexonly" % w, "learned", "rows_per_s"),
                g(r, "ranges", "%s_indexonly" % w, "btree", "rows_per_s")) for w in ("r100", "r10k", "r1pct")]
    ok = None if None in rr else all(v >= 1.2 for v in rr)
    row("range scan rows/s, index-only >= 1.2x btree (100 / 10K / 1%)", None, ok, " / ".join(fmt(v) + "x" for v in rr))
    cr = [ratio(g(r, "writes", o, "learned", "rows_per_s"), g(r, "writes", o, "btree", "rows_per_s"))
          for o in ("random", "ascending")]
    to = [g(r, "writes", o, "learned", "timed_out_after_s") for o in ("random", "ascending")]
    ok = False if any(to) else (None if None in cr else all(v >= 0.8 for v in cr))
    row("COPY with the index rows/s >= 0.8x btree (random / ascending)", None, ok,
        " / ".join(("timed out" if t else fmt(v) + "x") for v, t in zip(cr, to)))
    wr = [ratio(g(r, "writes", o, "learned", "wal_bytes"), g(r, "writes", o, "btree", "wal_bytes"))
          for o in ("random", "ascending")]
    ok = None if None in wr else all(v <= 1.5 for v in wr)
    row("COPY WAL bytes <= 1.5x btree (random / ascending)", None, ok, " / ".join(fmt(v) + "x" for v in wr))
    tr = [ratio(g(r, "pgbench", c, "learned", "tps_med"), g(r, "pgbench", c, "btree", "tps_med")) for c in ("c1", "c2")]
    ok = None if None in tr else all(v >= 1.0 for v in tr)
    row("pgbench point SELECT TPS >= 1.0x btree (1 / 2 clients)", None, ok, " / ".join(fmt(v) + "x" for v in tr))
    return t


def unique_targets(u):
    """[(target text, value text, met)] for the unique-index section:
    learned unique against btree unique, same rows, same run."""
    t = []
    up = u.get("upsert") or {}
    if up.get("refused"):
        shown = "refused by the server (%s)" % "; ".join(up["refused"].values())
        t.append(("pgbench upsert (ON CONFLICT (id) DO UPDATE) TPS >= 1.0x btree (1 / 2 clients)", shown, None))
    else:
        tr = [ratio(g(up, c, "learned", "tps_med"), g(up, c, "btree", "tps_med")) for c in ("c1", "c2")]
        t.append(("pgbench upsert (ON CONFLICT (id) DO UPDATE) TPS >= 1.0x btree (1 / 2 clients)",
                  " / ".join(fmt(v) + "x" for v in tr) if up else "–",
                  None if None in tr else all(v >= 1.0 for v in tr)))
    cr = [ratio(g(u, "copy", o, "learned", "rows_per_s"), g(u, "copy", o, "btree", "rows_per_s"))
          for o in ("random", "ascending")]
    to = [g(u, "copy", o, "learned", "timed_out_after_s") for o in ("random", "ascending")]
    t.append(("COPY of unique keys rows/s >= 1.0x btree (random / ascending)",
              " / ".join(("timed out" if x else fmt(v) + "x") for v, x in zip(cr, to)),
              False if any(to) else (None if None in cr else all(v >= 1.0 for v in cr))))
    wr = [ratio(g(u, "copy", o, "learned", "wal_bytes"), g(u, "copy", o, "btree", "wal_bytes"))
          for o in ("random", "ascending")]
    t.append(("COPY of unique keys WAL bytes <= 1.5x btree (random / ascending)",
              " / ".join(fmt(v) + "x" for v in wr), None if None in wr else all(v <= 1.5 for v in wr)))
    tp = u.get("tpcb") or {}
    secs = "%s s each" % fmt(tp.get("seconds")) if tp else ""
    if tp.get("nonhot"):
        secs += ", no HOT update"
    sz = ratio(g(tp, "learned", "size_end", "bytes"), g(tp, "btree", "size_end", "bytes"))
    t.append(("TPC-B-like pgbench (%s): index size at the end <= 0.5x btree" % secs, fmt(sz) + "x" if sz else "–",
              None if sz is None else sz <= 0.5))
    pl, pb = g(tp, "learned", "pages_end"), g(tp, "btree", "pages_end")
    t.append(("TPC-B-like pgbench (%s): index pages per lookup after the run = 1" % secs,
              "–" if pl is None else "%.3f (btree %s)" % (pl, "–" if pb is None else "%.3f" % pb),
              None if pl is None else pl <= 1.0))
    return t


def mark(ok):
    return "" if ok is None else (" ✅" if ok else " ❌")


def dataset_names(res):
    return [n for n in res.get("order", []) if n in res["datasets"]] or list(res["datasets"])


def write_targets(res, out):
    names = dataset_names(res)
    per = {n: targets(res["datasets"][n]) for n in names}
    env = res.get("env", {})
    lines = []
    lines.append("# Where the targets stand")
    lines.append("")
    lines.append("Written by `bench/run.sh` (%s mode, %s rows per data set, %s); learned against btree in the same run, "
                 "each figure the median of 3 runs. ✅ met, ❌ missed. Details and every raw figure: "
                 "[RESULTS.md](RESULTS.md)." % (env.get("mode"), fmt(env.get("rows")), env.get("date")))
    lines.append("")
    lines.append("| target | " + " | ".join(names) + " | met on |")
    lines.append("|---|" + "---|" * len(names) + "---|")
    if names:
        for i, (label, _, _) in enumerate(per[names[0]]):
            cells = []
            met = tot = 0
            for n in names:
                _, shown, ok = per[n][i]
                cells.append(shown + mark(ok))
                if ok is not None:
                    tot += 1
                    met += 1 if ok else 0
            lines.append("| %s | %s | %d of %d |" % (label, " | ".join(cells), met, tot))
    lines.append("")
    u = res.get("unique")
    if u:
        lines.append("## Unique indexes: learned unique against btree unique")
        lines.append("")
        lines.append("Same rows, same run (%s; %s rows; TPC-B-like on pgbench's schema at scale %s). COPY and upsert "
                     "figures are medians of 3 runs, the TPC-B-like figures come from one run per index. Details: "
                     "[RESULTS.md](RESULTS.md), \"Unique indexes\"."
                     % (pg_short(env), fmt(u.get("rows")), fmt(g(u, "tpcb", "scale"))))
        lines.append("")
        lines.append("| target | learned / btree | |")
        lines.append("|---|---|---|")
        for label, shown, ok in unique_targets(u):
            lines.append("| %s | %s |%s |" % (label, shown, mark(ok)))
        lines.append("")
    with open(os.path.join(out, "targets.md"), "w") as f:
        f.write("\n".join(lines))
    return per


def pg_short(env):
    """"PostgreSQL 15.20" out of version()."""
    v = (env.get("postgres") or "").split()
    return " ".join(v[:2]) if len(v) >= 2 else "PostgreSQL"


def info_value(v):
    """A learned_index_info value as text, whatever type a later version
    gives it."""
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "null"
    if isinstance(v, (int, float)):
        return fmt(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def method_text(res):
    env = res.get("env", {})
    first = res["datasets"][next(iter(res["datasets"]))] if res["datasets"] else {}
    copy_rows = fmt(g(first, "writes", "rows") or 0)
    pgb = (env.get("pgbench") or "").split()
    pgo = (env.get("pgbench_other") or "").split()
    if len(pgb) == 2 and pgb[0] == "-T":
        pgb_run = "each run %s s" % pgb[1]
        if len(pgo) == 2 and pgo != pgb:
            pgb_run += " (hash, whose TPS no target uses: %s s)" % pgo[1]
    elif len(pgb) == 2 and pgb[0] == "-t":
        pgb_run = "each run %s transactions per client" % pgb[1]
    else:
        pgb_run = "pgbench options `%s`" % " ".join(pgb)
    P = env.get("probes") or 0
    P2 = env.get("probes_other") or P
    if P2 < P:
        probes = ("%s probes per run for the figures a target uses (present keys: learned and btree index-only, hash's "
                  "index scan), %s for the others (present-key index scans of learned and btree, every absent-key "
                  "lookup): ns per probe either way" % (fmt(P), fmt(P2)))
    else:
        probes = "%s probes per run" % fmt(P)
    rr, rri = env.get("range_rows"), env.get("range_rows_index")
    if rr and rri and rri < rr:
        range_runs = ("Index-only runs (a target uses them) go over about %s rows, index scans (no target) over the "
                      "first ranges, about %s rows; the counts of ranges are in the labels." % (fmt(rr), fmt(rri)))
    elif rr:
        range_runs = "Each run goes over about %s rows; the counts of ranges are in the labels." % fmt(rr)
    else:
        range_runs = "The counts of ranges are in the labels."
    prewarm = (" The indexes (and, before the writes, their tables) are loaded into shared buffers with `pg_prewarm` "
               "before the runs." if env.get("prewarm") else "")
    return """- Each data set is generated once (SQL, `setseed` and hash functions: the same rows every run) into a binary file,
  and the tables are loaded from that file: `t_noidx` and one table per index measured on the data set (`t_learned`,
  `t_btree`, `t_hash`, `t_brin`), each with `COPY ... (FORMAT binary, FREEZE)` in the transaction that creates it: the
  same rows in the same physical order, tuples frozen and every page all-visible (the harness checks
  `pg_class.relallvisible` and vacuums a table where it falls short), so index-only scans read no heap page.
  Each table gets one index.
- Every figure is the median of 3 runs. In each round learned and btree swap which one goes first, so machine drift hits both.
  Every measuring session sets `max_parallel_workers_per_gather = 0`, `jit = off`, and turns off hash join, merge join,
  memoize, material and seq scan so that each probe is one inner index scan of a nested loop (the harness checks the plan).
- **CREATE INDEX**: 3 builds each (drop, checkpoint, build), timed by the server's clock.
- **Point lookups**: `SELECT count(*) FROM probes p JOIN t ON t.id = p.k`, one statement, probes in random order; index-only
  (`count(*)`, only `id` read) and index scan (`sum(t.val)`, index-only scans disabled); ns per probe = execution time / probes;
  %(probes)s.
  Present keys are a seeded uniform sample of the rows (`TABLESAMPLE BERNOULLI ... REPEATABLE`). Absent keys are a present key + 1 where that is absent, then uniform in [min, max]; the dense set has no gap, so its absent
  probes lie beyond the maximum.%(prewarm)s A warm-up run (%(small)s probes) precedes the timed runs in the same backend (plan,
  learned's per-backend model cache). BRIN answers each probe with a bitmap scan of a whole block range, so it gets 1/5000 of the
  probes (at least 20).
- **Index pages per lookup**: `pg_stat_reset_single_table_counters` on the index, %(small)s probes (index-only; hash: index scan),
  `pg_stat_force_next_flush()`, then `idx_blks_hit + idx_blks_read` from `pg_statio_user_indexes` / probes. Warm model cache.
  "first lookup in a new backend" is one `WHERE id = k` query in a fresh connection, planning included (btree's planner reads its metapage).
- **Range scans**: a nested loop over random ranges `t.id >= lo AND t.id < hi` of about 100, 10,000 and 1%% of the rows
  (lo the key of a row sampled uniformly, hi the key that many entries after lo's first entry in key order, read through the btree index, so
  duplicates can make a range a little smaller); rows/s = rows returned / execution time. %(range_runs)s
  A warm-up run over a tenth of the ranges precedes the timed runs. BRIN: bitmap heap scan (its only kind), 1/100 of the
  index scans' ranges (at least 3).
- **pgbench**: `-M prepared`, 1 and 2 clients (`-j` = clients), %(pgb_run)s, scripts `bench/pgbench_point_dense.sql` (dense
  set: `\\set k random(1, N)`) and `bench/pgbench_point.sql` (other sets: a random key from a table `bench_keys` of the present
  probes by its primary key — a btree lookup both sides pay — then the point SELECT). Latency percentiles from the
  per-transaction log (`-l`).
- **Writes**: `COPY` of %(copy_rows)s rows from a server-side file, 3 batches with random keys (uniform in [min, max] of the data set),
  then 3 with ascending keys (after the maximum, the data set's mean gap apart); every batch goes into every table (learned
  and btree alternating), after a `CHECKPOINT` (so every index pays its full-page images alike). WAL bytes =
  `pg_current_wal_insert_lsn()` difference. The "no index" column is the same COPY into the table without an index.
- **After the writes**: `VACUUM ANALYZE` of the tables that took them, then point lookups again with %(p_after)s probes sampled from the
  whole table (new rows included): index-only scans (hash: index scans) and index pages per lookup.
- **Correctness guard**: after the build and after the writes, 9 queries (points, ranges, `= ANY`, `ORDER BY ... DESC LIMIT`, `IS NULL`)
  through every index and every scan type it supports must equal the sequential scan's answer (of `t_noidx` where the table holds
  the same rows, else of the table itself; one seq scan answers the 7 counting queries together, each aggregate filtered by its
  query's condition, and one each the 2 ordered ones; the ranges hold about 0.1%% of the rows, at least 1,000), and every timed
  query's answer (count and sum) must be the same through every index on the same probes;
  `learned_index_check` runs after the writes. A difference stops the run with an error.""" % {
        "small": fmt(min(10000, P2 or 10000)), "pgb_run": pgb_run, "copy_rows": copy_rows, "probes": probes,
        "prewarm": prewarm, "range_runs": range_runs, "p_after": fmt(P2)}


def unique_method(res):
    u = res["unique"]
    tp = u.get("tpcb") or {}
    env = res.get("env", {})
    pgb = (env.get("pgbench") or "").split()
    return """- **Unique indexes** (learned unique against btree unique; README "Unique indexes"): two tables `u_learned` and
  `u_btree` get the same %(rows)s rows, the even ids 2, 4, .., 2N (heap in random order), by `COPY FREEZE` from one file, and
  a `CREATE UNIQUE INDEX` each. **COPY**: as for the data sets (a `CHECKPOINT` before each, learned and btree alternating,
  medians of 3, WAL by LSN difference), %(copy)s rows per batch: 3 batches of odd ids (absent from the table; one seeded
  shuffle cut into disjoint batches), then 3 of ascending ids after all the others, one apart. **Upserts**:
  `bench/pgbench_upsert.sql` (`INSERT ... ON CONFLICT (id) DO UPDATE SET val = val + 1` on an id uniform in [1, 2N]:
  some insert, the others update), `-M prepared`, 1 and 2 clients, %(pgb)s, 3 runs each, the same `--random-seed` for
  both tables; PostgreSQL 15 to 17 refuse `ON CONFLICT` on a table with a unique learned index, which the harness
  checks first (one upsert, rolled back) and reports instead of timing. **TPC-B-like**: `pgbench -i -s %(scale)s -I dtGv`
  (no primary keys), the branches' and tellers' primary keys added, the accounts given a unique learned or btree index
  on `aid` in place of theirs, `VACUUM ANALYZE`, `CHECKPOINT`, then pgbench's built-in `tpcb-like` script, `-M prepared`,
  %(clients)s clients, %(secs)s s, the learned index's run first and then, on a fresh `pgbench -i` (the same rows), the
  btree's (autovacuum is off, as for every figure: only the indexes' own clean-up runs). Index size by
  `pg_relation_size`; index pages per lookup by `pg_statio_user_indexes` as for the data sets, over %(probes)s aids
  probed in a nested loop, at the start and the end. After each part the harness checks that no id is there twice,
  that each index answers as a seq scan, `learned_index_check`, and for TPC-B that the balances of accounts, tellers,
  branches and history agree.""" % {
        "rows": fmt(u.get("rows")), "copy": fmt(g(u, "copy", "rows")),
        "pgb": ("each run %s s" % pgb[1]) if pgb[:1] == ["-T"] else ("each run %s transactions per client" % pgb[1])
        if len(pgb) == 2 else "pgbench options `%s`" % " ".join(pgb),
        "scale": fmt(tp.get("scale")), "clients": fmt(tp.get("clients")), "secs": fmt(tp.get("seconds")),
        "probes": fmt(min(10000, env.get("probes_other") or env.get("probes") or 10000))}


def build_after(a, b, f=None):
    f = f or fmt
    if a is None and b is None:
        return "–"
    return "%s → %s" % (f(a), f(b))


def model_table(res, names):
    """Issue 4's report: per data set, the learned index at build and after
    the writes (growth): records, leaf pages, pages per lookup, cache bytes."""
    rows = []
    for n in names:
        r = res["datasets"][n]
        if "learned" not in r.get("kinds", []):
            continue
        ib, ia = r.get("info_build") or {}, r.get("info_after") or {}
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n,
            build_after(ib.get("entries"), ia.get("entries")),
            build_after(ib.get("records"), ia.get("records")),
            build_after(ib.get("leaf_pages"), ia.get("leaf_pages")),
            build_after(g(r, "before", "pages_present", "learned"), g(r, "after", "pages_after", "learned")),
            build_after(g(r, "before", "pages_present", "btree"), g(r, "after", "pages_after", "btree")),
            build_after(g(r, "before", "cached_bytes"), g(r, "after", "cached_bytes")),
            fmt(g(r, "before", "cold_pages", "learned"))))
    if not rows:
        return []
    L = ["## The learned index at build and after the writes", "",
         "At build: after CREATE INDEX. After: after the writes (3 COPY batches of random keys, 3 of ascending keys) and "
         "`VACUUM ANALYZE` (whose cleanup may retrain the model). Entries, records and leaf pages from `learned_index_info`; "
         "index pages per lookup from `pg_statio_user_indexes` (warm model cache; at build present keys, after the writes "
         "keys sampled from the whole table); model cache bytes: `learned_index_info.cached_bytes` in the measuring "
         "backend after its timed lookups.",
         "",
         "| data set | entries | records | leaf pages | learned pages per lookup | btree pages per lookup "
         "| model cache, bytes | learned pages, first lookup in a new backend |",
         "|---|---|---|---|---|---|---|---|"] + rows + [""]
    return L


def unique_metrics(u):
    """(label, better, {kind: value}) of the unique-index section."""
    out = []

    def add(label, better, fn):
        out.append((label, better, {k: fn(k) for k in ("learned", "btree")}))

    add("CREATE UNIQUE INDEX ms", "lower", lambda k: g(u, "build_ms", k))
    add("index size after the build, bytes", "lower", lambda k: g(u, "size", k, "bytes"))
    for order in ("random", "ascending"):
        add("COPY of unique %s keys: rows/s" % order, "higher",
            lambda k: g(u, "copy", order, k, "rows_per_s") or copy_timeout({"writes": u.get("copy")}, order, k))
        add("COPY of unique %s keys: WAL bytes" % order, "lower", lambda k: g(u, "copy", order, k, "wal_bytes"))
    add("index size after the COPYs, bytes", "lower", lambda k: g(u, "size_copy", k, "bytes"))
    up = u.get("upsert") or {}
    if not up.get("refused"):
        for c in ("c1", "c2"):
            cl = c[1:]
            add("upsert TPS, %s client(s)" % cl, "higher", lambda k: g(up, c, k, "tps_med"))
            for p in ("p50", "p95", "p99"):
                add("upsert latency %s ms, %s client(s)" % (p, cl), "lower", lambda k: g(up, c, k, p + "_med"))
        add("index size after the upserts, bytes", "lower", lambda k: g(up, "size_after", k, "bytes"))
    tp = u.get("tpcb") or {}
    add("TPC-B-like TPS", "higher", lambda k: g(tp, k, "tps"))
    add("TPC-B-like transactions", "higher", lambda k: g(tp, k, "transactions"))
    add("TPC-B-like latency p50 ms", "lower", lambda k: g(tp, k, "latency", "p50"))
    add("TPC-B-like latency p99 ms", "lower", lambda k: g(tp, k, "latency", "p99"))
    add("accounts index size at the start, bytes", "lower", lambda k: g(tp, k, "size_start", "bytes"))
    add("accounts index size at the end, bytes", "lower", lambda k: g(tp, k, "size_end", "bytes"))
    add("accounts index pages per lookup at the start", "lower", lambda k: g(tp, k, "pages_start"))
    add("accounts index pages per lookup at the end", "lower", lambda k: g(tp, k, "pages_end"))
    add("accounts heap size at the end, bytes", "lower", lambda k: g(tp, k, "heap_end", "bytes"))
    return out


def unique_section(res):
    u = res.get("unique")
    if not u:
        return []
    tp = u.get("tpcb") or {}
    L = ["## Unique indexes", "",
         "A unique learned index against a unique btree index on the same rows in the same run (README \"Unique "
         "indexes\"): `u_learned` and `u_btree`, %s rows each, then the COPYs, then the upserts; then TPC-B-like "
         "pgbench on pgbench's schema (scale %s, %s accounts%s), %s clients for %s s with each index. Measured in %s s."
         % (fmt(u.get("rows")), fmt(tp.get("scale")), fmt(tp.get("accounts")),
            "; the accounts also have a btree index on abalance, so that no update is HOT (BENCH_TPCB_NONHOT=1)"
            if tp.get("nonhot") else "", fmt(tp.get("clients")), fmt(tp.get("seconds")), fmt(u.get("seconds"))), ""]
    refused = g(u, "upsert", "refused")
    if refused:
        L.append("The upsert benchmark did not run: the server refused `INSERT ... ON CONFLICT` on the table with a "
                 "unique learned index (%s), as PostgreSQL 15 to 17 do." % "; ".join(refused.values()))
        L.append("")
    L.append("| metric | learned | btree | learned/btree |")
    L.append("|---|---|---|---|")
    for label, better, vals in unique_metrics(u):
        if all(v is None for v in vals.values()):
            continue
        L.append("| %s (%s is better) | %s | %s | %s |" % (label, better, fmt(vals["learned"]), fmt(vals["btree"]),
                                                          fmt(ratio(vals["learned"], vals["btree"]))))
    L.append("")
    info = g(tp, "learned", "info_end")
    if info:
        L.append("`learned_index_info` of the accounts' learned index after the TPC-B-like run: "
                 + ", ".join("%s %s" % (k, info_value(v)) for k, v in info.items()) + ".")
        L.append("")
    for c in u.get("checks", []):
        L.append("- " + c)
    for c in u.get("notes", []):
        L.append("- Note: " + c)
    L.append("")
    return L


def phase_table(res, names):
    """Seconds per phase and data set, as the run recorded them."""
    sections = {n: res["datasets"][n] for n in names}
    if res.get("unique"):
        sections["unique"] = res["unique"]
    have = [n for n in sections if sections[n].get("phases")]
    if not have:
        return []
    order = []
    secs = {}
    for n in have:
        for ph, t in sections[n]["phases"]:
            if ph not in order:
                order.append(ph)
            secs[(n, ph)] = secs.get((n, ph), 0) + t
    L = ["## Where the time goes", "",
         "Seconds per phase, as this run recorded them (start-up: %s s; total: %s s)."
         % (res.get("setup_seconds"), res.get("total_seconds")), "",
         "| phase | " + " | ".join(have) + " | all |", "|---|" + "---|" * (len(have) + 1)]
    def sec(v):
        return "–" if v is None else "%.1f" % v
    for ph in order:
        vals = [secs.get((n, ph)) for n in have]
        L.append("| %s | %s | %s |" % (ph, " | ".join(sec(v) for v in vals), sec(sum(v for v in vals if v))))
    tot = [sections[n].get("seconds") for n in have]
    L.append("| **%s total** | %s | %s |" % ("section" if "unique" in have else "data set",
                                              " | ".join(sec(v) for v in tot), sec(sum(v for v in tot if v))))
    L.append("")
    return L


# --------------------------------------------------------------------------
def machine_table(env):
    """The machine, the versions and the run's size, as bench.py recorded
    them (without the closing blank line: callers add rows)."""
    L = ["## Machine and versions", "", "| | |", "|---|---|"]
    for k, label in (("cpu", "CPU"), ("cores", "cores"), ("memory", "memory"), ("os", "OS"), ("kernel", "kernel"),
                     ("postgres", "PostgreSQL"), ("compiler", "compiler"), ("learned_am", "learned_am version"),
                     ("commit", "source commit"), ("mode", "mode"), ("rows", "rows per data set"),
                     ("probes", "point-lookup probes per run"),
                     ("probes_other", "point-lookup probes per run, figures no target uses")):
        if k == "probes_other" and env.get(k) in (None, env.get("probes")):
            continue
        if env.get(k) is None and env.get("mode") == "growth":
            continue  # what the growth mode does not record (it names its sizes below)
        L.append("| %s | %s |" % (label, fmt(env.get(k)) if isinstance(env.get(k), (int, float)) else env.get(k)))
    return L


def failure_lines(res):
    """The failures a run recorded (BENCH_KEEP_GOING=1), if any."""
    if not res.get("failures"):
        return []
    L = ["", "**This run found %d failure(s)** (the harness exits non-zero):" % len(res["failures"]), ""]
    for f_ in res["failures"]:
        L.append("- `" + f_.replace("\n", " ")[:400] + "`")
    return L


def write_report(res, out, charts, work):
    per_targets = write_targets(res, out)
    chart_files = make_charts(res, out, charts, work)
    env = res.get("env", {})
    L = []
    L.append("# Benchmark results: learned against btree, hash and BRIN")
    L.append("")
    L.append("Written by `bench/run.sh%s` on %s; nothing here is typed by hand (raw figures: `results.json`). "
             "Where the targets stand: [targets.md](targets.md)."
             % (" --quick" if env.get("mode") == "quick" else "", env.get("date")))
    if env.get("mode") != "quick":
        L.append("")
        L.append("100M rows (learned against btree on `sparse` and `timestamps`, the learned index alone on the "
                 "other data sets) and growth from 1M rows are runs of their own: "
                 "[RESULTS-scale.md](RESULTS-scale.md) (`--scale`), [RESULTS-growth.md](RESULTS-growth.md) (`--growth`).")
    L.append("")
    L.extend(machine_table(env))
    L.append("| total run time | %s s (where it goes: [below](#where-the-time-goes)) |" % fmt(res.get("total_seconds"))
             if any(res["datasets"][n].get("phases") for n in res["datasets"]) else
             "| total run time | %s s |" % fmt(res.get("total_seconds")))
    L.append("")
    L.append("Server settings, the same for every index: " + ", ".join(
        "`%s = %s`" % (k, v) for k, v in sorted(env.get("settings", {}).items())) + ".")
    L.append("")
    L.append("## Method")
    L.append("")
    L.append(method_text(res))
    if res.get("unique"):
        L.append(unique_method(res))
    for note in res.get("notes", []):
        L.append("- **Note**: " + note)
    if res.get("reductions"):
        L.append("- **Reductions** (to keep the data sets' part of the full run under 30 minutes on 2 cores): "
                 + "; ".join(res["reductions"]) + ".")
    L.extend(failure_lines(res))
    L.append("")
    L.append("## Ratios learned / btree")
    L.append("")
    L.append("Below 1 is better for time, size, pages and WAL; above 1 is better for rows/s and TPS.")
    L.append("")
    if "ratios_lower" in chart_files:
        L.append("![lower is better](charts/ratios_lower.png)")
        L.append("")
    if "ratios_higher" in chart_files:
        L.append("![higher is better](charts/ratios_higher.png)")
        L.append("")
    names = dataset_names(res)
    all_metrics = {n: metrics(res["datasets"][n]) for n in names}
    if names:
        L.append("| metric | " + " | ".join(names) + " |")
        L.append("|---|" + "---|" * len(names))
        for i, (sec, label, better, _) in enumerate(all_metrics[names[0]]):
            cells = []
            for n in names:
                vals = all_metrics[n][i][3]
                cells.append(fmt(ratio(vals.get("learned"), vals.get("btree"))))
            if all(c == "–" for c in cells):
                continue
            L.append("| %s (%s is better) | %s |" % (label, better, " | ".join(cells)))
        L.append("")
    L.extend(model_table(res, names))
    for n in names:
        r = res["datasets"][n]
        L.append("## Data set `%s`" % n)
        L.append("")
        L.append("%s. %s rows, %s distinct keys (%s), keys %s .. %s, heap %s pages, heap/key correlation %s; indexes: %s; "
                 "measured in %s s."
                 % (r["description"][0].upper() + r["description"][1:], fmt(r.get("rows")), fmt(r.get("distinct")),
                    "unique" if r.get("unique") else "with duplicates", r.get("min"), r.get("max"),
                    fmt(r.get("heap_pages")), fmt(r.get("correlation")), ", ".join(r.get("kinds", [])), fmt(r.get("seconds"))))
        L.append("")
        if r.get("absent_beyond_max"):
            L.append("%s of the absent probes lie beyond the largest key (too few gaps inside)." % fmt(r["absent_beyond_max"]))
            L.append("")
        cols = [k for k in KIND_COLS if k in r.get("kinds", []) or k == "noidx"]
        L.append("| metric | " + " | ".join(KIND_NAMES[k] for k in cols) + " | learned/btree |")
        L.append("|---|" + "---|" * len(cols) + "---|")
        for sec, label, better, vals in all_metrics[n]:
            if all(vals.get(k) is None for k in cols):
                continue
            cells = [fmt(vals.get(k)) for k in cols]
            L.append("| %s | %s | %s |" % (label, " | ".join(cells), fmt(ratio(vals.get("learned"), vals.get("btree")))))
        L.append("")
        for which, title in (("info_build", "after build"), ("info_after", "after the writes and VACUUM")):
            info = r.get(which)
            if info:
                L.append("`learned_index_info` %s: " % title + ", ".join("%s %s" % (k, info_value(v))
                                                                      for k, v in info.items()) + ".")
                L.append("")
        if "cdf_" + n in chart_files:
            L.append("![key distribution and model fit: %s](charts/cdf_%s.png)" % (n, n))
            L.append("")
        if r.get("model_source") == "learned_index_model":
            L.append("The chart's model is the index's own, as `learned_index_model()` reads it from the model pages "
                     "after the build (%s records over %s leaf pages): for each of the CDF's keys, the leaf page its "
                     "record's fit predicts (the key routed to the last record whose first key is below it), as a "
                     "fraction of the leaf pages; and each record's error bounds err_lo and err_hi in leaf pages "
                     "(widest window err_lo + err_hi: %s)."
                     % (fmt(r.get("model_records")), fmt(r.get("model_leaf_pages")), fmt(r.get("model_max_err"))))
        else:
            L.append("The model could not be read from the index (%s); the chart shows the key CDF only."
                     % r.get("model_error", "no records"))
        L.append("")
        for c in r.get("checks", []):
            L.append("- " + c)
        for c in r.get("notes", []):
            L.append("- Note: " + c)
        L.append("")
    L.extend(unique_section(res))
    L.append("## Targets")
    L.append("")
    with open(os.path.join(out, "targets.md")) as f:
        body = f.read().split("\n", 2)[2]
    L.append(body)
    L.extend(phase_table(res, names))
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# --------------------------------------------------------------------------
def gnuplot(script):
    p = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("gnuplot failed: " + p.stderr[-1500:])


def make_charts(res, out, charts, work):
    made = set()
    os.makedirs(charts, exist_ok=True)
    names = dataset_names(res)
    groups = {
        "lower": [("point ns, index-only, present", lambda r: ratio(g(r, "before", "present_indexonly", "learned", "ns"),
                                                                     g(r, "before", "present_indexonly", "btree", "ns"))),
                  ("point ns, index scan, present", lambda r: ratio(g(r, "before", "present_index", "learned", "ns"),
                                                                     g(r, "before", "present_index", "btree", "ns"))),
                  ("index pages per lookup", lambda r: ratio(g(r, "before", "pages_present", "learned"),
                                                              g(r, "before", "pages_present", "btree"))),
                  ("index size", lambda r: ratio(g(r, "size", "learned", "bytes"), g(r, "size", "btree", "bytes"))),
                  ("CREATE INDEX time", lambda r: ratio(med(g(r, "build_ms", "learned")), med(g(r, "build_ms", "btree")))),
                  ("WAL bytes, COPY random", lambda r: ratio(g(r, "writes", "random", "learned", "wal_bytes"),
                                                              g(r, "writes", "random", "btree", "wal_bytes"))),
                  ("point ns after writes", lambda r: ratio(g(r, "after", "after_indexonly", "learned", "ns"),
                                                             g(r, "after", "after_indexonly", "btree", "ns")))],
        "higher": [("range rows/s, index-only, ~100", lambda r: ratio(g(r, "ranges", "r100_indexonly", "learned", "rows_per_s"),
                                                                       g(r, "ranges", "r100_indexonly", "btree", "rows_per_s"))),
                   ("range rows/s, index-only, ~10K", lambda r: ratio(g(r, "ranges", "r10k_indexonly", "learned", "rows_per_s"),
                                                                       g(r, "ranges", "r10k_indexonly", "btree", "rows_per_s"))),
                   ("range rows/s, index-only, 1%", lambda r: ratio(g(r, "ranges", "r1pct_indexonly", "learned", "rows_per_s"),
                                                                     g(r, "ranges", "r1pct_indexonly", "btree", "rows_per_s"))),
                   ("COPY rows/s, random", lambda r: ratio(g(r, "writes", "random", "learned", "rows_per_s"),
                                                            g(r, "writes", "random", "btree", "rows_per_s"))),
                   ("COPY rows/s, ascending", lambda r: ratio(g(r, "writes", "ascending", "learned", "rows_per_s"),
                                                               g(r, "writes", "ascending", "btree", "rows_per_s"))),
                   ("pgbench TPS, 1 client", lambda r: ratio(g(r, "pgbench", "c1", "learned", "tps_med"),
                                                              g(r, "pgbench", "c1", "btree", "tps_med"))),
                   ("pgbench TPS, 2 clients", lambda r: ratio(g(r, "pgbench", "c2", "learned", "tps_med"),
                                                               g(r, "pgbench", "c2", "btree", "tps_med")))],
    }
    for grp, series in groups.items():
        dat = os.path.join(work, "ratios_%s.dat" % grp)
        with open(dat, "w") as f:
            f.write("dataset " + " ".join('"%s"' % s[0] for s in series) + "\n")
            for n in names:
                r = res["datasets"][n]
                vals = [s[1](r) for s in series]
                f.write(n + " " + " ".join("%.6g" % v if v else "NaN" for v in vals) + "\n")
        title = ("learned / btree, lower is better (1 = parity)" if grp == "lower"
                 else "learned / btree, higher is better (1 = parity)")
        plot = ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" % (dat, i + 2, i + 2) if i == 0
                         else "'' using %d title columnheader(%d)" % (i + 2, i + 2) for i in range(len(series)))
        script = """
set terminal pngcairo size 1200,560 font ',10'
set output '%s'
set termoption noenhanced
set title '%s'
set style data histogram
set style histogram clustered gap 1.5
set style fill solid 0.85 border -1
set logscale y 2
set yrange [0.0625:16]
set grid ytics
set key outside right top vertical
set ylabel 'ratio learned / btree'
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
plot %s
""" % (os.path.join(charts, "ratios_%s.png" % grp), title, plot)
        try:
            gnuplot(script)
            made.add("ratios_" + grp)
        except RuntimeError as e:
            print(str(e))
    datadir = os.path.join(charts, "data")
    os.makedirs(datadir, exist_ok=True)
    for n in names:
        r = res["datasets"][n]
        # Keep the charts' data next to them (small), so they can be redrawn.
        for f in ("cdf_file", "fit_file", "err_file"):
            p = r.get(f)
            if p and os.path.exists(p) and os.path.dirname(os.path.abspath(p)) != os.path.abspath(datadir):
                shutil.copy(p, datadir)
            if p:
                r[f] = os.path.join(datadir, os.path.basename(p))
        cdf = r.get("cdf_file")
        if not cdf or not os.path.exists(cdf):
            continue
        # A log key axis where the keys crowd at the low end (the median key
        # in the lowest hundredth of the key range), e.g. lognormal.
        with open(cdf) as f:
            cdf_keys = [int(line.split()[0]) for line in f if line.strip()]
        median_key = cdf_keys[len(cdf_keys) // 2] if cdf_keys else 0
        skewed = (cdf_keys and cdf_keys[0] > 0
                  and median_key - cdf_keys[0] < (cdf_keys[-1] - cdf_keys[0]) / 100)
        logx = "set logscale x 10" if skewed else "unset logscale x"
        png = os.path.join(charts, "cdf_%s.png" % n)
        info = r.get("info_build") or {}
        sub = ""
        if info:
            sub = "root %s, records %s, mean window %s pages, max window %s, expected pages/lookup %s" % (
                info.get("root_type"), info.get("records"), fmt(info.get("mean_window")), info.get("max_window"),
                fmt(info.get("expected_pages_per_lookup")))
        if r.get("model_source") == "learned_index_model":
            script = """
set terminal pngcairo size 1200,900 font ',10'
set output '%(png)s'
set termoption noenhanced
set multiplot layout 2,1 title 'data set %(n)s: %(sub)s'
%(logx)s
set title 'key CDF and the model (learned_index_model after the build): predicted leaf page of each key / leaf pages'
set xlabel 'key'
set ylabel 'fraction of keys / of leaf pages'
set key left top
set grid
set format x '%%.3g'
set yrange [0:1]
plot '%(cdf)s' using 1:2 with lines lw 3 lc rgb '#1f77b4' title 'CDF of the keys (2001 quantiles)', \\
     '%(fit)s' using 1:3 with lines lw 1 lc rgb '#d62728' title 'model: predicted leaf page (centre) / leaf pages'
set title 'error bounds per record: the leaf a key is on lies in [predicted - err_lo, predicted + err_hi]'
set xlabel 'record (key order)'
set ylabel 'leaf pages'
unset logscale x
set format x '%%g'
set yrange [*<-1:1<*]
set xrange [-1:%(nrec)d]
set xzeroaxis lt -1
plot '%(err)s' using 1:3 with impulses lw 2 lc rgb '#2ca02c' title '+err_hi', \\
     '%(err)s' using 1:(-$2) with impulses lw 2 lc rgb '#9467bd' title '-err_lo'
unset multiplot
""" % {"png": png, "n": n, "sub": sub, "cdf": cdf, "fit": r["fit_file"], "err": r["err_file"], "logx": logx,
       "nrec": r.get("model_records", 1)}
        else:
            script = """
set terminal pngcairo size 1200,500 font ',10'
set output '%(png)s'
set termoption noenhanced
%(logx)s
set title 'data set %(n)s: key distribution (CDF); %(sub)s'
set xlabel 'key'
set ylabel 'fraction of keys'
set grid
set format x '%%.3g'
plot '%(cdf)s' using 1:2 with lines lw 2 title 'CDF of the keys'
""" % {"png": png, "n": n, "sub": sub, "cdf": cdf, "logx": logx}
        try:
            gnuplot(script)
            made.add("cdf_" + n)
        except RuntimeError as e:
            print(str(e))
    return made


# --------------------------------------------------------------------------
# The scale mode (bench/run.sh --scale, issue 13): RESULTS-scale.md.
# --------------------------------------------------------------------------
SCALE_ROWS = 100000000  # the size; a smaller run says so


def scale_metrics(r, pbuild, workers):
    """[(label, learned, btree, note)] for one data set of the scale run."""
    b = r.get("build_ms", {})
    cold = r.get("cold", {})
    rng = r.get("range", {})
    na = "not supported by the server"
    m = []
    for w in workers:
        m.append(("CREATE INDEX ms, %d worker%s" % (w, "" if w == 1 else "s"),
                  *(b.get("%s_%d" % (k, w)) if w == 0 or pbuild.get(k) else na for k in ("learned", "btree")),
                  "" if w == 0 or pbuild.get("learned") else "parallel CREATE INDEX of a non-btree index needs "
                  "PostgreSQL 17+"))
    m.append(("index size, MB", *(g(r, "size", k) / 1048576.0 if g(r, "size", k) is not None else None
                                  for k in ("learned", "btree")), ""))
    m.append(("index-only probe ns", g(r, "probe_ns", "learned", "ns"), g(r, "probe_ns", "btree", "ns"),
              "nested loop over %s present keys" % fmt(r.get("probes"))))
    m.append(("index pages per lookup, warm (pg_statio)", g(r, "pages_warm", "learned"), g(r, "pages_warm", "btree"), ""))
    for key, label in (("node_first", "fresh session, 1st lookup: scan node's shared hits + reads"),
                       ("node_avg", "fresh session, first 100 lookups: scan node's shared hits + reads, mean"),
                       ("node_minus_vm_first", "the same, 1st lookup, less the visibility-map page and heap fetches"),
                       ("node_minus_vm_avg", "the same, mean of 100, less the visibility-map page and heap fetches"),
                       ("statio_first", "fresh session, 1st lookup: the index's pages (pg_statio, planning included)"),
                       ("statio_avg", "fresh session, first 100 lookups: the index's pages (pg_statio), mean")):
        m.append((label, g(cold, "learned", key), g(cold, "btree", key), ""))
    for w in (0, 2):
        note = ""
        if w:
            launched = ", ".join("%s %s" % (k, g(rng, "workers_launched", "%s_2" % k)) for k in ("learned", "btree"))
            forced = [k for k in ("learned", "btree") if g(rng, "forced", "%s_%d" % (k, w))]
            note = "workers launched: " + launched + ("; parallel plan forced (parallel_setup_cost = 0 ...) for "
                                                       + ", ".join(forced) if forced else "")
        m.append(("1%% range aggregate ms, %d workers" % w, g(rng, "learned_%d" % w, "ms"),
                  g(rng, "btree_%d" % w, "ms"), note))
    m.append(("backend's cached_bytes after the probes", r.get("cached_bytes"), None,
              "learned_index_info(); btree keeps no such cache"))
    return m


def info_and_checks(L, when, info, checks):
    """learned_index_info's line (when: "after the build", ...) and the
    run's checks, one bullet each."""
    if info:
        L.append("`learned_index_info` %s: " % when + ", ".join(
            "%s %s" % (k, info_value(v)) for k, v in info.items()) + ".")
        L.append("")
    for c in checks:
        L.append("- " + c)
    L.append("")


def targets_table(L, names, per):
    """A table of targets, a column per data set or run: per[name] lists
    (label, value, met) in the same order for every name."""
    L.append("| target | " + " | ".join(names) + " |")
    L.append("|---|" + "---|" * len(names))
    if names:
        for i, (label, _, _) in enumerate(per[names[0]]):
            L.append("| %s | %s |" % (label, " | ".join(per[n][i][1] + mark(per[n][i][2]) for n in names)))


def scale_targets(r, pbuild, workers):
    """[(target, shown, met)] for one data set (issue 13's targets)."""
    t = []

    def row(label, x, limit):
        t.append((label, fmt(x) + "x" if x is not None else "–", None if x is None else x <= limit))

    row("index-only probe ns <= 0.5x btree", ratio(g(r, "probe_ns", "learned", "ns"), g(r, "probe_ns", "btree", "ns")), 0.5)
    p = g(r, "pages_warm", "learned")
    t.append(("index pages per lookup (warm) = 1.0", "–" if p is None else "%.4f" % p, None if p is None else p <= 1.0))
    row("index size <= 0.5x btree", ratio(g(r, "size", "learned"), g(r, "size", "btree")), 0.5)
    for w in workers:
        label = "CREATE INDEX time, %d worker%s, <= 0.5x btree's" % (w, "" if w == 1 else "s")
        if w == 0 or pbuild.get("learned"):
            row(label, ratio(g(r, "build_ms", "learned_%d" % w), g(r, "build_ms", "btree_%d" % w)), 0.5)
        else:
            t.append((label, "not supported by the server", None))
    return t


def scale_pages_only(res, names):
    """The other data sets at the scale size: the learned index alone, its
    pages per lookup against the issue's page targets."""
    L = ["## The other data sets: the learned index alone", "",
         "The remaining data sets of the full mode at the same size, the learned index alone (no btree: its "
         "pages per lookup are its height): CREATE INDEX with 0 workers, then %s present keys looked up warm "
         "(pages as above; their count equals a sequential scan's) and a fresh session's first 100 lookups "
         "(the index's own pages, pg_statio, planning included)." % fmt(min(10000, res.get("env", {}).get("probes") or 0)),
         ""]
    per = {}
    for n in names:
        r = res["pages_only"][n]
        p = r.get("pages_warm")
        first, avg = g(r, "cold", "learned", "statio_first"), g(r, "cold", "learned", "statio_avg")
        per[n] = [
            ("index pages per lookup (warm) = 1.0", "–" if p is None else "%.4f" % p, None if p is None else p <= 1.0),
            ("fresh session, 1st lookup <= 3 index pages", fmt(first), None if first is None else first <= 3),
            ("fresh session, mean of the first 100 <= 2 index pages", fmt(avg), None if avg is None else avg <= 2),
        ]
    targets_table(L, names, per)
    L.append("")
    L.append("| data set | rows | CREATE INDEX ms | size, MB | records | levels | root | leaf pages "
             "| cached_bytes after the probes | measured in, s |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        r = res["pages_only"][n]
        i = r.get("info_build") or {}
        size = r.get("size")
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n, fmt(r.get("rows")), fmt(r.get("build_ms")), fmt(size / 1048576.0 if size is not None else None),
            fmt(i.get("records")), fmt(i.get("levels")), i.get("root_type", "–"), fmt(i.get("leaf_pages")),
            fmt(r.get("cached_bytes")), fmt(r.get("seconds"))))
    L.append("")
    for n in names:
        r = res["pages_only"][n]
        L.append("- `%s`: %s. " % (n, r["description"]) + "; ".join(r.get("checks", [])))
    L.append("")
    return L


def write_scale_report(res, out):
    env = res.get("env", {})
    names = dataset_names(res)
    pbuild = res.get("parallel_build", {})
    workers = res.get("build_workers", [0, 2])
    L = ["# Scale benchmark: learned against btree on %s rows" % fmt(env.get("rows")), ""]
    L.append("Written by `bench/run.sh --scale` on %s; nothing here is typed by hand (raw figures: "
             "`results-scale.json`). The smaller data sets and every other figure: [RESULTS.md](RESULTS.md)."
             % env.get("date"))
    if (env.get("rows") or 0) < SCALE_ROWS:
        L.append("")
        L.append("**This run had %s rows per data set (BENCH_SCALE_ROWS), not the %s the targets are set for.**"
                 % (fmt(env.get("rows")), fmt(SCALE_ROWS)))
    L.append("")
    L.extend(machine_table(env))
    L.append("| total run time | %s s ([where it goes](#where-the-time-goes)) |" % fmt(res.get("total_seconds")))
    L.append("")
    L.append("Server settings: " + ", ".join("`%s = %s`" % (k, v) for k, v in sorted(env.get("settings", {}).items()))
             + ". Parallel workers only where a figure names them, set per statement.")
    L.append("")
    L.append("## Method")
    L.append("")
    L.append("- Per data set one table per index (`id int8, val int8`), loaded from the same file in the same order "
             "(COPY FREEZE: every page all-visible), `parallel_workers = 2` on each.")
    L.append("- CREATE INDEX: one build per index and number of workers (`max_parallel_maintenance_workers` %s in turn), "
             "learned and btree alternating, a CHECKPOINT before each; the index measured next is the last one built. "
             "PostgreSQL before 17 has no parallel CREATE INDEX for an access method other than btree: the 2-worker "
             "builds of learned are then \"not supported by the server\"." % ", ".join(str(w) for w in workers))
    L.append("- Probes: nested-loop index-only lookups of present keys sampled from the table, one backend per index, "
             "indexes prewarmed, ns per probe, median of 3 runs. Warm pages per lookup: the index's "
             "`pg_statio_user_indexes` hits + reads over %s of those lookups, divided by their number."
             % fmt(min(10000, env.get("probes") or 0)))
    L.append("- Fresh session: a new connection per index runs the same 100 random present keys, one "
             "`EXPLAIN (ANALYZE, BUFFERS) SELECT id ... WHERE id = key` each (index-only). The scan node's shared "
             "hits + reads count one visibility-map page per lookup for either index (and any heap page fetched); "
             "the rows \"less the visibility-map page\" take that page and the heap fetches off. The pg_statio rows "
             "count the index's own pages in that session, planning included (a model or metapage read at planning "
             "time shows there, not in the scan node).")
    L.append("- 1% range aggregate: `count(*)` and `sum(id)` over the keys from the 40th to the 41st percentile, "
             "index-only, with `max_parallel_workers_per_gather` 0 and 2 (a parallel index-only scan; where the planner "
             "would not choose 2 workers at this size, the parallel costs are set to 0 and the table says so); ms per "
             "query, median of 3 runs; every answer equals a sequential scan's.")
    L.append("- `cached_bytes`: `learned_index_info()` in the learned probe backend after its probes.")
    for note in res.get("notes", []):
        L.append("- **Note**: " + note)
    L.extend(failure_lines(res))
    L.append("")
    L.append("## Targets")
    L.append("")
    targets_table(L, names, {n: scale_targets(res["datasets"][n], pbuild, workers) for n in names})
    L.append("")
    for n in names:
        r = res["datasets"][n]
        L.append("## Data set `%s`" % n)
        L.append("")
        L.append("%s. %s rows, heap %s pages; 1%% range: %s rows; measured in %s s."
                 % (r["description"][0].upper() + r["description"][1:], fmt(r.get("rows")), fmt(r.get("heap_pages")),
                    fmt(g(r, "range", "rows")), fmt(r.get("seconds"))))
        L.append("")
        L.append("| metric | learned | btree | learned/btree | |")
        L.append("|---|---|---|---|---|")
        for label, lv, bv, note in scale_metrics(r, pbuild, workers):
            L.append("| %s | %s | %s | %s | %s |" % (label, fmt(lv), fmt(bv), fmt(ratio(lv, bv)), note))
        L.append("")
        info_and_checks(L, "after the build", r.get("info_build"), r.get("checks", []))
    pages_names = [n for n in res.get("pages_order", []) if n in res.get("pages_only", {})]
    if pages_names:
        L.extend(scale_pages_only(res, pages_names))
    L.extend(phase_table({"datasets": dict(res["datasets"], **res.get("pages_only", {})),
                          "setup_seconds": res.get("setup_seconds"), "total_seconds": res.get("total_seconds")},
                         names + pages_names))
    with open(os.path.join(out, "RESULTS-scale.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# --------------------------------------------------------------------------
# --growth (issue 13's growth target)
# --------------------------------------------------------------------------
GROWTH_START = 1000000  # the sizes; a run at other sizes says so
GROWTH_ROWS = 100000000
GROWTH_PAGES_TARGET = 1.05


def growth_max_pages(r, k):
    vals = [g(m, k, "pages_per_lookup") for m in r.get("marks", [])]
    vals = [v for v in vals if v is not None]
    return max(vals) if vals else None


def growth_targets(r):
    """[(target, shown, met)] for one growth run."""
    marks = r.get("marks", [])
    pl = growth_max_pages(r, "learned")
    pb = growth_max_pages(r, "btree")
    last = marks[-1] if marks else {}
    return [
        ("index pages per lookup <= %.2f at every mark (largest seen)" % GROWTH_PAGES_TARGET,
         "–" if pl is None else "%.3f (btree %s)" % (pl, "–" if pb is None else "%.3f" % pb),
         None if pl is None else pl <= GROWTH_PAGES_TARGET),
        ("retrains, all by VACUUM (the harness runs none)",
         "%s (autovacuums of the table: %s)" % (fmt(g(last, "learned", "retrains")), fmt(g(last, "learned", "autovacuums"))),
         None),
        ("answers equal a sequential scan; learned_index_check passes at the end",
         "yes" if r.get("checks") and not any(c.startswith("FAILED") for c in r["checks"]) else "no",
         bool(r.get("checks")) and not any(c.startswith("FAILED") for c in r["checks"])),
    ]


def growth_tables(r):
    marks = r.get("marks", [])
    mb = 1048576.0

    def ppl(m, k):
        v = g(m, k, "pages_per_lookup")
        return "–" if v is None else "%.3f" % v

    L = ["| rows | learned pages per lookup | btree pages per lookup | learned levels of records | btree levels "
         "| learned size, MB | btree size, MB | learned/btree size | learned expected pages per lookup |",
         "|---|---|---|---|---|---|---|---|---|"]
    for m in marks:
        sl, sb = g(m, "learned", "size"), g(m, "btree", "size")
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            fmt(m["rows"]), ppl(m, "learned"), ppl(m, "btree"), fmt(g(m, "learned", "info", "levels")),
            fmt(g(m, "btree", "levels")), fmt(sl / mb if sl is not None else None),
            fmt(sb / mb if sb is not None else None), fmt(ratio(sl, sb)),
            fmt(g(m, "learned", "info", "expected_pages_per_lookup"))))
    L.append("")
    L.append("| rows | records | leaf pages | splits since the fits | unlisted splits | generation | retrains so far "
             "| autovacuums so far, learned / btree table | mean / max window, pages | cached_bytes | cache_budget |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for m in marks:
        i = g(m, "learned", "info") or {}
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |" % (
            fmt(m["rows"]), fmt(i.get("records")), fmt(i.get("leaf_pages")), fmt(i.get("splits")),
            fmt(i.get("unlisted_splits")), fmt(i.get("generation")), fmt(g(m, "learned", "retrains")),
            fmt(g(m, "learned", "autovacuums")), fmt(g(m, "btree", "autovacuums")),
            fmt(i.get("mean_window")), fmt(i.get("max_window")), fmt(i.get("cached_bytes")), fmt(i.get("cache_budget"))))
    L.append("")
    L.append("| rows | inserted since the last mark | learned rows/s | btree rows/s | learned/btree "
             "| load average (1 min) at the mark |")
    L.append("|---|---|---|---|---|---|")
    prev = None
    for m in marks:
        if prev is not None:
            rl, rb = g(m, "learned", "insert_rows_per_s"), g(m, "btree", "insert_rows_per_s")
            L.append("| %s | %s | %s | %s | %s | %s |" % (fmt(m["rows"]), fmt(m["rows"] - prev), fmt(rl), fmt(rb),
                                                     fmt(ratio(rl, rb)), fmt(m.get("loadavg"))))
        prev = m["rows"]
    L.append("")
    return L


def write_growth_report(res, out):
    env = res.get("env", {})
    names = [n for n in res.get("order", []) if n in res["runs"]] or list(res["runs"])
    start, final, rnd = env.get("start_rows"), env.get("final_rows"), env.get("random_rows")
    L = ["# Growth benchmark: learned against btree, built on %s rows and grown by inserts" % fmt(start), ""]
    L.append("Written by `bench/run.sh --growth` on %s; nothing here is typed by hand (raw figures: "
             "`results-growth.json`). The other figures: [RESULTS.md](RESULTS.md)." % env.get("date"))
    if (start, final, rnd) != (GROWTH_START, GROWTH_ROWS, 10 * GROWTH_START):
        L.append("")
        L.append("**This run grew from %s rows to %s (appends) and %s (random inserts), not the %s to %s and %s "
                 "the target is set for (BENCH_GROWTH_START, BENCH_GROWTH_ROWS, BENCH_GROWTH_RANDOM_ROWS): a "
                 "trial of the mode.**" % (fmt(start), fmt(final), fmt(rnd), fmt(GROWTH_START), fmt(GROWTH_ROWS),
                                            fmt(10 * GROWTH_START)))
    la = env.get("loadavg_start")
    cores = env.get("cores") or 1
    busy = [x for x in [la] + [m.get("loadavg") for n in names for m in res["runs"][n].get("marks", [])]
            if x is not None and x > 0.5 * cores]
    if busy:
        L.append("")
        L.append("**The machine was busy during this run (1-minute load average up to %s on %s cores, other work "
                 "than this run's included): its timings (CREATE INDEX ms, insert rows/s) are noise; page counts, "
                 "sizes and the model's figures are not timings and stand.**" % (fmt(max(busy)), fmt(cores)))
    L.append("")
    L.extend(machine_table(env))
    L.append("| rows at the start | %s |" % fmt(start))
    L.append("| rows at the end: appends / random inserts | %s / %s |" % (fmt(final), fmt(rnd)))
    L.append("| rows per INSERT (batch) | %s |" % fmt(env.get("batch_rows")))
    L.append("| probes per pages-per-lookup count | %s |" % fmt(env.get("growth_probes")))
    L.append("| 1-minute load average at the start | %s |" % fmt(env.get("loadavg_start")))
    L.append("| total run time | %s s ([where it goes](#where-the-time-goes)) |" % fmt(res.get("total_seconds")))
    L.append("")
    L.append("Server settings: " + ", ".join("`%s = %s`" % (k, v) for k, v in sorted(env.get("settings", {}).items()))
             + ". Autovacuum runs at the server's defaults; the harness never runs VACUUM or "
             "`learned_index_retrain` on an index.")
    L.append("")
    L.append("## Method")
    L.append("")
    L.append("- Per run two tables, `t_learned` and `t_btree` (`id` of the run's type, `val int8`), each with one index on "
             "`id`, given "
             "the same rows in the same order: the first %s rows, then `VACUUM (FREEZE, ANALYZE)` and CREATE INDEX; "
             "then INSERT ... SELECT batches of %s rows from one staging table into each (learned and btree "
             "alternating which goes first), timed per index." % (fmt(start), fmt(env.get("batch_rows"))))
    L.append("- Marks: after the first batch that reaches each 10x of the start and each quarter of the growth "
             "(and once after the build). At each: %s present keys sampled from the table (`TABLESAMPLE`), one "
             "new backend per index runs them once as a nested-loop index-only join to warm its model cache, then "
             "again, counting the index's buffer hits + reads (as the scale mode counts pages per lookup, but from "
             "the backend's own transaction counters, `pg_stat_get_xact_blocks_fetched`, so that an autovacuum "
             "reading the index meanwhile is not counted) divided by the probes; both joins must find the same rows, at least one per probe. "
             "`learned_index_info` is read in the learned backend after its probes (so `cached_bytes` is what "
             "those lookups loaded)." % fmt(env.get("growth_probes")))
    L.append("- Retrains: the metapage's `model_version`, which only a retrain bumps, read with `pageinspect` "
             "(checked against `learned_index_info`'s generation read beside it), less its value after the build. "
             "No retrain is run by hand, so each one is VACUUM's cleanup, here autovacuum's (an insert-only table is "
             "vacuumed after `autovacuum_vacuum_insert_threshold` + `autovacuum_vacuum_insert_scale_factor` x "
             "rows inserts). Autovacuums: `pg_stat_user_tables.autovacuum_count` of each table, which counts a VACUUM "
             "when it ends (its statistics reach the server later still), so a retrain in a VACUUM's cleanup can "
             "show at a mark before that VACUUM does.")
    L.append("- Learned expected pages per lookup: `learned_index_info`'s `expected_pages_per_lookup`, an estimate "
             "by the cost model with the backend's cache budget now (1% of the index as it is at that mark, at most "
             "4 MB), not the build's `cache_budget`.")
    L.append("- Insert rows/s: rows inserted since the previous mark over the seconds the INSERTs into that table "
             "took (each INSERT reads the staging table, so the figure includes that read and the heap insert).")
    L.append("- At the end: %s sample queries (points present, absent, at both ends, ranges, the newest keys, "
             "`= ANY`, ordered scans both ways) through each index as index, index-only and bitmap scans equal a "
             "sequential scan of the same table, and both tables' sequential scans agree; then "
             "`learned_index_check(heapallindexed => true)`."
             % fmt(max([res["runs"][n].get("check_queries") or 0 for n in names] or [0])))
    for note in res.get("notes", []):
        L.append("- **Note**: " + note)
    L.extend(failure_lines(res))
    L.append("")
    L.append("## Targets")
    L.append("")
    targets_table(L, names, {n: growth_targets(res["runs"][n]) for n in names})
    L.append("")
    for n in names:
        r = res["runs"][n]
        L.append("## Run `%s`" % n)
        L.append("")
        L.append("%s; `id %s`; %s to %s rows in %s batches; CREATE INDEX on %s rows: learned %s ms, btree %s ms; "
                 "the run took %s s." % (r["description"][0].upper() + r["description"][1:], r.get("type"),
                                         fmt(r.get("start")), fmt(r.get("final")), fmt(r.get("batches")),
                                         fmt(r.get("start")), fmt(g(r, "build_ms", "learned")),
                                         fmt(g(r, "build_ms", "btree")), fmt(r.get("seconds"))))
        L.append("")
        L.extend(growth_tables(r))
        marks = r.get("marks", [])
        info_and_checks(L, "at the end", g(marks[-1], "learned", "info") if marks else None, r.get("checks", []))
    L.extend(phase_table({"datasets": res["runs"], "setup_seconds": res.get("setup_seconds"),
                          "total_seconds": res.get("total_seconds")}, names))
    with open(os.path.join(out, "RESULTS-growth.md"), "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    import json
    import sys
    # python3 bench/report.py OUTDIR [WORKDIR]: rewrite the report from OUTDIR/results.json
    o = sys.argv[1]
    with open(os.path.join(o, "results.json")) as f:
        res = json.load(f)
    write_report(res, o, os.path.join(o, "charts"), sys.argv[2] if len(sys.argv) > 2 else o)
