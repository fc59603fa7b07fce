
# Unique learned indexes through WAL: a streaming standby replays the
# build, inserts, splits and NULLS NOT DISTINCT inserts of unique indexes
# (with wal_consistency_checking) and answers as the primary does; then the
# primary is stopped in immediate mode in the middle of a load of colliding
# inserts.  After recovery no key may appear twice, every live key must be
# refused when inserted again, the index must answer as a sequential scan
# does and pass learned_index_check; the standby, promoted, enforces
# uniqueness with the pages it replayed.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $conf = qq{
wal_consistency_checking = 'Generic'
autovacuum = off
max_wal_size = 1GB
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

sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE t (id int8, who text);
	INSERT INTO t SELECT g * 2, 'setup' FROM generate_series(1, 20000) g;
	CREATE UNIQUE INDEX t_key ON t USING learned (id) WITH (fillfactor = 100);
	CREATE TABLE n (id int8, who text);
	INSERT INTO n VALUES (NULL, 'setup');
	CREATE UNIQUE INDEX n_key ON n USING learned (id) NULLS NOT DISTINCT;
	CREATE FUNCTION try_insert(k int8) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO t VALUES (k, 'load');
	EXCEPTION WHEN unique_violation THEN
		NULL;
	END
	$$;
	-- Odd keys between the built ones: splits all along the index.
	SELECT try_insert(g * 2 + 1) FROM generate_series(1, 20000, 3) g;
	SELECT try_insert(g) FROM generate_series(1, 40000, 7) g;
	DELETE FROM n;
	INSERT INTO n VALUES (NULL, 'after delete');
});
sql($KEY_ACCEPTED_SQL);

$primary->wait_for_catchup($standby, 'replay');
my @queries = learned_queries('t', lo => 0, hi => 45_000);
compare_with_seqscan($primary, [ $primary, $standby ], 't_key', \@queries);
for my $node ($primary, $standby)
{
	learned_check_ok($node, 't_key');
	learned_check_ok($node, 'n_key');
}
ok(!$standby->log_contains('inconsistent page found'),
	'replay passed wal_consistency_checking');

# A load of colliding inserts, stopped in immediate mode.
my $load = $primary->basedir . '/load.sql';
PostgreSQL::Test::Utils::append_to_file($load, q{
\set k random(1, 60000)
BEGIN;
SELECT try_insert(:k);
SELECT try_insert(:k + 1);
SELECT try_insert(:k + 2);
COMMIT;
});
my $target = sql('SELECT count(*) FROM t') + 6000;
my ($out, $err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '--no-vacuum', '--client=3', '--jobs=3', '--time=300',
		'--max-tries=20', '-f', $load,
		'--host=' . $primary->host, '--port=' . $primary->port, 'postgres'
	],
	'<', \undef, '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
ok($primary->poll_query_until('postgres', "SELECT count(*) >= $target FROM t"),
	"load reached $target rows");
$primary->stop('immediate');
$pgbench->finish;
$primary->start;

my $seq = q{SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; };
is(sql($seq . 'SELECT count(*) - count(DISTINCT id) FROM t'),
	'0', 'after the crash: no key twice in the heap');
is(sql('SELECT count(*) FROM t WHERE key_accepted(id)'),
	'0', 'after the crash: every live key is refused when inserted again');
@queries = learned_queries('t', lo => 0, hi => 65_000);
compare_with_seqscan($primary, [$primary], 't_key', \@queries);
learned_check_ok($primary, 't_key');

# The promoted standby enforces uniqueness with its replayed pages.
$primary->wait_for_catchup($standby, 'replay');
$standby->promote;
my ($ret, $stdout, $stderr) = $standby->psql('postgres',
	q{INSERT INTO t SELECT id, 'again' FROM t WHERE id = (SELECT max(id) FROM t)});
like($stderr, qr/duplicate key value violates unique constraint "t_key"/,
	'promoted standby refuses a duplicate key');
($ret, $stdout, $stderr) = $standby->psql('postgres',
	q{INSERT INTO n VALUES (NULL, 'second')});
like($stderr, qr/duplicate key value violates unique constraint "n_key"/,
	'promoted standby refuses a second NULL under NULLS NOT DISTINCT');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM t WHERE key_accepted(id)'),
	'0', 'promoted standby: every live key is refused when inserted again');
is($standby->safe_psql('postgres', $seq . 'SELECT count(*) - count(DISTINCT id) FROM t'),
	'0', 'promoted standby: no key twice in the heap');
learned_check_ok($standby, 't_key');

$standby->stop;
$primary->stop;
done_testing();
