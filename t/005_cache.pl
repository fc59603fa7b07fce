
# The per-backend model cache across backends.  A backend reads the model
# (the metapage's directory of records and a record or two), then another
# backend appends until records split.  Its next lookups must be exact, and
# with no room for lists (learned.cache_budget_kb = 0: every list is searched
# on its model page) the record page it reads shows the split (its right link
# is not the cached directory's next record), so the lookup reloads the
# directory at once instead of walking right past every leaf the split moved
# to the new records.  With the default budget the same lookups are exact,
# and the cache stays within its budget.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('cache');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION learned_am;});

# Index blocks one statement of a background psql reads, and its output.
# Counted by that backend alone, in its transaction's own statistics: the
# shared counters (pg_statio_user_indexes) also receive, at any moment, the
# counts another backend flushes when it exits (the safe_psql sessions that
# just inserted into the index or read learned_index_info: psql returns
# before its backend has finished exiting), which made this count vary.
sub blocks_for
{
	my ($session, $index, $query) = @_;
	# Flushed when this statement ends: the count below starts at zero.
	$session->query_safe('SELECT pg_stat_force_next_flush()');
	$session->query_safe('BEGIN');
	my $out = $session->query_safe($query);
	my $blocks = $session->query_safe(
		"SELECT pg_stat_get_xact_blocks_fetched('$index'::regclass)");
	$session->query_safe('COMMIT');
	return ($blocks, $out);
}

for my $budget (0, -1)
{
	my $table = $budget < 0 ? 'c_default' : 'c_none';
	my $index = "${table}_idx";
	sql(qq{
		CREATE TABLE $table (id int8) WITH (autovacuum_enabled = off);
		INSERT INTO $table SELECT g FROM generate_series(1, 100000) g;
		CREATE INDEX $index ON $table USING learned (id)
			WITH (pages_per_record = 8);
		VACUUM ANALYZE $table;
	});

	my $reader = $node->background_psql('postgres');
	$reader->query_safe(
		"SET learned.cache_budget_kb = $budget; $SCAN_SETTINGS{indexscan}");
	is($reader->query_safe("SELECT count(*) FROM $table WHERE id = 99999"),
		1, "budget $budget: the reader's first lookup");

	my $records = sql("SELECT records FROM learned_index_info('$index')");
	sql("INSERT INTO $table SELECT g FROM generate_series(100001, 1100000) g");
	cmp_ok(sql("SELECT records FROM learned_index_info('$index')"),
		'>', $records, "budget $budget: another backend split records");

	my ($blocks, $out) = blocks_for($reader, $index,
		"SELECT id FROM $table WHERE id = 1099990");
	is($out, '1099990', "budget $budget: a lookup past the split finds its key");
	note("budget $budget: that lookup read $blocks index blocks");
	if ($budget == 0)
	{
		cmp_ok($blocks, '<=', 10,
			'no lists cached: the stale directory is noticed on the record page, '
			  . 'the lookup reads few pages');
	}
	for my $query (
		"SELECT count(*) FROM $table WHERE id BETWEEN 99000 AND 101000",
		"SELECT count(*) FROM $table WHERE id >= 1099000",
		"SELECT count(*) FROM generate_series(1, 1100000, 997) k "
		  . "JOIN $table t ON t.id = k",
		"SELECT id FROM $table WHERE id > 1099995 ORDER BY id DESC")
	{
		is($reader->query_safe($query),
			run_in_mode($node, 'seqscan', $query),
			"budget $budget: the reader answers as a seqscan: $query");
	}
	if ($budget < 0)
	{
		cmp_ok(
			$reader->query_safe(
				"SELECT cached_bytes FROM learned_index_info('$index')"),
			'<=',
			sql("SELECT least(4 * 1024 * 1024, greatest(64 * 1024, pg_relation_size('$index') / 100))"),
			'default budget: the cache stays within it');
	}
	$reader->quit;
	learned_check_ok($node, $index);
}

$node->stop;
done_testing();
