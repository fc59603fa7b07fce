# Index-only scans on a hot standby and VACUUM's entry removals (README's
# invariant 5 on a standby).  A REPEATABLE READ cursor on the standby copies
# a leaf and holds its pin (FETCH 1); the primary's VACUUM removes the entry
# of a row deleted before the cursor's snapshot and sets the heap page's
# visibility-map bit.  The cursor must never return the deleted key: its
# answer must equal a sequential scan's in the same snapshot.
#
#  - learned_am preloaded on primary and standby: the standby's plan is an
#    Index Only Scan; replay of the removal waits for the cursor's pin
#    (max_standby_streaming_delay = -1), or cancels the cursor's session
#    once the delay has passed.  wal_consistency_checking covers the learned
#    resource manager's records; a crash of the primary after a VACUUM
#    logged with them replays them.
#  - the primary restarted without the library: its first VACUUM clears the
#    metapage flag, and the preloaded standby stops offering index-only
#    scans.
#  - nothing preloaded: no index-only scan on the standby, no deleted row.
#  - a btree index, for comparison: its redo waits for the pin.
#
# Rows carry a 400-byte text beside the id, so a heap page holds ~18 rows
# and the cursor pins none of the deleted row's heap page.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $rows = 100000;

# A primary and a streaming standby; $preload puts learned_am into
# shared_preload_libraries on both.
sub make_pair
{
	my ($name, $preload) = @_;
	my $conf = qq{
autovacuum = off
max_wal_size = 1GB
checkpoint_timeout = 1h
hot_standby_feedback = off
max_standby_streaming_delay = -1
};
	$conf .=
	  $preload
	  ? "shared_preload_libraries = 'learned_am'\nwal_consistency_checking = 'Generic, learned'\n"
	  : "wal_consistency_checking = 'Generic'\n";

	my $primary = PostgreSQL::Test::Cluster->new("${name}_primary");
	$primary->init(allows_streaming => 1);
	$primary->append_conf('postgresql.conf', $conf);
	$primary->start;
	$primary->safe_psql('postgres', 'CREATE EXTENSION learned_am');
	$primary->backup('base');
	my $standby = PostgreSQL::Test::Cluster->new("${name}_standby");
	$standby->init_from_backup($primary, 'base', has_streaming => 1);
	$standby->start;
	return ($primary, $standby);
}

sub load_table
{
	my ($primary, $table, $am) = @_;
	$primary->safe_psql(
		'postgres', qq{
		CREATE TABLE $table (id int8, pad text);
		INSERT INTO $table SELECT i, repeat('x', 400) FROM generate_series(1, $rows) i;
		INSERT INTO $table SELECT NULL, repeat('n', 400) FROM generate_series(1, 50);
		CREATE INDEX ${table}_idx ON $table USING $am (id);
		VACUUM $table;
	});
	return;
}

# Is the standby's startup process waiting for a buffer pin or a lock that
# a query holds?
my $startup_waits = q{EXISTS (SELECT FROM pg_stat_activity
	WHERE backend_type = 'startup' AND wait_event_type IN ('BufferPin', 'Lock'))};

sub replay_blocked
{
	my ($standby) = @_;
	return $standby->safe_psql('postgres', "SELECT $startup_waits");
}

