
# Randomized soak: writers insert, delete and update keys of several
# distributions (dense ascending, random over the whole int8 range, far keys
# near INT64_MIN/MAX and the packing formats' boundaries 2^8 .. 2^62, heavily
# repeated keys, clustered keys; timestamps with 'infinity', '-infinity', the
# type's extremes and NULLs; heap TIDs with offsets past 255) into tables
# indexed with learned at fillfactors 10, 50 and 90, while a maintenance
# session runs VACUUM and learned_index_retrain in a loop and readers query
# through the indexes, comparing index, index-only and bitmap scans with a
# sequential scan inside one snapshot.  The first phase ends with an
# immediate stop in the middle of the load.  After each phase every index
# must answer exactly what a sequential scan answers (points, ranges, IN
# lists, IS NULL, ordered scans both ways; by index, index-only and bitmap
# plans, each plan checked with EXPLAIN), pass learned_index_check with
# heapallindexed and hold one entry per row, and the server log must hold no
# ERROR, PANIC, failed assertion or crashed backend.  (A retrain refused
# because records kept splitting is documented behaviour: soak_retrain
# counts it instead.)
#
# Each session's statements come from Perl's generator seeded by
# LEARNED_SOAK_SEED (printed; a fixed default), chunk by chunk, so a
# session's stream is the same on every run with that seed; the
# interleaving is not.  LEARNED_SOAK_DURATION sets the seconds of load
# (default 30, half before the crash, half after), LEARNED_SOAK_WRITERS the
# number of writer sessions (default 3).  A longer run by hand:
#
#   LEARNED_SOAK_SEED=7 LEARNED_SOAK_DURATION=600 \
#     make -f Makefile -f scripts/suites.mk installcheck-tap PROVE_TESTS=t/009_soak.pl

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $seed = $ENV{LEARNED_SOAK_SEED} // 20261206;
my $duration = $ENV{LEARNED_SOAK_DURATION} // 30;
my $n_writers = $ENV{LEARNED_SOAK_WRITERS} // 3;
die "LEARNED_SOAK_SEED must be an integer" unless $seed =~ /^\d+$/;
die "LEARNED_SOAK_WRITERS must be a positive integer"
  unless $n_writers =~ /^\d+$/ && $n_writers >= 1;
die "LEARNED_SOAK_DURATION must be a number of seconds"
  unless $duration =~ /^\d+$/ && $duration >= 2;
diag("soak seed $seed (LEARNED_SOAK_SEED), ${duration} s of load "
	  . "(LEARNED_SOAK_DURATION), $n_writers writers");

my $I64MAX = 9223372036854775807;
my $I64MIN = -9223372036854775807 - 1;

# The tables: name, fillfactor of their learned indexes, the key profile
# their rows follow, the indexed columns.
#  mixed:  every distribution at once (the index's top holds INT64_MAX and
#          'infinity' from the start);
#  series: ascending ids and clock timestamps, repeated keys, and now and
#          then a sentinel far above (near INT64_MAX, 'infinity', the last
#          timestamp) that the writers delete again, so the top of the
#          index is by turns dense and far;
#  narrow: id only, runs of one key after runs of NULL rows, so that heap
#          pages hold more than 255 tuples (heap offsets past one byte).
my @tables = (
	[ 's10', 10, 'mixed', [ 'id', 'ts' ] ],
	[ 's50', 50, 'mixed', [ 'id', 'ts' ] ],
	[ 's90', 90, 'mixed', [ 'id', 'ts' ] ],
	[ 'q10', 10, 'series', [ 'id', 'ts' ] ],
	[ 'q50', 50, 'series', [ 'id', 'ts' ] ],
	[ 'q90', 90, 'series', [ 'id', 'ts' ] ],
	[ 'n10', 10, 'narrow', ['id'] ],
	[ 'n50', 50, 'narrow', ['id'] ],);
my @table_names = map { $_->[0] } @tables;
my %profile_of = map { $_->[0] => $_->[2] } @tables;
my %columns_of = map { $_->[0] => $_->[3] } @tables;

# The generators' profile (set with local around each use), and whether
# they make the rows loaded before CREATE INDEX.
our $profile = 'mixed';
our $preload = 0;

