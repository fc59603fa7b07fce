
# Writers split leaves of one record that has a single free slot (issue 9,
# defect 4).  Before the fix a split looked at the record's room under a
# share lock, released it, and locked the record exclusively later; a
# concurrent split in the same record could take the last slot in between,
# and the new leaf was left unlisted although the directory had room.  Now
# the room is decided under the exclusive record lock, so the second split
# finds the record full and splits the record instead.
#
# The index is built with pages_per_record one below a record's capacity, so
# every record starts with one free slot.  Each round fills 8 neighbouring
# leaves in each of 4 records to exactly full; then 8 sessions, one per
# leaf position, each insert one key into their leaf of each record in turn
# (one INSERT each), all starting at the same moment: they wait, inside
# their INSERT statements, for an advisory lock another session holds and
# are released together, so that their splits in a record overlap (each
# waits for its right sibling while the session to its right splits that).
# In each record the first split takes the last slot, the next must split
# the record, and unlisted_splits must stay 0.
#
# The old window (a relation extension and a right-sibling lock) is a few
# microseconds; on a busy two-core host the released sessions seldom run
# inside it together, and the old code passed this test in every plain run.
# With a 20 ms sleep added in that window it failed every round (28 and 56
# unlisted splits), which is what the test is for: any interleaving that
# lands there is caught.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $nwriters = 8;
my $rounds = 2;
my $records_per_round = 4;
my $trials = $rounds * $records_per_round;
my $step = 2**44;    # key spacing: 7-byte key offsets, 10-byte entries

my $node = PostgreSQL::Test::Cluster->new('split_record_room');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql('CREATE EXTENSION learned_am');

# A record's capacity: the upper bound of pages_per_record.
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	'CREATE TABLE probe (id int8); '
	  . 'CREATE INDEX ON probe USING learned (id) WITH (pages_per_record = 1000000)');
my ($capacity) = $stderr =~ /between "0" and "(\d+)"/;
ok(defined $capacity, 'record capacity read from the reloption bound')
  or diag($stderr);
my $listed = $capacity - 1;

# At fillfactor 10 an inner leaf of 10-byte entries (capacity 811) takes 81
# entries; records of $listed leaves, one per trial plus the first and last.
my $per_leaf = 81;
my $leaf_capacity = 811;
my $nkeys = ($trials + 2) * $listed * $per_leaf;
sql(qq{
	CREATE TABLE t (id int8);
	INSERT INTO t SELECT g * $step FROM generate_series(1, $nkeys) g;
	CREATE INDEX t_idx ON t USING learned (id)
		WITH (fillfactor = 10, pages_per_record = $listed);
	VACUUM ANALYZE t;
});

sub info
{
	my ($leaves, $records, $unlisted) = split /\|/, sql(
		"SELECT leaf_pages, records, unlisted_splits FROM learned_index_info('t_idx')");
	return ($leaves, $records, $unlisted);
}

# The records' first keys: the layout the trials rely on.
my @first = split /\n/, sql(
	'SELECT first_key FROM learned_index_model(\'t_idx\') ORDER BY record');
ok(@first >= $trials + 2, 'enough records for the trials');
is(($first[2] - $first[1]) / $step, $listed * $per_leaf,
	"a record lists $listed leaves of $per_leaf keys");

# Records 1 .. $trials (not the first or the last), $records_per_round a round.
my @records_of_round;
for my $round (1 .. $rounds)
{
	$records_of_round[$round] =
	  [ map { ($round - 1) * $records_per_round + $_ } 1 .. $records_per_round ];
}

my $controller = $node->background_psql('postgres');
my @writers = map { $node->background_psql('postgres') } 1 .. $nwriters;

# Leaf 200 + $i of record $r: the one writer $i splits there.
sub leaf_low
{
	my ($r, $i) = @_;
	return $first[$r] + ((200 + $i) * $per_leaf) * $step;
}

for my $round (1 .. $rounds)
{
	my ($leaves0, $records0, $unlisted0) = info();
	my $fill = $leaf_capacity - $per_leaf;
	my @fills;
	for my $r (@{ $records_of_round[$round] })
	{
		push @fills, map { leaf_low($r, $_) } 0 .. $nwriters - 1;
	}
	sql('INSERT INTO t SELECT low + g FROM unnest(ARRAY['
		  . join(',', @fills)
		  . "]::int8[]) low, generate_series(1, $fill) g");
	my ($leaves1) = info();
	is($leaves1, $leaves0, "round $round: the leaves are full, none split yet");

	$controller->query_safe('SELECT pg_advisory_lock(1)');
	for my $i (0 .. $nwriters - 1)
	{
		my $keys = join ',',
		  map { leaf_low($_, $i) + $fill + 1 } @{ $records_of_round[$round] };
		$writers[$i]->query_until(qr/sent/,
			"\\echo sent\n"
			  . "INSERT INTO t SELECT k FROM (SELECT pg_advisory_lock_shared(1)) l, "
			  . "unnest(ARRAY[$keys]::int8[]) k; "
			  . "SELECT pg_advisory_unlock_shared(1);\n\\echo done\n");
	}
	$node->poll_query_until('postgres',
		"SELECT count(*) = $nwriters FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
	  or die 'writers never waited for the advisory lock';
	$controller->query_safe('SELECT pg_advisory_unlock(1)');
	$writers[$_]->query_until(qr/done/, '') for 0 .. $nwriters - 1;

	my $nrec = scalar @{ $records_of_round[$round] };
	my ($leaves2, $records2, $unlisted2) = info();
	is($leaves2, $leaves1 + $nwriters * $nrec,
		"round $round: every writer split a leaf in each record");
	is($unlisted2, 0, "round $round: no leaf left unlisted");
	is($records2, $records0 + $nrec,
		"round $round: each full record split instead");
}
$controller->quit;
$_->quit for @writers;

learned_check_ok($node, 't_idx');
LearnedTest::compare_with_seqscan($node, [$node], 't_idx',
	[
		[ 'count', 'SELECT count(*), sum(id / 1024) FROM t WHERE id > 0' ],
		[ 'range', "SELECT id FROM t WHERE id BETWEEN $first[2] AND $first[2] + 100 * $step ORDER BY id" ],
	]);

$node->stop;
done_testing();
