
# Crash recovery of a learned index: clients insert (randomly, at the right
# end, NULLs, in large transactions), delete and vacuum while the server is
# stopped in immediate mode, twice.  After each restart the index must answer
# what a sequential scan answers, pass learned_index_check with
# heapallindexed, and take more inserts.  Then an unlogged table: after a
# crash it is empty and its index (reset from the init fork) works.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
autovacuum = off
max_wal_size = 1GB
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	SELECT setseed(0.5);
	CREATE TABLE t (id int8, kind int4);
	INSERT INTO t SELECT (random() * 1000000)::int8, 0 FROM generate_series(1, 20000);
	CREATE INDEX t_idx ON t USING learned (id);
	CREATE SEQUENCE ascending START 2000000;
});

# The workload, one pgbench script per kind of change.
my %scripts = (
	'random.sql@10' => q{
\set k random(0, 1000000)
INSERT INTO t VALUES (:k, 1), (:k + 1, 1), (:k + 2, 1);
},
	'ascending.sql@5' => q{
INSERT INTO t SELECT nextval('ascending'), 2 FROM generate_series(1, 20);
},
	'bigtx.sql@1' => q{
BEGIN;
INSERT INTO t SELECT (random() * 1000000)::int8, 3 FROM generate_series(1, 400);
\sleep 20 ms
COMMIT;
},
	'nulls.sql@2' => q{
INSERT INTO t VALUES (NULL, 4), (NULL, 4);
},
	'delete.sql@3' => q{
\set k random(0, 1000000)
DELETE FROM t WHERE id BETWEEN :k AND :k + 300;
},
	'vacuum.sql@1' => q{
VACUUM t;
},);
# Two rounds (LearnedTest's crash_rounds): the workload until the table has
# grown by 25,000 rows, an immediate stop in its midst, the checks; more
# inserts, the checks again.
crash_rounds(
	$node,
	table => 't',
	index => 't_idx',
	scripts => \%scripts,
	pgbench_options => ['--max-tries=20'],
	rows => 25000,
	note => sub {
		'rows, keys, NULLs = '
		  . sql(q{SELECT count(*), count(id), count(*) - count(id) FROM t});
	},
	queries => [ lo => 0, hi => 2_100_000, keys => [ 2000000, 2000001 ] ],
	more => sub {
		my ($round) = @_;
		return qq{
			SELECT setseed(0.$round);
			INSERT INTO t SELECT (random() * 1000000)::int8, 5 FROM generate_series(1, 10000);
			INSERT INTO t SELECT nextval('ascending'), 5 FROM generate_series(1, 2000);
			INSERT INTO t VALUES (NULL, 5);
		};
	});

# Unlogged tables: one indexed while empty (ambuildempty's init fork), one
# indexed after loading.  After a crash both are empty and reset from their
# init forks; the indexes must work and take new rows.
sql(q{
	CREATE UNLOGGED TABLE u (id int8);
	CREATE INDEX u_idx ON u USING learned (id);
	CREATE UNLOGGED TABLE u2 (id int8);
	INSERT INTO u2 SELECT i * 3 FROM generate_series(1, 10000) i;
	CREATE INDEX u2_idx ON u2 USING learned (id);
	INSERT INTO u SELECT (random() * 100000)::int8 FROM generate_series(1, 20000);
	INSERT INTO u2 SELECT (random() * 30000)::int8 FROM generate_series(1, 5000);
});
is(sql('SELECT count(*) FROM u'), '20000', 'unlogged u loaded');
$node->stop('immediate');
$node->start;

for my $tab ('u', 'u2')
{
	my $idx = "${tab}_idx";
	is(sql("SELECT count(*) FROM $tab"), '0', "unlogged $tab is empty after the crash");
	is(answer_in_mode($node, 'indexscan', "SELECT count(*) FROM $tab WHERE id >= 0"),
		'0', "$idx finds nothing after the crash");
	learned_check_ok($node, $idx);

	sql(qq{
		SELECT setseed(0.3);
		INSERT INTO $tab SELECT (random() * 100000)::int8 FROM generate_series(1, 30000);
		INSERT INTO $tab SELECT 100000 + i FROM generate_series(1, 5000) i;
		INSERT INTO $tab VALUES (NULL), (NULL);
	});
	my @queries = learned_queries($tab, lo => 0, hi => 105_000,
		keys => [ 0, 100001, 105000 ]);
	compare_with_seqscan($node, [$node], $idx, \@queries);
	learned_check_ok($node, $idx);
}

$node->stop;
done_testing();
