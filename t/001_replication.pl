
# Streaming replication of a learned index, with every Generic WAL record
# checked at replay (wal_consistency_checking): builds, leaf splits all over
# the key range and at its right end, duplicate runs, NULLs, deletes, VACUUM
# and reuse of the emptied pages.  The standby's index must answer what the
# primary's sequential scan answers, and pass learned_index_check.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $conf = qq{
wal_consistency_checking = 'Generic'
autovacuum = off
max_wal_size = 2GB
checkpoint_timeout = 1h
};

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $conf);
$primary->start;

my $backup = 'base';
$primary->backup($backup);
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, $backup, has_streaming => 1);
$standby->append_conf('postgresql.conf', $conf);
$standby->start;

sub sql { return $primary->safe_psql('postgres', $_[0]); }

# Keys: uniform random in [0, 1e6) with a fixed seed, so a failure repeats.
sql(q{
	CREATE EXTENSION learned_am;
	SELECT setseed(0.42);
	CREATE TABLE t (id int8, payload int4);
	INSERT INTO t SELECT (random() * 1000000)::int8, i FROM generate_series(1, 30000) i;
	CREATE INDEX t_idx ON t USING learned (id);
});

# A second index built on an empty table, then grown only at its right end
# (bigserial-like keys: uneven splits of the rightmost leaf, growing model).
sql(q{
	CREATE TABLE a (id int8);
	CREATE INDEX a_idx ON a USING learned (id);
	INSERT INTO a SELECT i FROM generate_series(1, 20000) i;
});

# Several records, one of them outgrown: inserts crowded into a narrow key
# range make one record's list of leaves outgrow its model page, so the
# record splits.  The first 150k inserts (which fill the list) skip the
# consistency images to save time; the rest are checked.
sql(q{
	CREATE TABLE m (id int8);
	INSERT INTO m SELECT i * 10 FROM generate_series(1, 150000) i;
	CREATE INDEX m_idx ON m USING learned (id);
	SELECT setseed(0.61);
	SET wal_consistency_checking = '';
	INSERT INTO m SELECT 100000 + (random() * 50000)::int8 FROM generate_series(1, 150000);
	RESET wal_consistency_checking;
	INSERT INTO m SELECT 100000 + (random() * 50000)::int8 FROM generate_series(1, 50000);
});

# Splits everywhere: random keys into the built index, then ascending keys
# above its maximum, a long run of one duplicated key, and NULLs.
sql(q{
	SELECT setseed(0.17);
	INSERT INTO t SELECT (random() * 1000000)::int8, i FROM generate_series(1, 50000) i;
	INSERT INTO t SELECT 1000000 + i, i FROM generate_series(1, 25000) i;
	INSERT INTO t SELECT 500000, i FROM generate_series(1, 3000) i;
	INSERT INTO t SELECT NULL, i FROM generate_series(1, 1500) i;
});

# Deletes: a whole key range (pages emptied), every 7th key, half the NULLs.
# VACUUM removes their entries.  Then inserts into the emptied range, which
# reuse its pages, and a few more NULLs.
sql(q{
	DELETE FROM t WHERE id BETWEEN 200000 AND 400000;
	DELETE FROM t WHERE id % 7 = 0;
	DELETE FROM t WHERE id IS NULL AND payload % 2 = 0;
	DELETE FROM a WHERE id % 3 = 0;
});
sql('VACUUM t');
sql('VACUUM a');
sql(q{
	SELECT setseed(0.99);
	INSERT INTO t SELECT 200000 + (random() * 200000)::int8, i FROM generate_series(1, 15000) i;
	INSERT INTO t SELECT NULL, i FROM generate_series(1, 500) i;
	INSERT INTO a SELECT i FROM generate_series(20001, 25000) i;
});

