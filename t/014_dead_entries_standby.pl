# Dead entries removed before a split, seen from a hot standby (README
# "How it works", "Dead entries").
#
# The primary's removal logs the heap's snapshot conflict horizon with the
# learned resource manager; replaying it must cancel a standby query whose
# snapshot still sees the removed entries' heap tuples (hot_standby_feedback
# is off, so the primary does not know that snapshot), never let it read
# the index without them.  The standby holds a REPEATABLE READ snapshot,
# the primary updates every row a few times and its inserts remove the old
# versions' entries from full leaves; then the standby's session must have
# been cancelled, or (had it not been) answer as before.
#
# Nothing else on the primary may conflict first: the index is not unique
# (a uniqueness check would fetch the old versions and so prune their heap
# pages, a conflict of its own), the updates find their rows by TID (no
# index or sequential scan prunes either), and there is no VACUUM.  So the
# removal's record is the only one that can cancel the standby's query:
# logged without its horizon, the standby would return too few rows.
#
# wal_consistency_checking = 'Generic, learned' compares every replayed
# page with the primary's.  Last, the primary without the library
# preloaded: nothing is removed (it could not log the horizon).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use LearnedTest;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows = 3000;

my $primary = PostgreSQL::Test::Cluster->new('dead_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', qq{
autovacuum = off
max_wal_size = 1GB
checkpoint_timeout = 1h
shared_preload_libraries = 'learned_am'
wal_consistency_checking = 'Generic, learned'
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION learned_am');
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_walinspect');
$primary->safe_psql(
	'postgres', qq{
	CREATE TABLE t (id int8 NOT NULL, v int8 NOT NULL)
		WITH (fillfactor = 100, autovacuum_enabled = off);
	INSERT INTO t SELECT g, 0 FROM generate_series(1, $rows) g;
	CREATE INDEX t_idx ON t USING learned (id);
	CREATE INDEX t_v ON t (v);
	-- Update every row, round after round, each round one transaction;
	-- rows are found by TID so that no scan prunes their heap pages.
	CREATE PROCEDURE rounds(n int) LANGUAGE plpgsql AS \$\$
	DECLARE
		tids tid[];
		newtid tid;
	BEGIN
		SELECT array_agg(ctid ORDER BY id) INTO tids FROM t;
		FOR r IN 1..n LOOP
			FOR i IN 1..cardinality(tids) LOOP
				UPDATE t SET v = v + 1 WHERE ctid = tids[i] RETURNING ctid INTO newtid;
				tids[i] := newtid;
			END LOOP;
			COMMIT;
		END LOOP;
	END
	\$\$;
});
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('dead_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf(
	'postgresql.conf', qq{
hot_standby_feedback = off
max_standby_streaming_delay = 100ms
});
$standby->start;
$primary->wait_for_catchup($standby, 'replay');

my $settings = 'SET enable_seqscan = off; SET enable_bitmapscan = off; '
  . 'SET enable_indexonlyscan = off;';
my $q = "SELECT count(*), sum(v), min(id), max(id) FROM t WHERE id BETWEEN 1 AND $rows";
like(
	$standby->safe_psql('postgres', "$settings EXPLAIN (COSTS OFF) $q"),
	qr/Index Scan using t_idx/,
	'the standby reads t through the learned index');

# The standby's snapshot, taken before any update.
my $session = $standby->background_psql('postgres', on_error_stop => 0);
$session->query_safe("$settings BEGIN ISOLATION LEVEL REPEATABLE READ");
my $before = $session->query_safe($q);
is($before, "$rows|0|1|$rows", 'the standby session sees the rows as loaded');
my $conflicts_before = $standby->safe_psql('postgres',
	q{SELECT confl_snapshot FROM pg_stat_database_conflicts WHERE datname = 'postgres'});

my $start = $primary->lsn('insert');
$primary->safe_psql('postgres', 'CALL rounds(8)');
my $end = $primary->lsn('insert');
$primary->poll_query_until('postgres',
	"SELECT pg_current_wal_flush_lsn() >= '$end'::pg_lsn")
  or die "WAL up to $end was not flushed";
cmp_ok(
	$primary->safe_psql(
		'postgres', qq{
		SELECT count(*) FROM pg_get_wal_records_info('$start', '$end')
		WHERE resource_manager = 'learned' AND record_type = 'DELETE_LEAF'}),
	'>', 0,
	'the primary removed dead entries before splitting, logged with the learned resource manager'
);
# Without removal the index would hold nine entries per row (one per
# version); with it, the live version, the one the last round replaced, and
# what the passes did not reach yet.
my $entries_after = $primary->safe_psql('postgres',
	q{SELECT entries FROM learned_index_info('t_idx')});
cmp_ok($entries_after, '<=', 6 * $rows,
	"after eight rounds of updates the index holds at most six entries per row ($entries_after)"
);

# Replay the removals.  The standby session's snapshot sees the versions
# whose entries they remove: replay cancels it (it is idle in its
# transaction, so it is ended) after max_standby_streaming_delay.
$primary->wait_for_catchup($standby, 'replay', $end);
my ($answer, $failed) = ('', 0);
eval {
	$answer = $session->query($q);
	$failed = 1 if $session->{stderr} =~ /ERROR|FATAL|conflict/;
	1;
} or $failed = 1;
ok($failed || $answer eq $before,
	'the standby session was cancelled or still answers as in its snapshot')
  or diag("answer: $answer, before: $before");
my $conflicts_after = $standby->safe_psql('postgres',
	q{SELECT confl_snapshot FROM pg_stat_database_conflicts WHERE datname = 'postgres'});
cmp_ok($conflicts_after, '>', $conflicts_before,
	'replaying the removal cancelled the standby query for its snapshot');
eval { $session->quit; };

# New queries on both servers answer as sequential scans do; the index
# holds every live tuple and its structure is intact on both.
# (id is NOT NULL: PostgreSQL 18's planner answers IS [NOT] NULL without
# the index, so those queries are left out, as in t/012.)
my @queries = grep { $_->[0] !~ /NULL/ }
  learned_queries('t', lo => 1, hi => $rows, keys => [ 1, 1500, $rows ]);
compare_with_seqscan($primary, [ $primary, $standby ], 't_idx', \@queries);
learned_check_ok($primary, 't_idx');
learned_check_ok($standby, 't_idx');

# Without the library preloaded the primary cannot log the horizon, and
# its WAL feeds a hot standby (wal_level replica): it removes nothing, and
# the index grows by an entry per update as before.
$primary->append_conf('postgresql.conf',
	"shared_preload_libraries = ''\nwal_consistency_checking = 'Generic'");
$primary->restart;
my $entries_before = $primary->safe_psql('postgres',
	q{SELECT entries FROM learned_index_info('t_idx')});
$start = $primary->lsn('insert');
$primary->safe_psql('postgres', 'CALL rounds(4)');
$end = $primary->lsn('insert');
$primary->poll_query_until('postgres',
	"SELECT pg_current_wal_flush_lsn() >= '$end'::pg_lsn")
  or die "WAL up to $end was not flushed";
is( $primary->safe_psql(
		'postgres', qq{
		SELECT count(*) FROM pg_get_wal_records_info('$start', '$end')
		WHERE resource_manager = 'learned'}),
	'0',
	'not preloaded: no record of the learned resource manager');
is( $primary->safe_psql(
		'postgres', q{SELECT entries FROM learned_index_info('t_idx')}),
	$entries_before + 4 * $rows,
	'not preloaded: nothing removed, an entry per update');
$primary->wait_for_catchup($standby, 'replay');
compare_with_seqscan($primary, [ $primary, $standby ], 't_idx', \@queries);
learned_check_ok($primary, 't_idx');
learned_check_ok($standby, 't_idx');

$standby->stop;
$primary->stop;
done_testing();