# One round: delete $key on the primary, open the cursor on the standby,
# VACUUM (INDEX_CLEANUP ON) on the primary, then read the rest.
#   ios    => the standby's plan must (1) or must not (0) be index-only
#   block  => replay must wait for the cursor (its pin, or its lock on the
#             index when the primary stops preloading), or must not (0)
#   cancel => the standby's delay is finite: replay ends the cursor's session
sub cursor_round
{
	my ($label, $primary, $standby, $table, $key, %opt) = @_;
	my ($lo, $hi) = ($key - 20, $key + 10);
	my $q = "SELECT id FROM $table WHERE id BETWEEN $lo AND $hi ORDER BY id";
	my $index_only = 'SET enable_seqscan = off; SET enable_bitmapscan = off;';

	$primary->safe_psql('postgres', "DELETE FROM $table WHERE id = $key");
	$primary->wait_for_catchup($standby, 'replay');

	my $plan =
	  $standby->safe_psql('postgres', "$index_only EXPLAIN (COSTS OFF) $q");
	if ($opt{ios})
	{
		like($plan, qr/Index Only Scan using ${table}_idx/,
			"$label: the standby's plan is an index-only scan");
	}
	else
	{
		like($plan, qr/Index Scan using ${table}_idx/,
			"$label: the standby's plan is an index scan");
		unlike($plan, qr/Index Only Scan/,
			"$label: the standby offers no index-only scan");
	}

	my $session = $standby->background_psql('postgres', on_error_stop => 0);
	$session->query_safe(
		"$index_only BEGIN ISOLATION LEVEL REPEATABLE READ; DECLARE c CURSOR FOR $q;"
	);
	my $first = $session->query_safe('FETCH 1 FROM c');
	is($first, $lo, "$label: FETCH 1 returns $lo");

	my $conflicts_before = $standby->safe_psql('postgres',
		q{SELECT confl_bufferpin FROM pg_stat_database_conflicts WHERE datname = 'postgres'});
	$primary->safe_psql('postgres', "VACUUM (INDEX_CLEANUP ON) $table");
	my $target = $primary->lsn('insert');

	if ($opt{cancel})
	{
		# Replay waits max_standby_streaming_delay, then ends the session
		# holding the pin (idle in a transaction: it is terminated).
		$primary->wait_for_catchup($standby, 'replay', $target);
		my $conflicts = $standby->safe_psql('postgres',
			q{SELECT confl_bufferpin FROM pg_stat_database_conflicts WHERE datname = 'postgres'});
		cmp_ok($conflicts, '>', $conflicts_before,
			"$label: replay cancelled the cursor for its buffer pin");
		$session->quit;
		return;
	}

	# Until replay has passed the VACUUM or waits for the cursor.
	$standby->poll_query_until('postgres',
		"SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn OR $startup_waits")
	  or die "replay neither passed $target nor waited for the cursor";
	is(replay_blocked($standby), $opt{block} ? 't' : 'f',
		"$label: replay " . ($opt{block} ? 'waits' : 'does not wait')
		  . " for the cursor");

	my $rest = $session->query_safe('FETCH ALL FROM c');
	my $seq = $session->query_safe(
		"SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off; "
		  . "SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off; $q"
	);
	my $answer = "$first\n$rest";
	unlike($answer, qr/^$key$/m, "$label: the deleted key $key is not returned");
	is($answer, $seq, "$label: the cursor answers what a seqscan answers in its snapshot");
	$session->query_safe('COMMIT');
	$session->quit;
	$primary->wait_for_catchup($standby, 'replay');
	return;
}

# 1. Everything preloaded: index-only scans kept on the standby, replay of
#    removals waits for their pins.
my ($primary, $standby) = make_pair('preload', 1);
load_table($primary, 't', 'learned');
cursor_round('preloaded, waiting', $primary, $standby, 't', 50000,
	ios => 1, block => 1);

$standby->append_conf('postgresql.conf', "max_standby_streaming_delay = '1s'");
$standby->reload;
cursor_round('preloaded, cancelling', $primary, $standby, 't', 60000,
	ios => 1, cancel => 1);
ok( $standby->log_contains('User was holding shared buffer pin for too long'),
	'the standby logged the buffer pin conflict');
$standby->append_conf('postgresql.conf', 'max_standby_streaming_delay = -1');
$standby->reload;

# Crash recovery of the primary replays the learned records (keys and
# NULLs removed), and so does the standby, checked page by page.
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_walinspect; CHECKPOINT');
my $start = $primary->lsn('insert');
$primary->safe_psql(
	'postgres', q{
	DELETE FROM t WHERE id % 7 = 3 OR id BETWEEN 20000 AND 24000;
	DELETE FROM t WHERE id IS NULL AND ctid IN (SELECT ctid FROM t WHERE id IS NULL LIMIT 10);
	VACUUM t;
});
# pg_walinspect reads only flushed WAL (an asynchronous commit or VACUUM's
# own records may not be yet): wait for the WAL writer to flush them.  (A
# CHECKPOINT would flush them too, but may recycle the segments to read.)
my $end = $primary->lsn('insert');
$primary->poll_query_until('postgres',
	"SELECT pg_current_wal_flush_lsn() >= '$end'::pg_lsn")
  or die "WAL up to $end was not flushed";