# Records in levels (learned.test_directory_capacity: four entries a record
# and in the directory): a build with upper levels, then ascending and
# random inserts that split records of every level, enter new records into
# their parents and grow the directory by levels.
sql(q{
	SET learned.test_directory_capacity = 4;
	CREATE TABLE l (id int8);
	INSERT INTO l SELECT (i * 7919) % 100003 FROM generate_series(1, 30000) i;
	CREATE INDEX l_idx ON l USING learned (id);
	CREATE TABLE la (id int8);
	CREATE INDEX la_idx ON la USING learned (id);
	INSERT INTO la SELECT i FROM generate_series(1, 60000) i;
	INSERT INTO l SELECT (i::int8 * 104729) % 100003 FROM generate_series(1, 30000) i;
	INSERT INTO la SELECT (i * 7919) % 60000 FROM generate_series(1, 20000) i;
});

# CREATE INDEX CONCURRENTLY: an empty build, then the inserts of its
# validation pass (validate_index), replayed like any other change.
sql(q{
	CREATE TABLE c (id int8);
	INSERT INTO c SELECT (i * 7919) % 100003 FROM generate_series(1, 20000) i;
	CREATE INDEX CONCURRENTLY c_idx ON c USING learned (id);
	INSERT INTO c SELECT (i * 7919) % 100003 FROM generate_series(20001, 30000) i;
});

# Up to the insert position, not the default write position: WAL of a
# statement that assigned no transaction id (a retrain, a VACUUM) is not
# flushed at commit and may still sit in WAL buffers.
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

# The two copies of each index agree on their shape.
my $shape = q{SELECT root_type, records, model_pages, leaf_pages, null_pages,
	entries, null_entries, splits, unlisted_splits, generation
	FROM learned_index_info('%s')};
for my $idx ('t_idx', 'a_idx', 'm_idx', 'c_idx', 'l_idx', 'la_idx')
{
	is($standby->safe_psql('postgres', sprintf($shape, $idx)),
		$primary->safe_psql('postgres', sprintf($shape, $idx)),
		"$idx: learned_index_info agrees on primary and standby");
}
note "primary $_: " . sql(sprintf($shape, $_)) for ('t_idx', 'a_idx', 'm_idx');
for my $idx ('l_idx', 'la_idx')
{
	cmp_ok(sql("SELECT levels FROM learned_index_info('$idx')"), '>=', 3,
		"$idx has three levels of records or more");
}

my @t_queries = learned_queries('t', lo => 0, hi => 1_025_000,
	keys => [ 500000, 199999, 200000, 400000, 400001, 1000001, 1025000 ]);
compare_with_seqscan($primary, [ $primary, $standby ], 't_idx', \@t_queries);

my @a_queries = learned_queries('a', lo => 1, hi => 25_000,
	keys => [ 1, 3, 20000, 20001, 25000 ]);
compare_with_seqscan($primary, [ $primary, $standby ], 'a_idx', \@a_queries);

my @m_queries = learned_queries('m', lo => 10, hi => 1_500_000,
	keys => [ 100000, 125000, 150000, 150010 ]);
compare_with_seqscan($primary, [ $primary, $standby ], 'm_idx', \@m_queries);

my @c_queries = learned_queries('c', lo => 0, hi => 100_003);
compare_with_seqscan($primary, [ $primary, $standby ], 'c_idx', \@c_queries);

my @l_queries = learned_queries('l', lo => 0, hi => 100_003);
compare_with_seqscan($primary, [ $primary, $standby ], 'l_idx', \@l_queries);
my @la_queries = learned_queries('la', lo => 1, hi => 60_000,
	keys => [ 1, 7919, 59999 ]);
compare_with_seqscan($primary, [ $primary, $standby ], 'la_idx', \@la_queries);

for my $node ($primary, $standby)
{
	learned_check_ok($node, $_)
	  for ('t_idx', 'a_idx', 'm_idx', 'c_idx', 'l_idx', 'la_idx');
}

# Replay never failed a consistency check (it would have stopped the standby).
ok(!$standby->log_contains('inconsistent page found'),
	'no inconsistent page at replay');

$standby->stop;
$primary->stop;
done_testing();
