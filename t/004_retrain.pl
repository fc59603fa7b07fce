
# Retraining the model (learned_index_retrain and VACUUM's cleanup):
#
# 1. growth: an index built on 50k keys takes 16x as many ascending keys and
#    some random ones; every split is listed, VACUUM retrains (generation up,
#    splits back to 0) and a warm point lookup then reads one index block;
# 2. retrains in a loop while pgbench clients insert, delete and compare
#    index and sequential scans inside one snapshot;
# 3. crashes (immediate stop) while retrains and inserts run, at several
#    moments: the recovered index is whole, answers as a sequential scan does
#    and retrains again;
# 4. a streaming standby with wal_consistency_checking replays retrains: the
#    model and its statistics are the primary's, and retraining on the
#    standby is refused.
#
# Every index answer is compared with a sequential scan's, and every part
# ends with learned_index_check(index, true).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('retrain');
$node->init;
$node->append_conf('postgresql.conf', qq{
autovacuum = off
max_connections = 30
max_wal_size = 2GB
wal_keep_size = 2GB
checkpoint_timeout = 1h
deadlock_timeout = 100ms
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# One column of learned_index_info.
sub info
{
	my ($n, $idx, $col) = @_;
	return $n->safe_psql('postgres', "SELECT $col FROM learned_index_info('$idx')");
}

# learned_index_retrain; the outcome of each call is logged in retrain_log.
# Record splits during a retrain no longer refuse its switch, so every call
# must succeed (ok false is never logged; any error fails the caller).
sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE retrain_log (idx text, ok bool);
	CREATE FUNCTION try_retrain(idx regclass) RETURNS bool
	LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM learned_index_retrain(idx);
		INSERT INTO retrain_log VALUES (idx::text, true);
		RETURN true;
	END
	$$;
	CREATE FUNCTION scans_disagree(what text) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'index and seqscan disagree: %', what;
	END
	$$;
});

# Writes a pgbench script into the node's directory; returns its path.
sub script_file
{
	my ($n, $name, $text) = @_;
	my $path = $n->basedir . "/$name";
	PostgreSQL::Test::Utils::append_to_file($path, $text) unless -e $path;
	return $path;
}

