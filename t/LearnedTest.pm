# t/LearnedTest.pm: helpers for the TAP tests in t/*.pl.

=pod

=head1 NAME

LearnedTest - what the TAP tests of the learned access method share

=head1 SYNOPSIS

  use FindBin;
  use lib $FindBin::RealBin;
  use LearnedTest;

  my @queries = learned_queries('t', lo => 0, hi => 1_000_000);
  compare_with_seqscan($primary, [ $primary, $standby ], 't_idx', \@queries);
  learned_check_ok($standby, 't_idx');

=head1 DESCRIPTION

Every query is answered three ways: by a sequential scan (the reference,
index scans off), by an index scan (index-only allowed) and by a bitmap scan.
The index answers must equal the sequential scan's, and their plans must
really use the index, so that a test can never compare a sequential scan
with itself.

=cut

package LearnedTest;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  %SCAN_SETTINGS
  learned_queries
  compare_with_seqscan
  learned_check_ok
  run_in_mode
  answer_in_mode
  answers_in_mode
  $KEY_ACCEPTED_SQL
  vacuum_loop_start
  vacuum_loop_finish
  crash_rounds
);

# Joins are forced to nested loops in the index modes, so that a join with
# generate_series() makes one index lookup per outer row.
our %SCAN_SETTINGS = (
	seqscan => 'SET enable_indexscan = off; SET enable_bitmapscan = off; '
	  . 'SET enable_indexonlyscan = off;',
	indexscan => 'SET enable_seqscan = off; SET enable_bitmapscan = off; '
	  . 'SET enable_hashjoin = off; SET enable_mergejoin = off;',
	bitmapscan => 'SET enable_seqscan = off; SET enable_indexscan = off; '
	  . 'SET enable_indexonlyscan = off; SET enable_hashjoin = off; '
	  . 'SET enable_mergejoin = off;',);

=pod

=item run_in_mode($node, $mode, $sql)

The output of $sql (psql -At) under the planner settings of $mode.

=cut

sub run_in_mode
{
	my ($node, $mode, $sql) = @_;
	die "unknown scan mode $mode" unless exists $SCAN_SETTINGS{$mode};
	return $node->safe_psql('postgres', "$SCAN_SETTINGS{$mode}\n$sql");
}

# The same, but an error is returned as the answer ("ERROR: ..."), so that
# a failing index query fails its test and the others still run.
sub answer_in_mode
{
	my ($node, $mode, $sql) = @_;
	die "unknown scan mode $mode" unless exists $SCAN_SETTINGS{$mode};
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', "$SCAN_SETTINGS{$mode}\n$sql",
		on_error_stop => 1);
	return $ret == 0 ? $stdout : "ERROR (psql exit $ret): $stderr";
}

=pod

=item learned_queries($table, lo => N, hi => M, keys => [...])

A standard set of queries on column id of $table, whose keys lie mostly in
[lo, hi]: points (present, absent, duplicated, beyond both ends, many by a
join, = ANY), closed and open ranges with each operator, cross-type
comparisons, ORDER BY both ways with LIMIT, IS NULL, IS NOT NULL and counts.
Each is [ name, sql, \%options ]; options: nobitmap => 1 when a bitmap scan
cannot serve the query (only ordered output is compared then).

=cut

