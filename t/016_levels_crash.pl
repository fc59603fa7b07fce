
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
# Two rounds (LearnedTest's crash_rounds): the workload until the table has
# grown by 40,000 rows, an immediate stop in its midst, the checks (also:
# every leaf listed); more inserts, the checks again.
crash_rounds(
	$node,
	table => 't',
	index => 't_idx',
	scripts => \%scripts,
	rows => 40000,
	note => sub {
		'levels, records, leaves, unlisted = '
		  . sql(q{SELECT levels, records, leaf_pages, unlisted_splits
			FROM learned_index_info('t_idx')});
	},
	queries => [ lo => 0, hi => 2_100_000, keys => [ 2000000, 2000001 ] ],
	# The recovered index takes more inserts (more levels).
	more => sub {
		return q{
			INSERT INTO t SELECT nextval('ascending') FROM generate_series(1, 20000);
			INSERT INTO t SELECT (i::int8 * 104729) % 1000003 FROM generate_series(1, 5000) i;
		};
	},
	also => sub {
		my ($label) = @_;
		is(sql(q{SELECT unlisted_splits FROM learned_index_info('t_idx')}),
			'0', "$label: every leaf is listed");
	});
cmp_ok(sql(q{SELECT levels FROM learned_index_info('t_idx')}), '>=', 4,
	'the index grew to four levels or more');

$node->stop;
done_testing();
