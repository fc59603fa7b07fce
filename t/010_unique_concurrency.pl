
# Uniqueness under concurrency: pgbench clients insert keys from a small
# range (so that most inserts meet an equal key, often one whose inserter
# is still in progress or will roll back), race for a few hot keys that
# others keep deleting, update keys onto their
# neighbours, delete them, and append at the right end (splits), while a
# second pgbench runs VACUUM in a loop; a table with a NULLS NOT DISTINCT
# index takes NULL inserts and deletes alike.  Afterwards no key may appear
# twice in the heap, at most one NULL in the second table, every live key
# must be refused when inserted again (the check finds each one), the
# index must answer as a sequential scan does and pass learned_index_check
# with heapallindexed.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $duration = 15;    # seconds of concurrent work

my $node = PostgreSQL::Test::Cluster->new('unique_concurrency');
$node->init;
$node->append_conf('postgresql.conf', qq{
max_connections = 30
autovacuum = off
deadlock_timeout = 100ms
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE t (id int8, who text);
	INSERT INTO t SELECT g * 2, 'setup' FROM generate_series(1, 10000) g;
	CREATE UNIQUE INDEX t_key ON t USING learned (id) WITH (fillfactor = 100);
	CREATE SEQUENCE ascending START 100000;
	CREATE TABLE n (id int8, who text);
	INSERT INTO n SELECT g, 'setup' FROM generate_series(1, 1000) g;
	CREATE UNIQUE INDEX n_key ON n USING learned (id) NULLS NOT DISTINCT;

	-- A duplicate is an expected outcome here, not a failed transaction.
	CREATE FUNCTION try_insert(tab regclass, k int8) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		EXECUTE format('INSERT INTO %s VALUES ($1, $2)', tab) USING k, 'bench';
	EXCEPTION WHEN unique_violation THEN
		NULL;
	END
	$$;
	CREATE FUNCTION try_move(k int8, d int8) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		UPDATE t SET id = id + d WHERE id = k;
	EXCEPTION WHEN unique_violation THEN
		NULL;
	END
	$$;
});
sql($KEY_ACCEPTED_SQL);

my %scripts = (
	# Short transactions on a crowded key range.
	'insert.sql@4' => q{
\set k random(1, 24000)
SELECT try_insert('t', :k);
SELECT try_insert('t', :k + 1);
},
	# Entries left in progress for a while, committed or rolled back.
	'held.sql@2' => q{
\set k random(1, 24000)
BEGIN;
SELECT try_insert('t', :k);
SELECT try_insert('t', :k + 3);
\sleep 2 ms
COMMIT;
},
	'rollback.sql@2' => q{
\set k random(1, 24000)
BEGIN;
SELECT try_insert('t', :k);
\sleep 2 ms
ROLLBACK;
},
	# A few hot keys, freed and taken again all the time: inserters race
	# for the same key at the same moment.
	'hot.sql@4' => q{
\set k random(1, 16)
SELECT try_insert('t', :k);
},
	'hotfree.sql@2' => q{
\set k random(1, 16)
DELETE FROM t WHERE id = :k;
},
	'move.sql@2' => q{
\set k random(1, 24000)
SELECT try_move(:k, 1);
SELECT try_move(:k + 5, -1);
},
	'delete.sql@2' => q{
\set k random(1, 24000)
DELETE FROM t WHERE id BETWEEN :k AND :k + 3;
},
	'append.sql@1' => q{
INSERT INTO t SELECT nextval('ascending'), 'append' FROM generate_series(1, 20);
},
	'nulls.sql@2' => q{
\set k random(1, 1200)
SELECT try_insert('n', NULL);
SELECT try_insert('n', :k);
DELETE FROM n WHERE id IS NULL AND random() < 0.3;
},);

# VACUUM in a loop, by a second pgbench alongside.
my $vacuum = vacuum_loop_start($node, q{
VACUUM (INDEX_CLEANUP ON) t;
VACUUM (INDEX_CLEANUP ON) n;
\sleep 100 ms
}, $duration);

my $leaves_before = sql(q{SELECT leaf_pages FROM learned_index_info('t_key')});

# Two inserters may wait for each other's keys: deadlocks are retried.
$node->pgbench(
	"--no-vacuum --client=6 --jobs=2 --time=$duration --max-tries=50",
	0,
	[ qr{processed: [1-9]}, qr{number of failed transactions: 0 } ],
	[qr{^$}],
	'concurrent inserts of colliding keys, moves, deletes, appends and NULLs',
	\%scripts);

vacuum_loop_finish($vacuum);

note 'rows: ' . sql(q{SELECT count(*) || ' in t, ' || (SELECT count(*) FROM n) || ' in n' FROM t});
# Leaves never leave the chain, so more leaf pages means leaves split
# (learned_index_info's split counter is no witness: the VACUUM loop's
# retraining resets it).
ok(sql(q{SELECT leaf_pages FROM learned_index_info('t_key')}) > $leaves_before,
	'leaves split during the run');

is( sql(q{
		SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
		SELECT count(*) - count(DISTINCT id) FROM t}),
	'0', 'no key twice in the heap');
is( sql(q{
		SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
		SELECT count(*) <= 1 FROM n WHERE id IS NULL}),
	't', 'at most one NULL under NULLS NOT DISTINCT');
is(sql(q{SELECT count(*) FROM t WHERE key_accepted(id)}),
	'0', 'every live key is refused when inserted again');

my @queries = learned_queries('t', lo => 0, hi => 110_000);
compare_with_seqscan($node, [$node], 't_key', \@queries);
learned_check_ok($node, 't_key');
learned_check_ok($node, 'n_key');

$node->stop;
done_testing();
