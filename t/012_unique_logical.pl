
# Logical replication by a unique learned index: publisher and subscriber
# tables both have REPLICA IDENTITY USING INDEX on a unique learned index
# over a NOT NULL column (the subscriber's is a btree on PostgreSQL 16 and
# 17, see below).  The apply worker finds the rows of UPDATEs and
# DELETEs through the subscriber's index (the opfamily's equality operator,
# a dirty snapshot); afterwards the subscriber's rows equal the
# publisher's, both indexes answer as sequential scans do and pass
# learned_index_check, and the subscriber's index still refuses duplicates.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $publisher = PostgreSQL::Test::Cluster->new('publisher');
$publisher->init(allows_streaming => 'logical');
$publisher->append_conf('postgresql.conf', "autovacuum = off\n");
$publisher->start;
my $subscriber = PostgreSQL::Test::Cluster->new('subscriber');
$subscriber->init;
$subscriber->append_conf('postgresql.conf', "autovacuum = off\n");
$subscriber->start;

my $schema = q{
	CREATE EXTENSION learned_am;
	CREATE TABLE t (id int8 NOT NULL, v text);
	CREATE UNIQUE INDEX t_key ON t USING learned (id);
};
$publisher->safe_psql('postgres', $schema
	  . 'ALTER TABLE t REPLICA IDENTITY USING INDEX t_key;');

# The subscriber's replica identity: the learned index too, except on
# PostgreSQL 16 and 17, whose apply worker looks the equality operator up
# by a strategy number it knows only for btree and hash indexes ("missing
# operator 0(20,20) in opfamily", every apply retried for ever; 15 looks it
# up through the opclass, 18 through the access method's compare-type
# translation).  There a btree unique index is the subscriber's identity
# and the learned one is kept up to date beside it (README, "Unique
# indexes").
my $subscriber_version = $subscriber->safe_psql('postgres', 'SHOW server_version_num');
my $subscriber_identity =
  ($subscriber_version >= 160000 && $subscriber_version < 180000)
  ? 't_btree'
  : 't_key';
$subscriber->safe_psql('postgres', $schema
	  . ($subscriber_identity eq 't_btree' ? 'CREATE UNIQUE INDEX t_btree ON t (id);' : '')
	  . "ALTER TABLE t REPLICA IDENTITY USING INDEX $subscriber_identity;");
is($subscriber->safe_psql('postgres',
		q{SELECT relreplident::text || ' ' || (SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 't'::regclass AND indisreplident)
		  FROM pg_class WHERE relname = 't'}),
	"i $subscriber_identity", "subscriber table uses $subscriber_identity as replica identity");

$publisher->safe_psql('postgres', q{
	INSERT INTO t SELECT g * 3, 'initial' FROM generate_series(1, 5000) g;
	CREATE PUBLICATION pub FOR TABLE t;
});
my $connstr = $publisher->connstr . ' dbname=postgres';
$subscriber->safe_psql('postgres',
	"CREATE SUBSCRIPTION sub CONNECTION '$connstr' PUBLICATION pub");
$publisher->wait_for_catchup('sub');
$subscriber->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')})
  or die 'initial sync did not finish';

# Changes the apply worker must locate by key (PostgreSQL 15 searches the
# replica identity index, RelationFindReplTupleByIndex; a row it misses is
# logged and skipped, and the tables would differ): non-key updates, key
# moves (into gaps and to the right end), deletes, and inserts that split
# leaves.
$publisher->safe_psql('postgres', q{
	INSERT INTO t SELECT g * 3 + 1, 'inserted' FROM generate_series(1, 5000) g;
	UPDATE t SET v = 'updated' WHERE id % 7 = 0;
	UPDATE t SET id = id + 1 WHERE id % 3 = 1 AND id % 11 = 0;
	UPDATE t SET id = id + 100000 WHERE id BETWEEN 1000 AND 1200;
	DELETE FROM t WHERE id % 13 = 0;
	DELETE FROM t WHERE id BETWEEN 9000 AND 9500;
});
$publisher->wait_for_catchup('sub');

my $all = q{SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)), count(*) FROM t};
my $seq = q{SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; };
is($subscriber->safe_psql('postgres', $seq . $all),
	$publisher->safe_psql('postgres', $seq . $all),
	'subscriber rows equal publisher rows');

# The btree identity (16, 17) has done its part: without it the queries
# below go through the learned index.
$subscriber->safe_psql('postgres',
	'ALTER TABLE t REPLICA IDENTITY DEFAULT; DROP INDEX t_btree;')
  if $subscriber_identity eq 't_btree';

# id is NOT NULL (a replica identity's column must be): from PostgreSQL 18
# on the planner proves IS NULL false and drops IS NOT NULL, so those two
# queries use no index there; they say nothing about this table anyway.
my @queries = grep { $_->[0] !~ /NULL/ } learned_queries('t', lo => 0, hi => 120_000);
# Each against its own sequential scan: the queries compare heap TIDs.
compare_with_seqscan($publisher, [$publisher], 't_key', \@queries);
compare_with_seqscan($subscriber, [$subscriber], 't_key', \@queries);
learned_check_ok($publisher, 't_key');
learned_check_ok($subscriber, 't_key');

my ($ret, $stdout, $stderr) = $subscriber->psql('postgres',
	q{INSERT INTO t SELECT id, 'again' FROM t WHERE id = (SELECT min(id) FROM t)});
like($stderr, qr/duplicate key value violates unique constraint "t_key"/,
	'subscriber index refuses a duplicate key');
ok(!$subscriber->log_contains('did not find row'),
	'apply worker found every row it updated or deleted through the index');

$subscriber->safe_psql('postgres', 'DROP SUBSCRIPTION sub');
$subscriber->stop;
$publisher->stop;
done_testing();