sub learned_queries
{
	my ($t, %p) = @_;
	my $lo = $p{lo} // 0;
	my $hi = $p{hi} // 1_000_000;
	my @keys = @{ $p{keys} // [] };
	my $span = $hi - $lo;
	my $q1 = $lo + int($span / 4);
	my $mid = $lo + int($span / 2);
	my $q3 = $lo + int(3 * $span / 4);
	my $step = int($span / 3000) || 1;
	# Which tuples, exactly: the heap TIDs, plus the keys.
	my $tuples =
	  q{count(*), coalesce(sum(id), 0), }
	  . q{md5(coalesce(string_agg(ctid::text, ',' ORDER BY ctid), ''))};

	my @q = (
		[ 'point: min', "SELECT id, ctid FROM $t WHERE id = (SELECT min(id) FROM $t) ORDER BY ctid" ],
		[ 'point: max', "SELECT id, ctid FROM $t WHERE id = (SELECT max(id) FROM $t) ORDER BY ctid" ],
		[ 'point: below min', "SELECT $tuples FROM $t WHERE id = " . ($lo - 12345) ],
		[ 'point: above max', "SELECT $tuples FROM $t WHERE id = 9223372036854775807" ],
		[ 'point: int8 min', "SELECT $tuples FROM $t WHERE id = -9223372036854775808" ],
		[ 'point: int4 literal', "SELECT $tuples FROM $t WHERE id = $mid" . '::int4' ],
		[ "points: join every $step", qq{
			SELECT count(*), coalesce(sum(x.id), 0),
				md5(coalesce(string_agg(x.ctid::text, ',' ORDER BY x.ctid), ''))
			FROM generate_series(${lo}::int8, ${hi}::int8, ${step}::int8) AS g(k)
			JOIN $t AS x ON x.id = g.k} ],
		[ 'points: = ANY', "SELECT $tuples FROM $t WHERE id = ANY (ARRAY[$lo, $q1, " . ($q1 + 1) . ", $mid, $q3, $hi, -1]::int8[])" ],
		[ 'range: BETWEEN', "SELECT $tuples FROM $t WHERE id BETWEEN $q1 AND $q3" ],
		[ 'range: > and <', "SELECT $tuples FROM $t WHERE id > $q1 AND id < " . ($q1 + int($span / 50) + 1) ],
		[ 'range: >= and <=', "SELECT $tuples FROM $t WHERE id >= $mid AND id <= " . ($mid + int($span / 50)) ],
		[ 'range: < only', "SELECT $tuples FROM $t WHERE id < $q1" ],
		[ 'range: >= only', "SELECT $tuples FROM $t WHERE id >= $q3" ],
		[ 'range: int2 bound', "SELECT $tuples FROM $t WHERE id <= 32000::int2 AND id > -5::int2" ],
		[ 'range: empty', "SELECT $tuples FROM $t WHERE id > $mid AND id < $mid" ],
		[ 'count: all keys', "SELECT count(*) FROM $t WHERE id >= -9223372036854775808" ],
		[ 'count: IS NOT NULL', "SELECT count(*) FROM $t WHERE id IS NOT NULL" ],
		[ 'IS NULL', "SELECT $tuples FROM $t WHERE id IS NULL" ],
		[ 'ORDER BY id LIMIT', "SELECT id FROM $t WHERE id > $mid ORDER BY id LIMIT 50", { nobitmap => 1 } ],
		[ 'ORDER BY id DESC LIMIT', "SELECT id FROM $t WHERE id < $mid ORDER BY id DESC LIMIT 50", { nobitmap => 1 } ],
		[ 'ORDER BY id DESC LIMIT, no qual', "SELECT id FROM $t ORDER BY id DESC LIMIT 30", { nobitmap => 1 } ],
		[ 'ORDER BY id LIMIT, no qual', "SELECT id FROM $t ORDER BY id LIMIT 30", { nobitmap => 1 } ],
		[ 'range ORDER BY id DESC', "SELECT md5(string_agg(id::text, ',')) FROM (SELECT id FROM $t WHERE id BETWEEN $q1 AND $mid ORDER BY id DESC) s", { nobitmap => 1 } ],
	);
	for my $k (@keys)
	{
		push @q, [ "point: $k", "SELECT id, ctid FROM $t WHERE id = $k ORDER BY ctid" ];
	}
	return @q;
}

=pod

=item compare_with_seqscan($ref_node, \@nodes, $index, \@queries)

Runs each query as a sequential scan on $ref_node, then as an index scan and
as a bitmap scan on every node of @nodes; checks that each plan uses $index
and each answer equals the reference.

The queries of one scan mode on one node run in one psql session (see
answers_in_mode), since a psql start costs more than most of these queries;
each query still gets its own plan and answer checks, by name.  If anything
of such a session went to stderr (an error, a warning), its queries are run
again one by one, each in its own session (run_in_mode, answer_in_mode), so
that every failure is reported with its own query's error.

=cut

sub compare_with_seqscan
{
	my ($ref, $nodes, $index, $queries) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my @sqls = map { $_->[1] } @$queries;
	my @bitmap = grep { !($queries->[$_][2] // {})->{nobitmap} } 0 .. $#$queries;
	my $expected = answers_in_mode($ref, 'seqscan', \@sqls, 0);
	my %batch;
	for my $node (@$nodes)
	{
		$batch{ $node->name }{indexscan} =
		  answers_in_mode($node, 'indexscan', \@sqls, 1);
		# Indexed by the query's position in @$queries.
		my $b = answers_in_mode($node, 'bitmapscan', [ @sqls[@bitmap] ], 1);
		$batch{ $node->name }{bitmapscan} = $b && {
			plan => { map { $bitmap[$_] => $b->{plan}{$_} } 0 .. $#bitmap },
			answer => { map { $bitmap[$_] => $b->{answer}{$_} } 0 .. $#bitmap }
		};
	}

	for my $i (0 .. $#$queries)
	{
		my ($name, $sql, $opt) = @{ $queries->[$i] };
		$opt //= {};
		my $expected_answer =
		  $expected
		  ? $expected->{answer}{$i}
		  : run_in_mode($ref, 'seqscan', $sql);
		for my $node (@$nodes)
		{
			for my $mode ('indexscan', 'bitmapscan')
			{
				next if $mode eq 'bitmapscan' && $opt->{nobitmap};
				my $b = $batch{ $node->name }{$mode};
				my $where = "$name [$mode on " . $node->name . "]";
				my $plan =
				  $b
				  ? $b->{plan}{$i}
				  : answer_in_mode($node, $mode, "EXPLAIN (COSTS OFF) $sql");
				my $wanted =
				  $mode eq 'bitmapscan'
				  ? qr/Bitmap Index Scan on \Q$index\E\b/
				  : qr/Index (?:Only )?Scan(?: Backward)? using \Q$index\E\b/;
				like($plan, $wanted, "$where: plan uses $index")
				  or diag("query: $sql");
				is($b ? $b->{answer}{$i} : answer_in_mode($node, $mode, $sql),
					$expected_answer, "$where: same answer as a seqscan")
				  or diag("query: $sql");
			}
		}
	}
	return;
}

=pod

=item answers_in_mode($node, $mode, \@sqls, $explain)

Runs every statement of @sqls under the planner settings of $mode in one
psql session, each preceded by its EXPLAIN (COSTS OFF) if $explain.
Returns { plan => { i => text }, answer => { i => text } }, each text as
run_in_mode would return it (psql -At, the last newline dropped); or undef
if psql wrote anything to stderr or failed, or an output is missing.

=cut

sub answers_in_mode
{
	my ($node, $mode, $sqls, $explain) = @_;
	die "unknown scan mode $mode" unless exists $SCAN_SETTINGS{$mode};
	return { plan => {}, answer => {} } unless @$sqls;

	my $script = "$SCAN_SETTINGS{$mode}\n";
	for my $i (0 .. $#$sqls)
	{
		$script .= "\\echo \@\@plan $i\nEXPLAIN (COSTS OFF) $sqls->[$i];\n"
		  if $explain;
		$script .= "\\echo \@\@answer $i\n$sqls->[$i];\n";
	}
	$script .= "\\echo \@\@end\n";
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $script);
	return undef if $ret != 0 || $stderr ne '';

	my (%out, $cur, $ended);
	for my $line (split /\n/, $stdout, -1)
	{
		if ($line =~ /^\@\@(plan|answer) (\d+)$/)
		{
			$cur = $out{$1}{$2} = [];
			next;
		}
		if ($line eq '@@end')
		{
			$ended = 1;
			last;
		}
		push @$cur, $line if $cur;
	}
	return undef unless $ended;
	my %r = (plan => {}, answer => {});
	for my $kind ('plan', 'answer')
	{
		next if $kind eq 'plan' && !$explain;
		for my $i (0 .. $#$sqls)
		{
			return undef unless $out{$kind}{$i};
			$r{$kind}{$i} = join("\n", @{ $out{$kind}{$i} });
		}
	}
	return \%r;
}

=pod

=item learned_check_ok($node, $index)

SELECT learned_index_check($index, true): every structural invariant, and
every live heap tuple indexed.

=cut

sub learned_check_ok
{
	my ($node, $index) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		"SELECT learned_index_check('$index', true)");
	is($ret, 0, "learned_index_check('$index', true) on " . $node->name)
	  or diag($stderr);
	return $ret == 0;
}

=pod

=item crash_rounds($node, %args)

The crash-and-compare rounds that t/002_crash_recovery.pl and
t/016_levels_crash.pl share.  Each round (rounds, default 2) runs the
pgbench scripts of scripts ({ 'file.sql@weight' => text }, written into
the node's directory; pgbench_options: more options) with three clients
until table has grown by rows rows, and stops $node in immediate mode in
the middle of that load; then starts it again and checks index: it
answers the learned_queries(table, @$queries) as a sequential scan does,
and passes learned_index_check(index, true).  Then the changes of
more($round) (SQL) are made and the index is checked again.  Each check
is labelled "after crash N" or "after crash N and more inserts"; before
it, note() returns what to note, and after it also($label) runs the
test's own checks.

=cut

sub crash_rounds
{
	my ($node, %args) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($table, $index) = @args{ 'table', 'index' };
	my $check = sub {
		my ($label) = @_;
		local $Test::Builder::Level = $Test::Builder::Level + 1;
		note "$label: " . $args{note}->() if $args{note};
		my @queries = learned_queries($table, @{ $args{queries} });
		compare_with_seqscan($node, [$node], $index, \@queries);
		learned_check_ok($node, $index);
		$args{also}->($label) if $args{also};
	};

	my @script_args;
	for my $name (sort keys %{ $args{scripts} })
	{
		my ($file) = $name =~ /^([^@]+)/;
		my $path = $node->basedir . "/$file";
		PostgreSQL::Test::Utils::append_to_file($path, $args{scripts}{$name})
		  unless -e $path;
		push @script_args, '-f', $node->basedir . "/$name";
	}

	for my $round (1 .. ($args{rounds} // 2))
	{
		# The load, until the table has grown by the rows wanted; then the
		# crash.
		my $target =
		  $node->safe_psql('postgres', "SELECT count(*) FROM $table")
		  + $args{rows};
		my ($out, $err) = ('', '');
		my $pgbench = IPC::Run::start(
			[
				'pgbench', '--no-vacuum', '--client=3', '--jobs=3',
				'--time=300', @{ $args{pgbench_options} // [] },
				@script_args,
				'--host=' . $node->host, '--port=' . $node->port, 'postgres'
			],
			'<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
		ok( $node->poll_query_until(
				'postgres', "SELECT count(*) >= $target FROM $table"),
			"workload reached $target rows");
		$node->stop('immediate');
		# The clients lose their connections and give up.
		$pgbench->finish;
		note "pgbench stderr (connection errors expected): "
		  . substr($err, 0, 400);
		$node->start;

		$check->("after crash $round");
		# The recovered index takes more changes and stays whole.
		$node->safe_psql('postgres', $args{more}->($round));
		$check->("after crash $round and more inserts");
	}
	return;
}

=pod

=item $KEY_ACCEPTED_SQL

SQL that creates key_accepted(k int8): would the unique index of table t
(id int8, who text) take key k once more?  The probe insert is rolled back
either way.  The unique-index tests ask it of every live key.

=cut

our $KEY_ACCEPTED_SQL = q{
	CREATE FUNCTION key_accepted(k int8) RETURNS boolean
	LANGUAGE plpgsql AS $$
	BEGIN
		BEGIN
			INSERT INTO t VALUES (k, 'probe');
			RAISE EXCEPTION 'accepted';
		EXCEPTION
			WHEN unique_violation THEN
				RETURN false;
			WHEN raise_exception THEN
				RETURN true;
		END;
	END
	$$;
};


=pod

=item vacuum_loop_start($node, $sql, $seconds)

Runs $sql (VACUUM statements and a \sleep) in a loop for $seconds, by a
pgbench client of its own beside the test's load; returns a handle for
vacuum_loop_finish.

=cut

sub vacuum_loop_start
{
	my ($node, $sql, $seconds) = @_;
	my $script = $node->basedir . '/vacuum_loop.sql';
	my $loop = { out => '', err => '' };

	PostgreSQL::Test::Utils::append_to_file($script, $sql);
	$loop->{run} = IPC::Run::start(
		[
			'pgbench', '--no-vacuum', '--client=1', "--time=$seconds",
			'-f', $script,
			'--host=' . $node->host, '--port=' . $node->port, 'postgres'
		],
		'<', \undef, '>', \$loop->{out}, '2>', \$loop->{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return $loop;
}

=pod

=item vacuum_loop_finish($loop)

Waits for the loop and checks that it ran without error.

=cut

sub vacuum_loop_finish
{
	my ($loop) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	$loop->{run}->finish;
	is($loop->{run}->result(0), 0, 'VACUUM loop ran without error')
	  or diag($loop->{err});
	like($loop->{out}, qr{processed: [1-9]}, 'VACUUM loop ran');
	note 'VACUUM loop: '
	  . join(' ', $loop->{out} =~ /(number of transactions actually processed: \d+)/);
	return;
}

1;