my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
$node->append_conf('postgresql.conf', qq{
autovacuum = off
max_connections = @{[ $n_writers + 20 ]}
log_min_messages = warning
log_min_error_statement = error
log_statement = none
log_line_prefix = '%m [%p] %a '
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# The initial load's inserts go through the index of a series: an insert the
# index refuses is left to the server log's check (below), as the load's.
# A table's inserts run in one session, each its own transaction: one that
# fails loses its rows only.
sub load_sql
{
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', $_[0], on_error_stop => 0);
	note "initial load: $stderr" if $ret != 0 || $stderr ne '';
	return;
}

# ---------------------------------------------------------------------------
# Key generators.  Each returns an SQL expression.  Perl's rand() is the
# drand48 generator, reseeded per chunk of a session's stream (see chunk()).

# Cluster centres, the same for every session of a run.
srand($seed);
my @id_centres = map { rand_int8() } 1 .. 6;
push @id_centres, 5_000_000_000, -123_456_789;
my @ts_centres = map { int(rand(3_000_000)) * 1_000_000_000 } 1 .. 4;

sub rand_int8
{
	my $u = (int(rand(4294967296)) << 32) | int(rand(4294967296));
	return unpack('q', pack('Q', $u));
}

sub pick
{
	my (%w) = @_;
	my $total = 0;
	$total += $_ for values %w;
	my $r = rand($total);
	for my $k (sort keys %w)
	{
		return $k if ($r -= $w{$k}) < 0;
	}
	return (sort keys %w)[0];
}

sub far_int8
{
	my $r = int(rand(6));
	# A series' sentinels lie above its keys.
	$r = (0, 2)[ int(rand(2)) ] if $profile eq 'series';
	return $I64MAX - int(rand(1000)) if $r == 0;
	return $I64MIN + int(rand(1000)) if $r == 1;
	return $I64MAX if $r == 2;
	return $I64MIN if $r == 3;
	# Around the packing formats' boundaries, both signs.
	my @bits = (8, 16, 24, 32, 40, 48, 56, 62);
	my $v = (1 << $bits[ int(rand(@bits)) ]) + int(rand(3)) - 1;
	return $r == 4 ? $v : -$v;
}

my @repeated_ids = (1, 42, -7, 1000000000000000);

# One of the keys repeated many times (a series' lie below its ids).
sub repeated_id
{
	return $repeated_ids[ int(rand($profile eq 'series' ? 3 : 4)) ];
}

# A run of NULL rows and a run of one key, in one heap: a NULL row's tuple
# takes 24 bytes, so a heap page holds up to 291 of them, and keys after a
# long run of NULLs get heap offsets past 255; keys before it, small ones.
# Leaves of one key thus fill with one-byte heap offsets and then meet a
# wider one.
sub narrow_insert
{
	my ($t) = @_;
	my $nulls = 150 + int(rand(120));
	my $keys = 10 + int(rand(60));
	my $k = rand(3) < 2 ? $repeated_ids[ int(rand(2)) ] : int(rand(1_000_000));
	my $null_first = rand(2) < 1 ? "g <= $nulls" : "g > $keys";
	return "INSERT INTO $t SELECT CASE WHEN $null_first THEN NULL ELSE '$k'::int8 END "
	  . "FROM generate_series(1, " . ($nulls + $keys) . ") g;\n";
}

# An int8 literal: quoted, so that INT64_MIN is one (unquoted, its minus
# sign would apply to a numeric) and comparisons stay int8 = int8.
sub i8 { return "'$_[0]'::int8"; }

sub gen_id_value
{
	my ($kind) = @_;
	return rand_int8() if $kind eq 'random';
	return far_int8() if $kind eq 'far';
	return repeated_id() if $kind eq 'repeated';
	return $id_centres[ int(rand(@id_centres)) ] + int(rand(3000))
	  if $kind eq 'clustered';
	return int(rand(1_000_000));    # small
}

sub gen_id
{
	my ($kind) = @_;
	return "nextval('dense')" if $kind eq 'dense';
	return 'NULL' if $kind eq 'null';
	return i8(gen_id_value($kind));
}

sub id_kind
{
	return pick(
		dense => 75,
		repeated => 8,
		small => 5,
		far => ($preload ? 0 : 1),
		null => 1) if $profile eq 'series';
	return pick(
		small => 25,
		dense => 20,
		random => 15,
		clustered => 15,
		repeated => 15,
		far => 10,
		null => 1);
}

sub ts_micros
{
	my ($us) = @_;
	return sprintf("(timestamp '2000-01-01' + interval '1 microsecond' * %d)",
		$us);
}

sub gen_ts
{
	my $kind = $profile eq 'series'
	  ? pick(
		ascending => 80,
		infinity => ($preload ? 0 : 1),
		far => ($preload ? 0 : 0.5),
		repeated => 4,
		null => 4,
		past => 4)
	  : pick(
		ascending => 30,
		random => 20,
		repeated => 15,
		clustered => 10,
		infinity => 8,
		minus_infinity => 8,
		far => 4,
		null => 5);
	return 'clock_timestamp()::timestamp' if $kind eq 'ascending';
	return ts_micros(sprintf('%d', (rand() - 0.5) * 6e15)) if $kind eq 'random';
	return ts_micros(sprintf('%d', -rand() * 3e15)) if $kind eq 'past';
	return "timestamp '2026-12-06 00:00:00'" if $kind eq 'repeated';
	return ts_micros($ts_centres[ int(rand(@ts_centres)) ] + int(rand(5000)))
	  if $kind eq 'clustered';
	return "timestamp 'infinity'" if $kind eq 'infinity';
	return "timestamp '-infinity'" if $kind eq 'minus_infinity';
	return 'NULL' if $kind eq 'null';
	return rand(2) < 1 || $profile eq 'series'
	  ? "timestamp '294276-12-31 23:59:59.999999'"
	  : "timestamp '4714-11-24 00:00:00 BC'";
}

# A key and a key above it (within int8), for ranges: spans that take a
# few keys of the kind drawn, so that deletes do not outrun inserts.
sub id_range
{
	my $kind = $profile eq 'series'
	  ? pick(small => 2, far => 2, repeated => 1)
	  : pick(small => 3, random => 2, clustered => 2, far => 2, repeated => 1);
	my $lo = gen_id_value($kind);
	my $span =
	    $kind eq 'small' ? int(rand(5000))
	  : $kind eq 'random' ? (1 << (36 + int(rand(16))))
	  : $kind eq 'clustered' ? int(rand(1000))
	  : $kind eq 'far' ? int(rand(2000))
	  : 0;
	my $hi = $lo > $I64MAX - $span ? $I64MAX : $lo + $span;
	return (i8($lo), i8($hi));
}

sub ts_range
{
	my $r = int(rand(4));
	return ("timestamp '-infinity'", ts_micros(sprintf('%d', (rand() - 0.5) * 6e15)))
	  if $r == 0;
	return (ts_micros(sprintf('%d', (rand() - 0.5) * 6e15)), "timestamp 'infinity'")
	  if $r == 1;
	my $lo = sprintf('%d', (rand() - 0.5) * 6e15);
	$lo = $ts_centres[ int(rand(@ts_centres)) ] if $r == 2;
	my $span = int(rand(2) < 1 ? rand(100_000) : rand(1e14));
	return (ts_micros($lo), ts_micros($lo + $span));
}

# ---------------------------------------------------------------------------
# Schema and initial data.

sql(q{
CREATE EXTENSION learned_am;
CREATE SEQUENCE dense START 2000000;
-- Which plan a reader's query takes: the settings last until the end of the
-- transaction.
CREATE FUNCTION soak_answer(q text, mode text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	PERFORM set_config('enable_seqscan', (mode = 'seqscan')::text, true);
	PERFORM set_config('enable_indexscan', (mode IN ('indexscan', 'indexonly'))::text, true);
	PERFORM set_config('enable_indexonlyscan', (mode = 'indexonly')::text, true);
	PERFORM set_config('enable_bitmapscan', (mode = 'bitmapscan')::text, true);
	EXECUTE q INTO r;
	RETURN r;
END
$$;
-- In one snapshot (the caller's REPEATABLE READ transaction): the tuples of
-- a range, its keys and the keys next to it in both directions, by every
-- plan; raises an error naming the first disagreement.
CREATE FUNCTION soak_compare(tab text, col text, lo text, hi text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	q text;
	modes text[];
	expected text;
	got text;
	m text;
BEGIN
	FOREACH q IN ARRAY ARRAY[
		format('SELECT count(*) || '' '' || md5(coalesce(string_agg(ctid::text || ''='' || %1$I, '','' ORDER BY ctid), '''')) FROM %2$I WHERE %1$I BETWEEN %3$s AND %4$s', col, tab, lo, hi),
		format('SELECT count(*) || '' '' || md5(coalesce(string_agg(%1$I::text, '','' ORDER BY %1$I), '''')) FROM %2$I WHERE %1$I BETWEEN %3$s AND %4$s', col, tab, lo, hi),
		format('SELECT string_agg(%1$I::text, '','') FROM (SELECT %1$I FROM %2$I WHERE %1$I <= %3$s ORDER BY %1$I DESC LIMIT 10) s', col, tab, hi),
		format('SELECT string_agg(%1$I::text, '','') FROM (SELECT %1$I FROM %2$I WHERE %1$I >= %3$s ORDER BY %1$I LIMIT 10) s', col, tab, lo)]
	LOOP
		expected := soak_answer(q, 'seqscan');
		modes := CASE WHEN q LIKE '%ctid%' THEN ARRAY['indexscan', 'bitmapscan']
			ELSE ARRAY['indexscan', 'indexonly', 'bitmapscan'] END;
		FOREACH m IN ARRAY modes
		LOOP
			got := soak_answer(q, m);
			IF got IS DISTINCT FROM expected THEN
				RAISE EXCEPTION 'soak: % disagrees with a seqscan', m
					USING DETAIL = format('query: %s; seqscan: %s; %s: %s', q, expected, m, got);
			END IF;
		END LOOP;
	END LOOP;
END
$$;
-- Retraining may be refused while writers keep splitting records (README:
-- learned_index_retrain); count the refusals rather than stop the loop.
CREATE TABLE soak_retrain_refused (idx text, at timestamptz DEFAULT now());
CREATE FUNCTION soak_retrain(idx regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM learned_index_retrain(idx);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	INSERT INTO soak_retrain_refused (idx) VALUES (idx::text);
END
$$;
});

my $log_offset = -s $node->logfile;
for my $t (@tables)
{
	my ($name, $ff, $prof, $cols) = @$t;
	local $profile = $prof;
	local $preload = 1;
	srand($seed + $ff * 7 + length($name) + ord($name));
	my $create_indexes = join('',
		map { "CREATE INDEX ${name}_$_ ON $name USING learned ($_) WITH (fillfactor = $ff);\n" }
		  @$cols);
	if ($prof eq 'narrow')
	{
		sql(qq{CREATE TABLE $name (id int8)});
		load_sql(join('', map { narrow_insert($name) } 1 .. 20));
	}
	else
	{
		# 12,000 rows, owned round-robin by the writers (a writer updates
		# and deletes only its own rows: no row lock is ever contended, so
		# no deadlock is expected).
		# A series is indexed empty and loaded by inserts, as a log table
		# is: its top leaves are then full (ascending keys split them at the
		# fillfactor), not at the fillfactor CREATE INDEX packs.
		sql(qq{CREATE TABLE $name (id int8, ts timestamp, w int4 NOT NULL, val int4 NOT NULL DEFAULT 0);\n}
			  . ($prof eq 'series' ? $create_indexes : ''));
		my $load = '';
		for my $batch (1 .. 12)
		{
			my @rows;
			for my $i (1 .. 1000)
			{
				push @rows, sprintf('(%s, %s, %d)', gen_id(id_kind()), gen_ts(),
					1 + ($i % $n_writers));
			}
			$load .= "INSERT INTO $name (id, ts, w) VALUES " . join(',', @rows) . ";\n";
		}
		load_sql($load);
	}
	sql(($prof ne 'series' ? $create_indexes : '') . "VACUUM ANALYZE $name;\n");
}

# ---------------------------------------------------------------------------
# The sessions' statement streams, generated one chunk at a time.

# Every chunk starts by asking whether the phase is over.
sub deadline_check
{
	my ($deadline) = @_;
	return "SELECT clock_timestamp() > '$deadline'::timestamptz AS soak_over \\gset\n"
	  . "\\if :soak_over\n\\q\n\\endif\n";
}

sub insert_rows
{
	my ($t, $w, $n) = @_;
	my $kind = id_kind();
	my @rows;
	for (1 .. $n)
	{
		push @rows, sprintf('(%s, %s, %d)', gen_id($kind), gen_ts(), $w);
	}
	return "INSERT INTO $t (id, ts, w) VALUES " . join(', ', @rows) . ";\n";
}

# The first own row at or above a key, by the index.
sub own_row
{
	my ($t, $w) = @_;
	my ($lo) = id_range();
	return "(SELECT ctid FROM $t WHERE w = $w AND id >= $lo ORDER BY id LIMIT 1)";
}

sub writer_statement
{
	my ($w) = @_;
	my $t = pick(map { $_ => ($profile_of{$_} eq 'narrow' ? 1 : 10) } @table_names);
	local $profile = $profile_of{$t};
	if ($profile eq 'narrow')
	{
		# Insert-only but for NULL rows, which any writer may delete (the
		# TID scan locks them in TID order: no deadlock).
		return narrow_insert($t) if rand(2) < 1;
		return "DELETE FROM $t WHERE ctid = ANY (ARRAY(SELECT ctid FROM $t "
		  . "WHERE id IS NULL LIMIT " . (100 + int(rand(300))) . "));\n";
	}
	my $what = pick(
		insert => 40,
		repeated => 6,
		rollback => 6,
		update_key => 14,
		update_hot => 6,
		delete_range => 12,
		delete_repeated => 8,
		delete_ts => 6,
		delete_sentinels => ($profile eq 'series' ? 4 : 0));
	if ($what eq 'insert')
	{
		return insert_rows($t, $w, 1 + int(rand(20)));
	}
	if ($what eq 'repeated')
	{
		# A run of one key: pages of a single repeated key.
		my $k = i8(repeated_id());
		return "INSERT INTO $t (id, ts, w) SELECT $k, "
		  . gen_ts() . ", $w FROM generate_series(1, "
		  . (20 + int(rand(200))) . ");\n";
	}
	if ($what eq 'rollback')
	{
		return "BEGIN;\n" . insert_rows($t, $w, 1 + int(rand(30))) . "ROLLBACK;\n";
	}
	if ($what eq 'update_key')
	{
		return sprintf("UPDATE %s SET id = %s, ts = %s WHERE ctid = %s;\n",
			$t, gen_id(id_kind()), gen_ts(), own_row($t, $w));
	}
	if ($what eq 'update_hot')
	{
		return sprintf("UPDATE %s SET val = val + 1 WHERE ctid = %s;\n",
			$t, own_row($t, $w));
	}
	if ($what eq 'delete_range')
	{
		my ($lo, $hi) = id_range();
		return "DELETE FROM $t WHERE w = $w AND id BETWEEN $lo AND $hi;\n";
	}
	if ($what eq 'delete_repeated')
	{
		my $k = i8(repeated_id());
		return "DELETE FROM $t WHERE ctid = ANY (ARRAY(SELECT ctid FROM $t "
		  . "WHERE w = $w AND id = $k LIMIT " . (10 + int(rand(150))) . "));\n";
	}
	if ($what eq 'delete_sentinels')
	{
		return "DELETE FROM $t WHERE w = $w AND id > '4611686018427387904'::int8;\n"
		  . "DELETE FROM $t WHERE w = $w AND ts > '294276-01-01';\n";
	}
	my $ts = rand(2) < 1 ? "'infinity'"
	  : $profile eq 'series' ? "'294276-12-31 23:59:59.999999'"
	  : "'-infinity'";
	return "DELETE FROM $t WHERE ctid = ANY (ARRAY(SELECT ctid FROM $t "
	  . "WHERE w = $w AND ts = $ts LIMIT " . (5 + int(rand(40))) . "));\n";
}

sub reader_statement
{
	my $t = $table_names[ int(rand(@table_names)) ];
	local $profile = $profile_of{$t};
	my $col = $columns_of{$t}[ int(rand(@{ $columns_of{$t} })) ];
	my ($lo, $hi) = $col eq 'id' ? id_range() : ts_range();
	my $what = pick(compare => 4, point => 2, in => 1, ordered => 2, ios => 1);
	if ($what eq 'compare')
	{
		return "BEGIN ISOLATION LEVEL REPEATABLE READ;\n"
		  . "SELECT soak_compare('$t', '$col', \$q\$$lo\$q\$, \$q\$$hi\$q\$);\n"
		  . "COMMIT;\n";
	}
	my $set = "SET enable_seqscan = off; SET enable_bitmapscan = off;\n";
	return "${set}SELECT * FROM $t WHERE $col = $lo;\n" if $what eq 'point';
	return "${set}SELECT count(*) FROM $t WHERE $col IN ($lo, $hi, "
	  . ($col eq 'id' ? gen_id('repeated') : gen_ts()) . ");\n"
	  if $what eq 'in';
	return "${set}SELECT $col FROM $t WHERE $col <= $hi ORDER BY $col DESC LIMIT 20;\n"
	  . "SELECT $col FROM $t WHERE $col >= $lo ORDER BY $col LIMIT 20;\n"
	  if $what eq 'ordered';
	return "${set}SELECT count(*), max($col) FROM $t WHERE $col BETWEEN $lo AND $hi;\n";
}

sub maintenance_statement
{
	my $t = $table_names[ int(rand(@table_names)) ];
	my $what = pick(vacuum => 4, plain_vacuum => 1, retrain => 4, analyze => 1,
		sentinels => ($profile_of{$t} eq 'series' ? 3 : 0));
	# A series loses its sentinels now and then, so that its top is dense
	# again when the next one comes.  These rows belong to every writer,
	# and a writer deletes its own in the order of an index (its
	# delete_sentinels), so this statement takes only the rows no one has
	# locked (FOR UPDATE SKIP LOCKED) and never waits for a writer: no
	# deadlock (one was seen on PostgreSQL 17 when it waited too).
	return "DELETE FROM $t WHERE ctid = ANY (ARRAY(SELECT ctid FROM $t "
	  . "WHERE id > '4611686018427387904'::int8 OR ts > '294276-01-01' "
	  . "FOR UPDATE SKIP LOCKED));\n"
	  . "VACUUM $t;\n"
	  if $what eq 'sentinels';
	my $sql =
	    $what eq 'vacuum' ? "VACUUM (INDEX_CLEANUP ON) $t;\n"
	  : $what eq 'plain_vacuum' ? "VACUUM $t;\n"
	  : $what eq 'analyze' ? "ANALYZE $t;\n"
	  : join('', map { "SELECT soak_retrain('${t}_$_');\n" } @{ $columns_of{$t} });
	return $sql . "SELECT pg_sleep(0.1);\n";
}

# Chunk $n of a session's stream: reseeded from the run's seed, the
# session and the chunk number, so the stream does not depend on timing.
sub chunk
{
	my ($phase, $session, $n, $gen, $deadline) = @_;
	srand($seed * 1000003 + $phase * 100003 + $session * 1009 + $n);
	my $sql = deadline_check($deadline);
	$sql .= $gen->() for 1 .. 10;
	return $sql;
}

# Runs the sessions for $seconds.  With $crash, stops the server in
# immediate mode at the end, while they are still running.
sub run_load
{
	my ($phase, $seconds, $crash) = @_;
	my $deadline = sql("SELECT now() + interval '$seconds seconds' + interval '@{[ $crash ? 3600 : 0 ]} seconds'");
	my @gens;
	for my $w (1 .. $n_writers)
	{
		push @gens, [ "writer$w", sub { writer_statement($w) } ];
	}
	push @gens, [ 'reader1', \&reader_statement ];
	push @gens, [ 'reader2', \&reader_statement ];
	push @gens, [ 'maintenance', \&maintenance_statement ];

	my @sessions;
	for my $i (0 .. $#gens)
	{
		my ($name, $gen) = @{ $gens[$i] };
		my $s = { name => $name, gen => $gen, n => 0, in => '', id => $i };
		$s->{err} = $node->basedir . "/phase${phase}_$name.stderr";
		$s->{h} = IPC::Run::start(
			[
				'psql', '-X', '-q', '-At', '-h', $node->host, '-p', $node->port,
				'-d', 'postgres', '-v', "ON_ERROR_STOP=0",
				'-c', "SET application_name = '$name'", '-f', '-'
			],
			'<', \$s->{in}, '>', '/dev/null', '2>', $s->{err},
			IPC::Run::timeout($seconds + 300));
		push @sessions, $s;
	}
	# Feed the sessions until the end of the phase; then each quits at its
	# next chunk's deadline check (or loses its connection in the crash).
	my $end = time + $seconds;
	while (time < $end)
	{
		for my $s (@sessions)
		{
			if (length($s->{in}) < 4096)
			{
				$s->{in} .= chunk($phase, $s->{id}, $s->{n}++, $s->{gen}, $deadline);
			}
			eval { $s->{h}->pump_nb; };
		}
		sleep 0.05;
	}
	$node->stop('immediate') if $crash;
	for my $s (@sessions)
	{
		$s->{in} = '';
		eval { $s->{h}->finish; };
		$s->{h}->kill_kill if $@;
		note "phase $phase: $s->{name}: $s->{n} chunks";
	}
	if ($crash)
	{
		$node->start;
	}
	return;
}

# ---------------------------------------------------------------------------
# The final checks.

my %MODE_SETTINGS = (
	seqscan => 'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;',
	indexscan => 'SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;',
	indexonly => 'SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_indexscan = on; SET enable_indexonlyscan = on;',
	bitmapscan => 'SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off;',);

# The queries for one column: [ name, sql, modes, plan must be backward ].
sub final_queries
{
	my ($t, $c) = @_;
	my $lit = $c eq 'id' ? \&i8 : sub { "'$_[0]'::timestamp" };
	my @pct = split /\n/, sql("SELECT unnest(percentile_disc(ARRAY[0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) WITHIN GROUP (ORDER BY $c)) FROM $t");
	my @common = split /\n/, sql("SELECT $c FROM $t WHERE $c IS NOT NULL GROUP BY $c ORDER BY count(*) DESC, $c LIMIT 3");
	my @fixed =
	  $c eq 'id'
	  ? ("$I64MIN", "$I64MAX", 0, 1, 42, 255, 256, 65536, 16777216,
		4294967296, 1099511627776, 72057594037927936, -72057594037927936,
		$I64MAX - 1)
	  : ('infinity', '-infinity', '2026-12-06 00:00:00',
		'294276-12-31 23:59:59.999999', '4714-11-24 00:00:00 BC');
	my @keys = (@pct, @common, @fixed);
	my @where;
	push @where, [ "point $_", "$c = " . $lit->($_) ] for @keys;
	push @where, [ 'IN list', "$c IN (" . join(', ', map { $lit->($_) } @keys) . ')' ];
	push @where, [ 'IS NULL', "$c IS NULL" ];
	push @where, [ 'IS NOT NULL', "$c IS NOT NULL" ];
	for my $i (0 .. $#pct - 1)
	{
		push @where, [ "range p$i..p" . ($i + 1),
			"$c >= " . $lit->($pct[$i]) . " AND $c < " . $lit->($pct[ $i + 1 ]) ];
	}
	push @where, [ 'range > median', "$c > " . $lit->($pct[3]) ];
	push @where, [ 'range <= p25', "$c <= " . $lit->($pct[2]) ];
	if ($c eq 'id')
	{
		push @where, [ 'range near INT64_MAX', "id >= 9223372036854775000" ];
		push @where, [ 'range near INT64_MIN', "id < -9223372036854775000" ];
		push @where, [ 'range 2^32..2^56', "id BETWEEN 4294967296 AND 72057594037927936" ];
		push @where, [ 'int4 point', "id = 42::int4" ];
		push @where, [ 'int4 range', "id < 100000::int4 AND id > -5::int2" ];
	}
	else
	{
		push @where, [ 'range = infinity', "ts >= 'infinity'" ];
		push @where, [ 'range <= -infinity', "ts <= '-infinity'" ];
		push @where, [ 'range past 294276', "ts > '294276-01-01'" ];
		push @where, [ 'range finite', "ts > '-infinity' AND ts < 'infinity'" ];
	}

	my @q;
	for my $w (@where)
	{
		my ($name, $cond) = @$w;
		push @q, [ "$name: tuples",
			"SELECT count(*), md5(coalesce(string_agg(ctid::text || '=' || $c, ',' ORDER BY ctid), '')) FROM $t WHERE $cond",
			[ 'indexscan', 'bitmapscan' ], 0 ];
		push @q, [ "$name: keys",
			"SELECT count(*), md5(coalesce(string_agg($c\::text, ',' ORDER BY $c), '')) FROM $t WHERE $cond",
			[ 'indexonly' ], 0 ];
	}
	my $all = "$c >= " . ($c eq 'id' ? i8($I64MIN) : "'-infinity'::timestamp");
	my @ordered = (
		[ 'all keys ascending', $all, 'ASC', '' ],
		[ 'all keys descending', $all, 'DESC', '' ],
		[ 'ORDER BY DESC LIMIT below median', "$c <= " . $lit->($pct[3]), 'DESC', 'LIMIT 50' ],
		[ 'ORDER BY LIMIT above median', "$c >= " . $lit->($pct[3]), 'ASC', 'LIMIT 50' ],
		[ 'ORDER BY DESC LIMIT from the top', $all, 'DESC', 'LIMIT 30' ],
		[ 'ORDER BY LIMIT from the bottom', $all, 'ASC', 'LIMIT 30' ],
		[ 'ORDER BY DESC LIMIT range', "$c BETWEEN " . $lit->($pct[1]) . ' AND ' . $lit->($pct[5]), 'DESC', 'LIMIT 100' ],);
	for my $o (@ordered)
	{
		my ($name, $cond, $dir, $limit) = @$o;
		# The planner offers no bitmap scan for an ordered query whose
		# condition it thinks takes every row (all keys, no NULL): the
		# unordered queries above cover those rows by bitmap.
		my @modes = ('indexscan', 'indexonly');
		push @modes, 'bitmapscan' unless $cond eq $all;
		push @q, [ $name,
			"SELECT count(*), md5(coalesce(string_agg($c\::text, ','), '')) FROM (SELECT $c FROM $t WHERE $cond ORDER BY $c $dir $limit) s",
			\@modes, $dir eq 'DESC' ];
	}
	return @q;
}

# Runs @$queries under $mode in one psql session: each query's plan and
# answer, by name.
sub answers
{
	my ($mode, $queries, $explain) = @_;
	my $script = "$MODE_SETTINGS{$mode}\nSET enable_hashjoin = off; SET enable_mergejoin = off;\n";
	for my $i (0 .. $#$queries)
	{
		my $sql = $queries->[$i][1];
		$script .= "\\echo \@\@plan $i\nEXPLAIN (COSTS OFF) $sql;\n" if $explain;
		$script .= "\\echo \@\@answer $i\n$sql;\n";
	}
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $script);
	my (%plan, %answer, $cur);
	for my $line (split /\n/, $stdout)
	{
		if ($line =~ /^\@\@(plan|answer) (\d+)$/)
		{
			$cur = $1 eq 'plan' ? \$plan{$2} : \$answer{$2};
			$$cur = '';
			next;
		}
		$$cur .= "$line\n" if $cur;
	}
	return (\%plan, \%answer, $stderr);
}

sub check_all
{
	my ($label) = @_;
	sql(join('', map { "VACUUM (INDEX_CLEANUP ON) $_;\n" } @table_names)
		  . join('', map { "ANALYZE $_;\n" } @table_names));
	for my $t (@table_names)
	{
		note "$label: $t: "
		  . sql("SELECT count(*) || ' rows, ' || count(id) || ' ids' FROM $t");
		for my $c (@{ $columns_of{$t} })
		{
			my $idx = "${t}_$c";
			my @q = final_queries($t, $c);
			my (undef, $expected, $seq_err) = answers('seqscan', \@q, 0);
			is($seq_err, '', "$label: $idx: the seqscan queries ran");
			for my $mode ('indexscan', 'indexonly', 'bitmapscan')
			{
				my @mq = grep { grep { $_ eq $mode } @{ $_->[2] } } @q;
				my @idx_of = grep { grep { $_ eq $mode } @{ $q[$_][2] } } 0 .. $#q;
				my ($plan, $got, $err) = answers($mode, \@mq, 1);
				my @bad;
				for my $j (0 .. $#mq)
				{
					my ($name, $qsql, undef, $backward) = @{ $mq[$j] };
					my $want_plan =
					    $mode eq 'bitmapscan' ? qr/Bitmap Index Scan on \Q$idx\E\b/
					  : $mode eq 'indexonly' ? qr/Index Only Scan(?: Backward)? using \Q$idx\E\b/
					  : qr/Index Scan(?: Backward)? using \Q$idx\E\b/;
					my $p = $plan->{$j} // '';
					if ($p !~ $want_plan
						|| ($backward && $mode ne 'bitmapscan' && $p !~ /Backward/))
					{
						push @bad, "query '$name' [$mode]: plan does not use $idx as expected\n  query: $qsql\n  plan: $p";
						next;
					}
					my $e = $expected->{ $idx_of[$j] } // '(none)';
					my $g = $got->{$j} // '(none)';
					if ($g ne $e)
					{
						chomp($e, $g);
						push @bad, "query '$name' [$mode]: expected (seqscan) '$e', got '$g'\n  query: $qsql";
					}
				}
				push @bad, "psql errors: $err" if $err ne '';
				ok(!@bad, "$label: $idx [$mode]: " . scalar(@mq)
					  . " queries answer what a seqscan answers, by the index")
				  or diag(join("\n", @bad));
			}
			learned_check_ok($node, $idx);
			is(sql("SELECT entries + null_entries FROM learned_index_info('$idx')"),
				sql("SELECT count(*) FROM $t"),
				"$label: $idx holds one entry per row after VACUUM");
		}
	}
	return;
}

# No ERROR in the server log since $offset but the expected ones, no PANIC,
# no failed assertion, no crashed backend.
sub check_log
{
	my ($label, $offset, $expected) = @_;
	my $log = slurp_file($node->logfile, $offset);
	my @lines = split /\n/, $log;
	my (%seen, @report, $n_bad, $n_expected);
	$n_bad = $n_expected = 0;
	for my $i (0 .. $#lines)
	{
		my $line = $lines[$i];
		next
		  unless $line =~ /\b(ERROR|PANIC|FATAL):|TRAP:|terminated by signal|server process \(PID \d+\) exited with exit code/;
		if ($expected && $line =~ $expected)
		{
			$n_expected++;
			next;
		}
		$n_bad++;
		# One example of each message (numbers masked), with its statement.
		(my $shape = $line) =~ s/^.*?\b(ERROR|PANIC|FATAL|TRAP)\b/$1/;
		$shape =~ s/\d+/N/g;
		# ... and the table its statement wrote to or read.
		my ($stmt_table) = join(' ', @lines[ $i + 1 .. ($i + 2 > $#lines ? $#lines : $i + 2) ])
		  =~ /STATEMENT:.*?\b(?:INTO|UPDATE|FROM)\s+([a-z]\w*)/;
		$shape .= " (statement on $stmt_table)" if $stmt_table;
		next if $seen{$shape}++;
		my $stmt = '';
		for my $next (@lines[ $i + 1 .. ($i + 2 > $#lines ? $#lines : $i + 2) ])
		{
			last unless $next =~ /\b(STATEMENT|DETAIL|CONTEXT):/;
			$stmt .= "\n    " . (length($next) > 600 ? substr($next, 0, 600) . ' ...' : $next);
		}
		push @report, "$line$stmt";
	}
	note "$label: $n_expected expected errors in the server log";
	my $summary = join("\n", map { "  $_ x$seen{$_}" } sort keys %seen);
	is($n_bad, 0, "$label: no unexpected ERROR, PANIC, TRAP or crash in the server log")
	  or diag("distinct messages:\n$summary\nfirst of each:\n" . join("\n", @report));
	return;
}

sub workload_note
{
	my ($label) = @_;
	note "$label: "
	  . sql(q{SELECT string_agg(relname || ' ins ' || n_tup_ins || ' upd ' || n_tup_upd || ' del ' || n_tup_del, '; ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname ~ '^[sqn][0-9]+$'});
	note "$label: retrains refused: " . sql('SELECT count(*) FROM soak_retrain_refused');
	return;
}

# Only startup and shutdown messages are expected around the crash.
my $expected_errors = qr/FATAL:  the database system is (?:starting up|shutting down|in recovery mode)/;

my $t0 = time;
my $phase1 = int($duration / 2);
run_load(1, $phase1, 1);
check_all('after the crash');
check_log('initial load and phase 1 (crash)', $log_offset, $expected_errors);

$log_offset = -s $node->logfile;
run_load(2, $duration - $phase1, 0);
workload_note('phase 2');
check_all('phase 2');
check_log('phase 2', $log_offset, $expected_errors);

note sprintf('soak seed %d: %.0f s', $seed, time - $t0);
diag("soak failed with LEARNED_SOAK_SEED=$seed LEARNED_SOAK_DURATION=$duration "
	  . "LEARNED_SOAK_WRITERS=$n_writers")
  unless Test::More->builder->is_passing;
$node->stop;
done_testing();
