
# The per-backend model cache across backends.  A backend reads the model
# (the metapage's directory of records and a record or two), then another
# backend appends until records split.  Its next lookups must be exact, and
# with no room for lists (learned.cache_budget_kb = 0: every list is searched
# on its model page) the record page it reads shows the split (its right link
# is not the cached directory's next record), so the lookup reloads the
# directory at once instead of walking right past every leaf the split moved
# to the new records.  With the default budget the same lookups are exact,
# and the cache stays within its budget.
#
# Last, an index whose record pages lack high fences, as a version before
# them wrote them: lookups learn where records start from the records' own
# pages (exact, only more pages for a fresh backend), and a retrain gives
# every record its high fence (README, "The model").

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('cache');
# Data checksums off: the last part edits an index file while the server is
# down (PostgreSQL 18's initdb enables them; earlier versions ignore this).
$node->init(no_data_checksums => 1);
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

############################################################################
# Records without high fences.  The flag (LEARNED_RECORD_HIGH: bit 8 of the
# flags, 52 bytes into the 56-byte special space) is cleared on every
# record page while the server is down.
############################################################################

sql(q{
	CREATE TABLE old_hf (id int8) WITH (autovacuum_enabled = off);
	INSERT INTO old_hf SELECT g * 3 FROM generate_series(1, 300000) g;
	CREATE INDEX old_hf_idx ON old_hf USING learned (id)
		WITH (pages_per_record = 8, fillfactor = 40);
	VACUUM ANALYZE old_hf;
});
my ($leaf_pages, $nrecords) = split /\|/,
  sql(q{SELECT leaf_pages, records FROM learned_index_info('old_hf_idx')});
my $block_size = sql('SHOW block_size');
my $file = $node->data_dir . '/' . sql(q{SELECT pg_relation_filepath('old_hf_idx')});
$node->stop;
open(my $fh, '+<', $file) or die "open $file: $!";
binmode $fh;
my $cleared = 0;
# The records follow the leaves (no NULL pages here).
for my $block ($leaf_pages + 1 .. $leaf_pages + $nrecords)
{
	my $offset = ($block + 1) * $block_size - 56 + 52;
	sysseek($fh, $offset, 0) or die "seek: $!";
	sysread($fh, my $bytes, 2) == 2 or die "read: $!";
	my $flags = unpack('v', $bytes);
	die "block $block is not a record page" unless $flags & 2;
	$cleared++ if $flags & 0x100;
	sysseek($fh, $offset, 0) or die "seek: $!";
	syswrite($fh, pack('v', $flags & ~0x100), 2) == 2 or die "write: $!";
}
close($fh);
is($cleared, $nrecords, "each of the $nrecords record pages had a high fence");
$node->start;

my $first_lookup = 'SELECT id FROM old_hf WHERE id = 450003';
my $hundred_lookups = 'SELECT count(*) FROM (SELECT (g * 7919 % 300000 + 1) * 3 AS k '
  . 'FROM generate_series(1, 100) g) p JOIN old_hf t ON t.id = p.k';

# A fresh backend's first lookup, and another's first 100: index blocks
# read, and the answers.
sub fresh_backend_blocks
{
	my @counts;
	for my $query ($first_lookup, $hundred_lookups)
	{
		my $session = $node->background_psql('postgres');
		$session->query_safe($SCAN_SETTINGS{indexscan});
		my ($blocks, $out) = blocks_for($session, 'old_hf_idx', $query);
		is($out, run_in_mode($node, 'seqscan', $query),
			"answers as a seqscan: $query");
		$session->quit;
		push @counts, $blocks;
	}
	return @counts;
}

my ($old_first, $old_hundred) = fresh_backend_blocks();
note("without high fences: first lookup $old_first blocks, first 100 lookups $old_hundred");
cmp_ok($old_first, '>', 3,
	'without high fences a first lookup reads more than the metapage, one record and the leaf');
learned_check_ok($node, 'old_hf_idx');

sql(q{SELECT learned_index_retrain('old_hf_idx')});
my ($new_first, $new_hundred) = fresh_backend_blocks();
note("after the retrain: first lookup $new_first blocks, first 100 lookups $new_hundred");
is($new_first, 3, 'after a retrain a first lookup reads the metapage, one record and the leaf');
cmp_ok($new_hundred, '<', $old_hundred, 'and the first 100 lookups read fewer pages');
cmp_ok($new_hundred, '<=', 200, 'at most two a lookup');
learned_check_ok($node, 'old_hf_idx');

$node->stop;
done_testing();