is( $primary->safe_psql(
		'postgres', qq{
		SELECT count(DISTINCT record_type) FROM pg_get_wal_records_info('$start', '$end')
		WHERE resource_manager = 'learned'}),
	'2',
	'VACUUM logged leaf and NULL page removals with the learned resource manager'
);
$primary->stop('immediate');
$primary->start;
$primary->wait_for_catchup($standby, 'replay');
my @queries = learned_queries('t', lo => 1, hi => $rows,
	keys => [ 50000, 60000, 20000, 24000, 3, 10 ]);
compare_with_seqscan($primary, [ $primary, $standby ], 't_idx', \@queries);
learned_check_ok($primary, 't_idx');
learned_check_ok($standby, 't_idx');
ok(!$standby->log_contains('inconsistent page found'),
	'no inconsistent page at replay');

# A standby without the library stops recovery at the first record of the
# learned resource manager: primary and standbys must preload it alike.
$primary->backup('base2');
my $bare = PostgreSQL::Test::Cluster->new('bare_standby');
$bare->init_from_backup($primary, 'base2', has_streaming => 1);
$bare->append_conf('postgresql.conf',
	"shared_preload_libraries = ''\nwal_consistency_checking = 'Generic'");
$bare->start;
$primary->safe_psql('postgres',
	'DELETE FROM t WHERE id = 90000; VACUUM (INDEX_CLEANUP ON) t');
$bare->wait_for_log(qr/resource manager with ID 200 not registered/);
ok(1, 'a standby without the library stops: resource manager with ID 200 not registered');
$bare->stop('immediate', fail_ok => 1);

# 2. The primary restarted without the library: VACUUM logs generic WAL.
#    Its first VACUUM clears the metapage flag under an AccessExclusiveLock
#    on the index, so the standby's replay waits for the index-only scan
#    already running (whose pin no longer holds generic redo off) before
#    the removals; afterwards the standby offers no index-only scan, and a
#    plan cached before (a generic plan) is planned again.
my $q80 = 'SELECT id FROM t WHERE id BETWEEN 79980 AND 80010 ORDER BY id';
my $cached = $standby->background_psql('postgres');
$cached->query_safe(
	"SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; "
	  . "SET enable_bitmapscan = off; PREPARE p AS $q80");
like($cached->query_safe('EXPLAIN (COSTS OFF) EXECUTE p'),
	qr/Index Only Scan/, 'a cached plan on the standby is index-only');

$primary->append_conf('postgresql.conf',
	"shared_preload_libraries = ''\nwal_consistency_checking = 'Generic'");
$primary->restart;
cursor_round('primary no longer preloaded, its first VACUUM', $primary,
	$standby, 't', 70000, ios => 1, block => 1);
cursor_round('primary not preloaded', $primary, $standby, 't', 80000,
	ios => 0, block => 0);
unlike($cached->query_safe('EXPLAIN (COSTS OFF) EXECUTE p'),
	qr/Index Only Scan/, 'the cached plan was planned again without index-only scan');
is($cached->query_safe('EXECUTE p'),
	run_in_mode($standby, 'seqscan', $q80),
	'the cached statement answers what a seqscan answers');
$cached->quit;
$standby->stop;
$primary->stop;

# 3. Nothing preloaded: generic WAL, no index-only scan on the standby.
#    Then btree, whose VACUUM redo waits for the pin.
($primary, $standby) = make_pair('plain', 0);
load_table($primary, 't', 'learned');
load_table($primary, 'b', 'btree');
cursor_round('not preloaded', $primary, $standby, 't', 50000,
	ios => 0, block => 0);
cursor_round('btree', $primary, $standby, 'b', 50000,
	ios => 1, block => 1);
ok(!$standby->log_contains('inconsistent page found'),
	'no inconsistent page at replay');

$standby->stop;
$primary->stop;
done_testing();
