
# Parallel scans racing splits: pgbench clients insert keys all over the
# index (600 keys into one leaf's range, at fillfactor 100: every insert
# splits a leaf) and delete some while VACUUM runs in a loop; readers run
# parallel index-only scans (a range aggregate under Gather), parallel
# index scans and ordered parallel scans (Gather Merge, forward and backward) over most of the
# index, each compared with a sequential scan in the same REPEATABLE READ
# snapshot, which the parallel workers share with their leader.  A leaf
# split while the participants walk the chain must neither lose an entry
# nor hand one to two participants (README, "Parallel scans").  Afterwards
# the plans are checked to be parallel with workers launched, and the index
# to equal a sequential scan.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $duration = 15;    # seconds of concurrent work

my $node = PostgreSQL::Test::Cluster->new('parallel_scan');
$node->init;
$node->append_conf('postgresql.conf', qq{
max_connections = 30
max_worker_processes = 16
max_parallel_workers = 16
autovacuum = off
deadlock_timeout = 100ms
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	SELECT setseed(0.5);
	CREATE TABLE t (id int8, val int4 NOT NULL DEFAULT 0);
	INSERT INTO t SELECT (random() * 1000000)::int8, 0 FROM generate_series(1, 150000);
	INSERT INTO t (id) SELECT NULL FROM generate_series(1, 2000);
	CREATE INDEX t_idx ON t USING learned (id) WITH (fillfactor = 100);
	VACUUM ANALYZE t;

	CREATE TABLE reads_compared (n int);
	CREATE FUNCTION scans_disagree(what text) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'parallel index scan and seqscan disagree: %', what;
	END
	$$;
});
my $leaves_at_start =
  sql(q{SELECT leaf_pages FROM learned_index_info('t_idx')});

# Free parallelism, dear per-row work: every scan below gets a parallel
# plan with two workers (checked after the run).
my $parallel = q{
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_index_scan_size = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL cpu_operator_cost = 0;
SET LOCAL cpu_tuple_cost = 1;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexscan = on;
SET LOCAL enable_indexonlyscan = on;
};
my $sequential = q{
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_seqscan = on;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_bitmapscan = off;
};

# The queries the readers run, by name: [ sql, the plan it must get ].
my %reads = (
	ioscount => [
		q{SELECT count(*) || '/' || coalesce(sum(id), 0) AS r FROM t WHERE id BETWEEN :k AND :k + 600000},
		qr/Parallel Index Only Scan using t_idx/ ],
	ioscountnull => [
		q{SELECT count(*) || '/' || count(id) AS r FROM t WHERE id IS NULL OR id > :k},
		qr/Parallel Index Only Scan using t_idx/ ],
	heapsum => [
		q{SELECT count(*) || '/' || coalesce(sum(val), 0) AS r FROM t WHERE id >= :k},
		qr/Parallel Index Scan using t_idx/ ],
	ordered => [
		q{SELECT md5(string_agg(id::text, ',')) AS r FROM (SELECT id FROM t WHERE id BETWEEN :k AND :k + 300000 ORDER BY id) s},
		qr/Gather Merge\n.*\n\s*->  Parallel Index Only Scan using t_idx/ ],
	backward => [
		q{SELECT md5(string_agg(id::text, ',')) AS r FROM (SELECT id FROM t WHERE id BETWEEN :k AND :k + 300000 ORDER BY id DESC) s},
		qr/Gather Merge\n.*\n\s*->  Parallel Index Only Scan Backward using t_idx/ ],);

# One REPEATABLE READ snapshot: each query's parallel answer, then the
# sequential scan's; any difference raises an error, which fails pgbench.
# Each block of settings sets everything the other changes.
my $read_script = "\\set k random(0, 400000)\nBEGIN ISOLATION LEVEL REPEATABLE READ;\n";
for my $name (sort keys %reads)
{
	my $q = $reads{$name}[0];
	$read_script .= "$parallel\n$q \\gset ${name}_par_\n"
	  . "$sequential\n$q \\gset ${name}_seq_\n";
}
$read_script .= "COMMIT;\nINSERT INTO reads_compared VALUES (1);\n";
for my $name (sort keys %reads)
{
	$read_script .=
	    "SELECT CASE WHEN ':${name}_par_r' <> ':${name}_seq_r' THEN "
	  . "scans_disagree('$name k=:k parallel :${name}_par_r seqscan :${name}_seq_r') END;\n";
}

my %scripts = (
	'insert.sql@3' => q{
\set k random(0, 1000000)
INSERT INTO t (id) SELECT :k + g FROM generate_series(1, 600) g;
INSERT INTO t (id) VALUES (NULL);
},
	'delete.sql@1' => q{
\set k random(0, 1000000)
DELETE FROM t WHERE id BETWEEN :k AND :k + 30;
},
	'read.sql@3' => $read_script,);

# VACUUM in a loop, by a second pgbench alongside: index-only scans in
# every participant rely on the pin interlock (README invariant 5).
my $vacuum = vacuum_loop_start($node, q{
VACUUM t;
\sleep 200 ms
}, $duration);

$node->pgbench(
	"--no-vacuum --client=5 --jobs=2 --time=$duration",
	0,
	[ qr{processed: [1-9]}, qr{number of failed transactions: 0 } ],
	[qr{^$}],
	'parallel scans agree with a sequential scan while leaves split',
	\%scripts);

vacuum_loop_finish($vacuum);

cmp_ok(sql(q{SELECT leaf_pages FROM learned_index_info('t_idx')}),
	'>', $leaves_at_start, 'leaves split during the run');
cmp_ok(sql(q{SELECT count(*) FROM reads_compared}),
	'>', 0, 'readers compared parallel scans with sequential scans');
note 'leaf pages at start: ' . $leaves_at_start . ', at the end: '
  . sql(q{SELECT leaf_pages FROM learned_index_info('t_idx')})
  . '; snapshots compared: ' . sql(q{SELECT count(*) FROM reads_compared});

# The readers' plans were parallel scans of t_idx, and ran with workers
# (the settings as a reader has them: after another query's sequential
# comparison).
for my $name (sort keys %reads)
{
	(my $q = $reads{$name}[0]) =~ s/:k/1000/g;
	like(sql("BEGIN; $sequential $parallel EXPLAIN (COSTS OFF) $q; COMMIT;"),
		$reads{$name}[1], "$name: a parallel scan of t_idx");
	like(
		sql("BEGIN; $sequential $parallel EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $q; COMMIT;"),
		qr/Workers Launched: 2/,
		"$name: two workers launched");
}

# Quiet now: the whole index equals a sequential scan.
sql('VACUUM t');
my @queries = learned_queries('t', lo => 0, hi => 1_000_000);
compare_with_seqscan($node, [$node], 't_idx', \@queries);
learned_check_ok($node, 't_idx');

$node->stop;
done_testing();
