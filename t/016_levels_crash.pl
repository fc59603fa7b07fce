
# Crash recovery while records split at every level and the directory grows
# levels (README, "Inserts and splits"): with learned.test_directory_capacity
# = 4, every record and the metapage's directory hold four entries, so the
# clients' ascending and random inserts split records of every level, enter
# new records into their parents and grow levels all the time.  The server
# is stopped in immediate mode during that, twice, with every Generic WAL
# record checked at replay (wal_consistency_checking).  After each restart
# the index must answer what a sequential scan answers, pass
# learned_index_check with heapallindexed (every level; every leaf listed
# once) and take more inserts.  Pages a level growth wrote before a crash
# stopped it are orphans that nothing lists, which the check allows.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('levels');
$node->init;
$node->append_conf('postgresql.conf', qq{
autovacuum = off
max_wal_size = 1GB
wal_consistency_checking = 'Generic'
learned.test_directory_capacity = 4
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE t (id int8);
	INSERT INTO t SELECT (i::int8 * 7919) % 1000003 FROM generate_series(1, 30000) i;
	CREATE INDEX t_idx ON t USING learned (id);
	CREATE SEQUENCE ascending START 2000000;
});
cmp_ok(sql(q{SELECT levels FROM learned_index_info('t_idx')}), '>=', 2,
	'the build wrote upper levels');

my %scripts = (
	'ascending.sql@5' => q{
INSERT INTO t SELECT nextval('ascending') FROM generate_series(1, 50);
},
	'random.sql@5' => q{
\set k random(0, 1000000)
INSERT INTO t SELECT :k + i FROM generate_series(0, 9) i;
},);
my @script_args;
for my $name (sort keys %scripts)
{
	my ($file) = $name =~ /^([^@]+)/;
	my $path = $node->basedir . "/$file";
	PostgreSQL::Test::Utils::append_to_file($path, $scripts{$name})
	  unless -e $path;
	push @script_args, '-f', $node->basedir . "/$name";
}

# Runs the workload until the table has grown by $rows rows, then crashes.
sub crash_during_workload
{
	my ($rows) = @_;
	my $target = sql('SELECT count(*) FROM t') + $rows;
	my ($out, $err) = ('', '');
	my $pgbench = IPC::Run::start(
		[
			'pgbench', '--no-vacuum', '--client=3', '--jobs=3',
			'--time=300', @script_args,
			'--host=' . $node->host, '--port=' . $node->port, 'postgres'
		],
		'<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	ok( $node->poll_query_until(
			'postgres', "SELECT count(*) >= $target FROM t"),
		"workload reached $target rows");
	$node->stop('immediate');
	$pgbench->finish;
	note "pgbench stderr (connection errors expected): "
	  . substr($err, 0, 400);
	$node->start;
	return;
}

sub check_after_recovery
{
	my ($label) = @_;
	note "$label: levels, records, leaves, unlisted = "
	  . sql(q{SELECT levels, records, leaf_pages, unlisted_splits
		FROM learned_index_info('t_idx')});
	my @queries = learned_queries('t', lo => 0, hi => 2_100_000,
		keys => [ 2000000, 2000001 ]);
	compare_with_seqscan($node, [$node], 't_idx', \@queries);
	learned_check_ok($node, 't_idx');
	is(sql(q{SELECT unlisted_splits FROM learned_index_info('t_idx')}),
		'0', "$label: every leaf is listed");
	return;
}

for my $round (1, 2)
{
	crash_during_workload(40000);
	check_after_recovery("after crash $round");

	# The recovered index takes more inserts (more levels) and stays whole.
	sql(qq{
		INSERT INTO t SELECT nextval('ascending') FROM generate_series(1, 20000);
		INSERT INTO t SELECT (i::int8 * 104729) % 1000003 FROM generate_series(1, 5000) i;
	});
	check_after_recovery("after crash $round and more inserts");
}
cmp_ok(sql(q{SELECT levels FROM learned_index_info('t_idx')}), '>=', 4,
	'the index grew to four levels or more');

$node->stop;
done_testing();