# Starts pgbench in the background.
sub start_pgbench
{
	my ($n, $out, $err, @args) = @_;
	return IPC::Run::start(
		[
			'pgbench', '--no-vacuum', @args,
			'--host=' . $n->host, '--port=' . $n->port, 'postgres'
		],
		'<', \undef, '>', $out, '2>', $err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}

############################################################################
# 1. Growth: 50k keys at build, 500k appended, 50k random; VACUUM retrains.
############################################################################

sql(q{
	SELECT setseed(0.11);
	CREATE TABLE g (id int8, pad int4) WITH (autovacuum_enabled = off);
	INSERT INTO g SELECT i * 10, i FROM generate_series(1, 50000) i;
	CREATE INDEX g_idx ON g USING learned (id);
});
my $g_gen0 = info($node, 'g_idx', 'generation');
my $g_records0 = info($node, 'g_idx', 'records');
# Ascending keys beyond the build's largest (500000), then keys falling
# between the built ones (odd, so the built and appended keys stay unique).
sql(q{
	INSERT INTO g SELECT 500000 + i * 2, i FROM generate_series(1, 800000) i;
	INSERT INTO g SELECT (random() * 50000)::int8 * 10 + 5, -i FROM generate_series(1, 50000) i;
	ANALYZE g;
});
my $g_before = sql(q{SELECT records, splits, unlisted_splits, generation
	FROM learned_index_info('g_idx')});
note "g_idx after growth (records, splits, unlisted, generation): $g_before";
my ($g_records1, $g_splits1, $g_unlisted1, $g_gen1) = split /\|/, $g_before;
cmp_ok($g_splits1, '>', 0, 'growth: leaves split');
is($g_unlisted1, '0', 'growth: every split entered a record list');
cmp_ok($g_records1, '>', $g_records0, 'growth: records split');

my @g_queries = learned_queries('g', lo => 0, hi => 1_500_000,
	keys => [ 10, 15, 500000, 500002, 500005, 1000000, 1500000, 1500002 ]);
compare_with_seqscan($node, [$node], 'g_idx', \@g_queries);

# VACUUM's cleanup finds the fits drifted and retrains.
sql('VACUUM g');
my ($g_records2, $g_splits2, $g_unlisted2, $g_gen2) = split /\|/,
  sql(q{SELECT records, splits, unlisted_splits, generation
	FROM learned_index_info('g_idx')});
cmp_ok($g_gen2, '>', $g_gen1, "VACUUM retrained g_idx (generation $g_gen1 -> $g_gen2)");
is($g_splits2, '0', 'after the retrain learned_index_info counts no splits');
is($g_unlisted2, '0', 'after the retrain no split is unlisted');
is( sql(q{SELECT count(*) FILTER (WHERE splits <> 0 OR unlisted_splits <> 0), count(*)
		FROM learned_index_model('g_idx')}),
	"0|$g_records2",
	'after the retrain every record of learned_index_model has splits = 0');
# A second VACUUM finds nothing drifted: the model stays.
sql('VACUUM g');
is(info($node, 'g_idx', 'generation'), $g_gen2, 'a VACUUM without drift does not retrain');

compare_with_seqscan($node, [$node], 'g_idx', \@g_queries);

# A warm point lookup reads exactly one index block: 1,000 lookups of
# distinct keys (built, appended and random ones, none duplicated) after a warming run
# touch 1,000 blocks of g_idx, as sql/06_growth.sql measures.
my $blocks = sql(q{
	SET enable_seqscan = off;
	SET enable_bitmapscan = off;
	SET enable_hashjoin = off;
	SET enable_mergejoin = off;
	SET max_parallel_workers_per_gather = 0;
	SET plan_cache_mode = force_generic_plan;
	CREATE TEMP TABLE probe AS
		SELECT k FROM (
			SELECT (g * 97 % 50000 + 1)::int8 * 10 AS k FROM generate_series(1, 400) g
			UNION
			SELECT 500000 + (g * 7919 % 500000 + 1)::int8 * 2 FROM generate_series(1, 400) g
			UNION
			SELECT id FROM g WHERE id % 10 = 5 GROUP BY id HAVING count(*) = 1
		) s ORDER BY hashint8(k) LIMIT 1000;
	PREPARE lookups AS SELECT count(*) FROM probe p JOIN g ON g.id = p.k;
	EXECUTE lookups;
	SELECT pg_stat_force_next_flush();
	CREATE TEMP TABLE before AS SELECT idx_blks_hit + idx_blks_read AS n
		FROM pg_statio_user_indexes WHERE indexrelname = 'g_idx';
	EXECUTE lookups;
	SELECT pg_stat_force_next_flush();
	SELECT (SELECT count(*) FROM probe) || ' ' ||
		(SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes
		 WHERE indexrelname = 'g_idx') - (SELECT n FROM before);
});
my ($nprobes_line) = grep { /^\d+ \d+$/ } split /\n/, $blocks;
is($nprobes_line, '1000 1000', 'warm point lookups read one index block each (lookups, blocks)');
like(
	answer_in_mode($node, 'indexscan',
		'EXPLAIN (COSTS OFF) SELECT * FROM g WHERE id = 123450'),
	qr/Index (?:Only )?Scan using g_idx/,
	'the lookups are index scans of g_idx');
learned_check_ok($node, 'g_idx');

############################################################################
# 2. Retrains in a loop while clients insert, delete and read.
############################################################################

my $duration = 6;
sql(q{
	SELECT setseed(0.22);
	CREATE TABLE c (id int8, val int4 NOT NULL DEFAULT 0);
	INSERT INTO c SELECT (random() * 1000000)::int8, 0 FROM generate_series(1, 100000);
	CREATE INDEX c_idx ON c USING learned (id) WITH (fillfactor = 10);
	CREATE SEQUENCE c_ascending START 2000000;
	VACUUM ANALYZE c;
	SELECT learned_index_retrain('c_idx');
});
my $c_gen0 = info($node, 'c_idx', 'generation');
my $c_records0 = info($node, 'c_idx', 'records');

my %c_scripts = (
	'c_insert.sql@5' => q{
\set k random(0, 1000000)
INSERT INTO c (id) VALUES (:k), (:k + 1), (:k + 1), (:k + 3);
},
	'c_burst.sql@1' => q{
\set k random(0, 150000)
INSERT INTO c (id) SELECT :k + i FROM generate_series(1, 30) i;
},
	# Appends split the rightmost leaf leaving it at the fillfactor (10%),
	# so the last record's list fills up and splits while retrains run.
	'c_append.sql@4' => q{
INSERT INTO c (id) SELECT nextval('c_ascending') FROM generate_series(1, 30);
},
	'c_delete.sql@1' => q{
\set k random(0, 1000000)
DELETE FROM c WHERE id BETWEEN :k AND :k + 30;
},
	'c_read.sql@3' => q{
\set k random(0, 1000000)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT count(*) AS n_idx, coalesce(sum(id), 0) AS s_idx FROM c WHERE id BETWEEN :k AND :k + 3000 \gset
SELECT count(*) AS p_idx FROM c WHERE id = :k \gset
SELECT coalesce((SELECT id FROM c WHERE id > :k ORDER BY id LIMIT 1), -1) AS next_idx \gset
SELECT coalesce((SELECT id FROM c WHERE id < :k ORDER BY id DESC LIMIT 1), -1) AS prev_idx \gset
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_seqscan = on;
SELECT count(*) AS n_seq, coalesce(sum(id), 0) AS s_seq FROM c WHERE id BETWEEN :k AND :k + 3000 \gset
SELECT count(*) AS p_seq FROM c WHERE id = :k \gset
SELECT coalesce(min(id), -1) AS next_seq FROM c WHERE id > :k \gset
SELECT coalesce(max(id), -1) AS prev_seq FROM c WHERE id < :k \gset
COMMIT;
\if :n_idx != :n_seq OR :s_idx != :s_seq OR :p_idx != :p_seq OR :next_idx != :next_seq OR :prev_idx != :prev_seq
SELECT scans_disagree(format('k=%s range index %s/%s seqscan %s/%s; point %s/%s; next %s/%s; previous %s/%s', :k, :n_idx, :s_idx, :n_seq, :s_seq, :p_idx, :p_seq, :next_idx, :next_seq, :prev_idx, :prev_seq));
\endif
},);

# The retrain loop, by a second pgbench alongside; now and then a VACUUM,
# whose cleanup may retrain too (or skip, while a retrain runs).
my $retrain_script = script_file($node, 'c_retrain.sql', q{
SELECT try_retrain('c_idx');
\sleep 10 ms
});
my $c_vacuum_script = script_file($node, 'c_vacuum.sql', q{
VACUUM c;
});
my ($rt_out, $rt_err) = ('', '');
my $retrainer = start_pgbench($node, \$rt_out, \$rt_err,
	'--client=1', "--time=$duration",
	'-f', "$retrain_script\@20", '-f', "$c_vacuum_script\@1");

$node->pgbench(
	"--no-vacuum --client=4 --jobs=2 --time=$duration --max-tries=20",
	0,
	[ qr{processed: [1-9]}, qr{number of failed transactions: 0 } ],
	[qr{^$}],
	'inserts, deletes and consistent reads while the model is retrained',
	\%c_scripts);

$retrainer->finish;
is($retrainer->result(0), 0, 'the retrain loop ran without other errors')
  or diag($rt_err);
my ($c_ok, $c_refused) = split /\|/, sql(q{SELECT count(*) FILTER (WHERE ok),
	count(*) FILTER (WHERE NOT ok) FROM retrain_log WHERE idx = 'c_idx'});
note "retrains during the workload: $c_ok done, $c_refused refused";
cmp_ok($c_ok, '>', 0, 'retrains succeeded while the workload ran');
is($c_refused, 0, 'no retrain was refused while records split');

my ($c_records1, $c_gen1) = split /\|/,
  sql(q{SELECT records, generation FROM learned_index_info('c_idx')});
note "c_idx: records $c_records0 -> $c_records1, generation $c_gen0 -> $c_gen1, rows "
  . sql('SELECT count(*) FROM c');
cmp_ok($c_gen1, '>=', $c_gen0 + $c_ok,
	'the generation went up by at least the number of retrains');

# INDEX_CLEANUP ON: with few dead rows a plain VACUUM may skip the indexes
# (PostgreSQL 14's bypass), leaving entries whose rows are dead.
sql('VACUUM (INDEX_CLEANUP ON) c');
$c_gen1 = info($node, 'c_idx', 'generation');
my @c_queries = learned_queries('c', lo => 0, hi => 1_000_000,
	keys => [ 2000000, 2000001 ]);
compare_with_seqscan($node, [$node], 'c_idx', \@c_queries);
is( sql(q{SELECT entries FROM learned_index_info('c_idx')}),
	sql(q{SELECT count(id) FROM c}),
	'c_idx holds one entry per live row');
learned_check_ok($node, 'c_idx');

# Quiet now: a retrain succeeds at the first call and resets the splits.
sql(q{SELECT learned_index_retrain('c_idx')});
is(info($node, 'c_idx', 'generation'), $c_gen1 + 1, 'a quiet retrain bumps the generation by one');
is(info($node, 'c_idx', 'splits'), '0', 'a quiet retrain leaves no splits counted');
compare_with_seqscan($node, [$node], 'c_idx',
	[ grep { $_->[0] =~ /^(points|range: BETWEEN|ORDER BY id DESC LIMIT$)/ } @c_queries ]);
learned_check_ok($node, 'c_idx');

############################################################################
# 3. Crashes while retrains run (and inserts split leaves and records).
############################################################################

# Many leaves (fillfactor 30: about 5,800) in about 45 records, so that a
# retrain writes many WAL records and a crash can fall between them.
sql(q{
	CREATE EXTENSION pg_walinspect;
	SELECT setseed(0.33);
	CREATE TABLE big (id int8) WITH (autovacuum_enabled = off);
	INSERT INTO big SELECT i * 4 FROM generate_series(1, 1000000) i;
	CREATE INDEX big_idx ON big USING learned (id) WITH (fillfactor = 30);
	CREATE SEQUENCE big_ascending START 5000000;
	VACUUM ANALYZE big;
});
note 'big_idx: ' . sql(q{SELECT records, leaf_pages, generation FROM learned_index_info('big_idx')});

# Retrains back to back, in one transaction (so that no commit comes
# between them: a crash then almost surely falls inside one).  The series
# is in the select list, where it yields one row at a time: in FROM it
# would be materialized first (100M rows, seconds before the first
# retrain).
my $big_retrain = script_file($node, 'big_retrain.sql', q{
SELECT count(*) FILTER (WHERE try_retrain('big_idx')) FROM (SELECT generate_series(1, 100000000)) s;
});
my $big_insert = script_file($node, 'big_insert.sql', q{
\set k random(0, 4000000)
INSERT INTO big SELECT :k + i FROM generate_series(1, 3) i;
INSERT INTO big SELECT nextval('big_ascending') FROM generate_series(1, 5);
});

# Where, in the WAL that recovery replayed, the last retrain stood: how many
# records had their new fit written since the last switch of the metapage
# (or since $start_lsn, if no switch came after it).  For the notes only.
# Retrain writes one-block Generic records of record pages and a one-block
# record of the metapage (block 0); splits write several blocks at once.
sub retrain_progress_in_wal
{
	my ($start_lsn) = @_;
	return sql(qq{
		WITH recs AS (SELECT block FROM learned_index_model('big_idx')),
		w AS (
			SELECT start_lsn,
				(regexp_match(block_ref, 'blk (\\d+)'))[1]::int8 AS blk
			FROM pg_get_wal_records_info('$start_lsn',
				(SELECT redo_lsn FROM pg_control_checkpoint()))
			WHERE resource_manager = 'Generic'
			  AND block_ref LIKE '%/' || pg_relation_filenode('big_idx') || ' %'
			  AND block_ref NOT LIKE '%blkref #1%'),
		last_switch AS (SELECT max(start_lsn) AS lsn FROM w WHERE blk = 0)
		SELECT count(*) || ' of ' || (SELECT count(*) FROM recs)
		FROM w, last_switch
		WHERE blk IN (SELECT block FROM recs)
		  AND start_lsn > coalesce(last_switch.lsn, '0/0')
	});
}

my $crashes_mid_retrain = 0;
for my $round (1 .. 3)
{
	my $start_lsn = sql('SELECT pg_current_wal_insert_lsn()');
	my $gen_start = info($node, 'big_idx', 'generation');
	my ($o1, $e1, $o2, $e2) = ('', '', '', '');
	my $retrains = start_pgbench($node, \$o1, \$e1,
		'--client=1', '--time=120', '-f', $big_retrain);
	my $inserts = start_pgbench($node, \$o2, \$e2,
		'--client=1', '--time=120', '-f', $big_insert);

	# A different moment each round: after 2, 6 or 12 generations, plus a
	# little.
	my $wanted = $gen_start + (2, 6, 12)[ $round - 1 ];
	ok($node->poll_query_until('postgres',
			"SELECT generation >= $wanted FROM learned_index_info('big_idx')"),
		"round $round: retrains ran (generation reached $wanted)");
	# The WAL that the crash cuts is read back from here (a few
	# milliseconds of it; reading all of it would be slow).
	my $crash_lsn = sql('SELECT pg_current_wal_insert_lsn()');
	usleep(1000 * (37 * $round % 50));
	$node->stop('immediate');
	$retrains->finish;
	$inserts->finish;
	$node->start;

	my $progress = retrain_progress_in_wal($crash_lsn);
	$crashes_mid_retrain++ if $progress !~ /^0 /;
	note "round $round: at the crash, the last retrain had written $progress records";

	my $gen = info($node, 'big_idx', 'generation');
	cmp_ok($gen, '>', $gen_start, "round $round: recovered generation $gen is past $gen_start");
	learned_check_ok($node, 'big_idx');
	# The model in force fits the records it names: record lists, first keys
	# and fits agree (learned_index_check), and every record has one.
	is( sql(q{SELECT count(*) FILTER (WHERE m.pages > 0 AND m.err_lo + m.err_hi >= 0
				AND m.slope >= 0 AND m.slope <> 'NaN' AND m.intercept <> 'NaN'),
				count(DISTINCT m.block), i.records
			FROM learned_index_model('big_idx') m, learned_index_info('big_idx') i
			GROUP BY i.records}),
		join('|', (info($node, 'big_idx', 'records')) x 3),
		"round $round: every record of the recovered model has a sane fit");

	my @queries = learned_queries('big', lo => 0, hi => 4_000_000,
		keys => [ 4, 4000000, 5000000, 5000001 ]);
	@queries = grep { $_->[0] !~ /^(count|IS NULL|range: int2)/ } @queries
	  if $round > 1;
	compare_with_seqscan($node, [$node], 'big_idx', \@queries);

	# A fresh retrain succeeds, and the index still answers the same.
	sql(q{SELECT learned_index_retrain('big_idx')});
	is(info($node, 'big_idx', 'generation'), $gen + 1,
		"round $round: a retrain after recovery bumps the generation by one");
	is(info($node, 'big_idx', 'splits'), '0',
		"round $round: and leaves no splits counted");
	compare_with_seqscan($node, [$node], 'big_idx',
		[ grep { $_->[0] =~ /^(points|range: BETWEEN|ORDER BY id DESC LIMIT$)/ } @queries ]);
	learned_check_ok($node, 'big_idx');
}
note "crashes that fell inside a retrain: $crashes_mid_retrain of 3";

$node->stop;

############################################################################
# 4. A streaming standby replays retrains, every record checked.
############################################################################

my $wcc = qq{
wal_consistency_checking = 'Generic'
autovacuum = off
max_wal_size = 2GB
checkpoint_timeout = 1h
};
my $primary = PostgreSQL::Test::Cluster->new('retrain_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $wcc);
$primary->start;
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('retrain_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', $wcc);
$standby->start;

sub psql_p { return $primary->safe_psql('postgres', $_[0]); }

psql_p(q{
	CREATE EXTENSION learned_am;
	SELECT setseed(0.44);
	CREATE TABLE r (id int8);
	INSERT INTO r SELECT (random() * 1000000)::int8 FROM generate_series(1, 40000);
	CREATE INDEX r_idx ON r USING learned (id) WITH (fillfactor = 50);
	INSERT INTO r SELECT (random() * 1000000)::int8 FROM generate_series(1, 30000);
	INSERT INTO r SELECT 1000000 + i FROM generate_series(1, 30000) i;
});

my $model = q{SELECT record, block, first_key, last_fence_key, pages, slope,
	intercept, err_lo, err_hi, splits, unlisted_splits
	FROM learned_index_model('r_idx') ORDER BY record};
my $stats = q{SELECT generation, records, root_err_lo, root_err_hi, mean_window,
	max_window, leaf_pages, entries, splits, unlisted_splits
	FROM learned_index_info('r_idx')};

my @r_queries = learned_queries('r', lo => 0, hi => 1_030_000,
	keys => [ 1000001, 1030000 ]);
for my $step (1, 2)
{
	my $gen_before = $primary->safe_psql('postgres',
		q{SELECT generation FROM learned_index_info('r_idx')});
	psql_p(q{SELECT learned_index_retrain('r_idx')});
	is( $primary->safe_psql('postgres',
			q{SELECT generation FROM learned_index_info('r_idx')}),
		$gen_before + 1,
		"retrain $step bumped the generation on the primary");
	# Up to the insert position, not the default write position: the
	# retrain assigns no transaction id, so its commit does not flush its
	# WAL, and its last records (the metapage: generation, root error) can
	# still be in WAL buffers when the write position is read.  The model
	# pages would then match and learned_index_info would not, now and
	# then (whenever the WAL writer had not run yet).
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

	is($standby->safe_psql('postgres', $model),
		$primary->safe_psql('postgres', $model),
		"retrain $step: learned_index_model is the same on primary and standby");
	is($standby->safe_psql('postgres', $stats),
		$primary->safe_psql('postgres', $stats),
		"retrain $step: learned_index_info (generation, records, root error, windows) is the same");
	compare_with_seqscan($primary, [ $primary, $standby ], 'r_idx',
		$step == 1 ? \@r_queries
		: [ grep { $_->[0] =~ /^(points|range: BETWEEN|ORDER BY)/ } @r_queries ]);
	learned_check_ok($standby, 'r_idx');

	# More changes before the second retrain, so that it writes the other
	# slot of fits that differ.
	psql_p(q{
		SELECT setseed(0.45);
		INSERT INTO r SELECT (random() * 1000000)::int8 FROM generate_series(1, 30000);
		DELETE FROM r WHERE id BETWEEN 300000 AND 350000;
		VACUUM r;
	}) if $step == 1;
}
learned_check_ok($primary, 'r_idx');

my ($ret, $stdout, $stderr) =
  $standby->psql('postgres', q{SELECT learned_index_retrain('r_idx')});
isnt($ret, 0, 'learned_index_retrain fails on the standby');
like($stderr, qr/cannot retrain a learned index during recovery/,
	'with the recovery error');

ok(!$standby->log_contains('inconsistent page found'),
	'no inconsistent page at replay');

$standby->stop;
$primary->stop;
done_testing();
