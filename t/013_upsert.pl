
# INSERT ... ON CONFLICT (id) DO UPDATE under load, with a unique learned
# index as arbiter, beside a twin table whose arbiter is a unique btree
# index: pgbench clients upsert random keys of a small range (most keys
# inserted by racing clients at first, then updated), a few hot keys, and
# the key of the current 20 ms, which all clients race to insert (the
# speculative insertions of one key meet), into both tables in each
# transaction.  Afterwards no key may
# appear twice, the sum of the counters must equal the number of
# transactions pgbench reports, the two tables must hold the same rows,
# every key must be refused when inserted again (23505) and found by
# ON CONFLICT, and the index must answer as a sequential scan does and
# pass learned_index_check.  Then the same load on new keys is stopped by
# an immediate shutdown; after recovery (replayed with
# wal_consistency_checking) the same must hold, the counters compared
# between the twins instead of with pgbench's count.
#
# PostgreSQL 15 to 17 refuse ON CONFLICT on a table with a non-btree unique
# index (README, "Unique indexes"): the test is skipped there.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('upsert');
if ($node->pg_version < 18)
{
	plan skip_all => 'PostgreSQL ' . $node->pg_version
	  . ' refuses INSERT ... ON CONFLICT on a table with a unique learned index'
	  . ' (XX000 "unexpected non-btree speculative unique index"; 18 accepts it)';
}

$node->init;
$node->append_conf('postgresql.conf', qq{
wal_consistency_checking = 'Generic'
autovacuum = off
max_connections = 30
max_wal_size = 1GB
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# t has the learned index, tb the btree one; key_accepted() probes t.
sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE t (id int8, who text, n int8 NOT NULL DEFAULT 0);
	INSERT INTO t SELECT g * 3, 'setup', 0 FROM generate_series(1, 666) g;
	CREATE UNIQUE INDEX t_key ON t USING learned (id) WITH (fillfactor = 100);
	CREATE TABLE tb (LIKE t INCLUDING DEFAULTS);
	INSERT INTO tb SELECT * FROM t;
	CREATE UNIQUE INDEX tb_key ON tb USING btree (id);
});
sql($KEY_ACCEPTED_SQL);

# The load: each transaction upserts one key into both tables.  Random
# keys of a range, or (with no range) the key of the current 20 ms: every
# client upserts that key, which none has inserted yet when it begins, so
# that insertions of one new key race all the time (speculative
# insertions meeting each other's entries).
sub upsert_script
{
	my ($lo, $hi) = @_;
	my $key =
	  defined $lo
	  ? "\\set k random($lo, $hi)"
	  : "SELECT (extract(epoch FROM clock_timestamp()) * 50)::int8 AS k \\gset";
	return qq{
$key
BEGIN;
INSERT INTO t VALUES (:k, 'load', 1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1;
INSERT INTO tb VALUES (:k, 'load', 1) ON CONFLICT (id) DO UPDATE SET n = tb.n + 1;
COMMIT;
};
}

my $seq = 'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; ';

# What must hold after a load; $transactions, when known, is what the
# counters must add up to.
sub check_tables
{
	my ($when, $transactions, $hi) = @_;

	is(sql($seq . 'SELECT count(*) - count(DISTINCT id) FROM t'),
		'0', "$when: no key twice in the heap");
	my $sum_t = sql($seq . 'SELECT sum(n) FROM t');
	my $sum_tb = sql($seq . 'SELECT sum(n) FROM tb');
	if (defined $transactions)
	{
		is($sum_t, $transactions,
			"$when: the learned table's counters add up to the $transactions transactions");
	}
	is($sum_t, $sum_tb, "$when: the counters add up alike in both tables");
	is( sql($seq . q{
			SELECT count(*) FROM ((TABLE t EXCEPT ALL TABLE tb)
								  UNION ALL (TABLE tb EXCEPT ALL TABLE t)) d}),
		'0', "$when: the learned table holds the btree twin's rows");
	is(sql('SELECT count(*) FROM t WHERE key_accepted(id)'),
		'0', "$when: every key is refused when inserted again");
	# Every key once more through ON CONFLICT: all found, none inserted.
	my $rows = sql('SELECT count(*) FROM t');
	sql(q{
		INSERT INTO t SELECT id, 'again', 1 FROM t ON CONFLICT (id) DO UPDATE SET n = t.n + 1;
		INSERT INTO tb SELECT id, 'again', 1 FROM tb ON CONFLICT (id) DO UPDATE SET n = tb.n + 1;
	});
	is(sql($seq . 'SELECT count(*) || \' \' || sum(n) FROM t'),
		$rows . ' ' . ($sum_t + $rows),
		"$when: ON CONFLICT finds every key (each updated once, none inserted)");
	is(sql($seq . 'SELECT sum(n) FROM t') , sql($seq . 'SELECT sum(n) FROM tb'),
		"$when: and so does btree's");

	my @queries = learned_queries('t', lo => 0, hi => $hi);
	compare_with_seqscan($node, [$node], 't_key', \@queries);
	learned_check_ok($node, 't_key');
	return;
}

# 1. A load that runs to its end: pgbench counts the transactions.
my $leaves_before = sql(q{SELECT leaf_pages FROM learned_index_info('t_key')});
my ($clients, $per_client) = (6, 700);
my $transactions = $clients * $per_client;
$node->pgbench(
	"--no-vacuum --client=$clients --jobs=2 --transactions=$per_client --max-tries=20",
	0,
	[
		qr{number of transactions actually processed: $transactions/$transactions},
		qr{number of failed transactions: 0 }
	],
	[qr{^$}],
	'concurrent upserts of keys 1 to 2000, of 8 hot keys and of the current key',
	{
		'upsert.sql@1' => upsert_script(1, 2000),
		'hot.sql@1' => upsert_script(1, 8),
		'now.sql@3' => upsert_script(),
	});
ok(sql(q{SELECT leaf_pages FROM learned_index_info('t_key')}) > $leaves_before,
	'leaves split during the load');
check_tables('after the load', $transactions, 2100);

# 2. The same load on new keys, stopped in immediate mode.
my $load = $node->basedir . '/crash_load.sql';
PostgreSQL::Test::Utils::append_to_file($load, upsert_script(2001, 6000));
my $load_now = $node->basedir . '/crash_load_now.sql';
PostgreSQL::Test::Utils::append_to_file($load_now, upsert_script());
my $target = sql('SELECT sum(n) FROM t') + 3000;
my ($out, $err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '--no-vacuum', "--client=$clients", '--jobs=2',
		'--time=300', '--max-tries=20', '-f', "$load\@1", '-f', "$load_now\@2",
		'--host=' . $node->host, '--port=' . $node->port, 'postgres'
	],
	'<', \undef, '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
ok($node->poll_query_until('postgres', "SELECT sum(n) >= $target FROM t"),
	'the second load upserted 3000 times');
$node->stop('immediate');
$pgbench->finish;
$node->start;
ok(!$node->log_contains('inconsistent page found'),
	'recovery passed wal_consistency_checking');
ok(sql('SELECT count(*) FROM t WHERE id BETWEEN 2001 AND 6000') > 0,
	'keys of the second load survived the crash');
check_tables('after the crash', undef, 6100);

$node->stop;
done_testing();
