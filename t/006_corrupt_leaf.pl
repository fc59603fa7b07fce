
# Pages whose contents break the index's rules (torn or overwritten).
#
# A leaf whose packing format is not one the code writes (a torn or
# overwritten page): every reader divides by the format's widths, so each
# must refuse the page with ERRCODE_INDEX_CORRUPTED and a REINDEX hint, and
# never crash.  The test overwrites the key width of one leaf in the index
# file while the server is down, then reads it through a lookup, an insert,
# learned_index_info, learned_index_check and VACUUM; REINDEX repairs it.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $node = PostgreSQL::Test::Cluster->new('corrupt');
# Data checksums off: from PostgreSQL 18 on initdb enables them, and the
# page checksum would then refuse the overwritten page before the index's
# own check could be seen.  (Earlier versions' Cluster.pm ignores the flag;
# their initdb has checksums off already.)
$node->init(no_data_checksums => 1);
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	CREATE TABLE c (id int8) WITH (autovacuum_enabled = off);
	INSERT INTO c SELECT g FROM generate_series(1, 10000) g;
	CREATE INDEX c_idx ON c USING learned (id);
	DELETE FROM c WHERE id % 10 = 0;
});
my $file = $node->data_dir . '/' . sql(q{SELECT pg_relation_filepath('c_idx')});

# Block 1 is the first leaf (the build writes the leaves right after the
# metapage).  The key width is the first byte of LearnedLeafFormat in the
# special space: after two 16-byte fences, three block numbers and nsorted.
my $block_size = sql('SHOW block_size');
my $special_size = 56;
my $format_offset = $block_size + $block_size - $special_size + 32 + 12 + 2;
is(sql(q{SELECT learned_index_check('c_idx', true)}), '', 'intact before');

$node->stop;
open(my $fh, '+<', $file) or die "open $file: $!";
binmode $fh;
sysseek($fh, $format_offset, 0) or die "seek: $!";
sysread($fh, my $width, 1) == 1 or die "read: $!";
is(ord($width), 8, 'the first leaf stores 8-byte keys (offsets from the int8 minimum)');
sysseek($fh, $format_offset, 0) or die "seek: $!";
syswrite($fh, chr(0), 1) == 1 or die "write: $!";
close($fh);
$node->start;

my $lookup = q{SET enable_seqscan = off; SET enable_bitmapscan = off;
	SELECT id FROM c WHERE id = 5};
for my $case (
	[ 'lookup', $lookup ],
	[ 'insert', 'INSERT INTO c VALUES (7)' ],
	[ 'learned_index_info', q{SELECT * FROM learned_index_info('c_idx')} ],
	[ 'learned_index_check', q{SELECT learned_index_check('c_idx')} ],
	[ 'VACUUM', 'VACUUM c' ])
{
	my ($name, $query) = @$case;
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $query,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "$name fails");
	like($stderr, qr/XX002/, "$name: index corrupted (SQLSTATE XX002)");
	# The check names the rule it found broken; the others the block.
	like($stderr,
		$name eq 'learned_index_check'
		? qr/block 1: leaf format \(key 0 bytes, block \d+ bits, offset \d+ bits\) is not one this version writes/
		: qr/unexpected page at block 1/,
		"$name names the block");
	like($stderr, qr/REINDEX/, "$name hints at REINDEX");
}
ok($node->safe_psql('postgres', 'SELECT 1') eq '1', 'the server did not crash');

sql('REINDEX INDEX c_idx');
is(sql(q{SELECT learned_index_check('c_idx', true)}), '', 'REINDEX repairs it');
is(sql($lookup), '5', 'a lookup after REINDEX');

# A leaf whose recent run is longer than any the code makes: the scratch
# arrays of a leaf read are sized by the limit, so a reader must refuse the
# page as corrupt (it raised an internal error, XX000, before).  nrecent
# follows nsorted, the format's three bytes and one unused byte.
$file = $node->data_dir . '/' . sql(q{SELECT pg_relation_filepath('c_idx')});
my $nrecent_offset = $format_offset + 3 + 1;
$node->stop;
open($fh, '+<', $file) or die "open $file: $!";
binmode $fh;
sysseek($fh, $nrecent_offset, 0) or die "seek: $!";
sysread($fh, my $nrecent, 2) == 2 or die "read: $!";
is(unpack('v', $nrecent), 0, 'a freshly built leaf has no recent run');
sysseek($fh, $nrecent_offset, 0) or die "seek: $!";
syswrite($fh, pack('v', 0xFFFF), 2) == 2 or die "write: $!";
close($fh);
$node->start;

for my $case (
	[ 'lookup', $lookup ],
	[ 'insert', 'INSERT INTO c VALUES (7)' ],
	[ 'learned_index_check', q{SELECT learned_index_check('c_idx')} ],
	[ 'VACUUM', 'VACUUM c' ])
{
	my ($name, $query) = @$case;
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $query,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "recent run: $name fails");
	like($stderr, qr/XX002/, "recent run: $name: index corrupted (SQLSTATE XX002)");
	like($stderr,
		$name eq 'learned_index_check'
		? qr/block 1: leaf has \d+ main and 65535 recent sorted entries/
		: qr/unexpected page at block 1/,
		"recent run: $name names the block");
	like($stderr, qr/REINDEX/, "recent run: $name hints at REINDEX");
}
ok($node->safe_psql('postgres', 'SELECT 1') eq '1', 'the server did not crash');
sql('REINDEX INDEX c_idx');
is(sql(q{SELECT learned_index_check('c_idx', true)}), '', 'REINDEX repairs it again');

# A record whose high fence (the next record's first fence, which lookups
# route by: README, "The model") lies inside its own range: a lookup of a
# key between it and the next record's true first fence would land right
# of its leaf and miss it.  The check names the pair; a fresh backend's
# lookup of such a key refuses the index rather than answer from the wrong
# leaf, and so does one that reads the two records the other way round.
sql(q{
	CREATE TABLE h (id int8) WITH (autovacuum_enabled = off);
	INSERT INTO h SELECT g FROM generate_series(1, 100000) g;
	CREATE INDEX h_idx ON h USING learned (id) WITH (pages_per_record = 8);
});
# The records follow the leaves (no NULL pages here); record 0 is the first.
my $record0 = sql(q{SELECT leaf_pages + 1 FROM learned_index_info('h_idx')});
my $high_offset = $record0 * $block_size + $block_size - $special_size + 16;
$file = $node->data_dir . '/' . sql(q{SELECT pg_relation_filepath('h_idx')});
$node->stop;
open($fh, '+<', $file) or die "open $file: $!";
binmode $fh;
sysseek($fh, $high_offset, 0) or die "seek: $!";
sysread($fh, my $high, 8) == 8 or die "read: $!";
my $next_first = unpack('q<', $high);
cmp_ok($next_first, '>', 1000, "record 0 keeps record 1's first key $next_first as its high fence");
sysseek($fh, $high_offset, 0) or die "seek: $!";
syswrite($fh, pack('q<', $next_first - 1000), 8) == 8 or die "write: $!";
close($fh);
$node->start;

my $between = $next_first - 500;
for my $case (
	[ 'lookup', "SELECT id FROM h WHERE id = $between" ],
	[ 'lookup after record 1', "SELECT id FROM h WHERE id = $next_first + 10; SELECT id FROM h WHERE id = $between" ],
	[ 'learned_index_check', q{SELECT learned_index_check('h_idx')} ])
{
	my ($name, $query) = @$case;
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		"SET enable_seqscan = off; SET enable_bitmapscan = off; $query",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "high fence: $name fails");
	like($stderr, qr/XX002/, "high fence: $name: index corrupted (SQLSTATE XX002)");
	like($stderr,
		$name eq 'learned_index_check'
		? qr/record 1 of level 1 starts at fence \($next_first,.*but the record before it keeps \(@{[$next_first - 1000]},/
		: qr/disagree on where it starts \(keys $next_first and @{[$next_first - 1000]}\)|disagree on where it starts \(keys @{[$next_first - 1000]} and $next_first\)/,
		"high fence: $name names the two fences");
	like($stderr, qr/REINDEX/, "high fence: $name hints at REINDEX");
}
sql('REINDEX INDEX h_idx');
is(sql(q{SELECT learned_index_check('h_idx', true)}), '', 'REINDEX repairs the high fence');
is(sql("SET enable_seqscan = off; SET enable_bitmapscan = off; SELECT id FROM h WHERE id = $between"),
	$between, 'a lookup after REINDEX');

$node->stop;
done_testing();
