
# Concurrency: pgbench clients insert (random keys and at the right end),
# update keys (new entries) and non-keys (HOT), move rows to and from NULL,
# delete ranges and read, while another pgbench runs VACUUM in a loop and
# autovacuum is eager.  Readers compare, inside one REPEATABLE READ snapshot,
# what an index scan, a bitmap scan and a sequential scan see, so a scan
# racing a split or VACUUM that loses or repeats an entry fails the run.
# Afterwards the whole index must equal a sequential scan and pass
# learned_index_check with heapallindexed.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LearnedTest;

my $duration = 20;    # seconds of concurrent work

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
$node->append_conf('postgresql.conf', qq{
max_connections = 30
autovacuum_naptime = 1s
autovacuum_vacuum_threshold = 200
autovacuum_vacuum_scale_factor = 0.01
autovacuum_vacuum_insert_threshold = 1000
autovacuum_vacuum_insert_scale_factor = 0.01
deadlock_timeout = 100ms
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	CREATE EXTENSION learned_am;
	SELECT setseed(0.25);
	CREATE TABLE t (id int8, val int4 NOT NULL DEFAULT 0);
	INSERT INTO t SELECT (random() * 300000)::int8, 0 FROM generate_series(1, 50000);
	CREATE INDEX t_idx ON t USING learned (id);
	CREATE SEQUENCE ascending START 400000;
	VACUUM ANALYZE t;

	CREATE FUNCTION scans_disagree(what text) RETURNS void
	LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'index and seqscan disagree: %', what;
	END
	$$;
});

# One snapshot, three plans: index (or index-only) scan, bitmap scan and
# sequential scan must see the same rows.  The index plans are checked once
# below with EXPLAIN; here the planner settings force them.
my $consistent_read = q{
\set k random(0, 300000)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT count(*) AS n_idx, coalesce(sum(id), 0) AS s_idx FROM t WHERE id BETWEEN :k AND :k + 2000 \gset
SELECT coalesce((SELECT id FROM t WHERE id < :k ORDER BY id DESC LIMIT 1), -1) AS prev_idx \gset
SELECT coalesce((SELECT id FROM t WHERE id > :k ORDER BY id LIMIT 1), -1) AS next_idx \gset
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_bitmapscan = on;
SELECT count(*) AS n_bmp, coalesce(sum(id), 0) AS s_bmp FROM t WHERE id BETWEEN :k AND :k + 2000 \gset
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_seqscan = on;
SELECT count(*) AS n_seq, coalesce(sum(id), 0) AS s_seq FROM t WHERE id BETWEEN :k AND :k + 2000 \gset
SELECT coalesce(max(id), -1) AS prev_seq FROM t WHERE id < :k \gset
SELECT coalesce(min(id), -1) AS next_seq FROM t WHERE id > :k \gset
COMMIT;
\if :n_idx != :n_seq OR :s_idx != :s_seq OR :n_bmp != :n_seq OR :s_bmp != :s_seq OR :prev_idx != :prev_seq OR :next_idx != :next_seq
SELECT scans_disagree(format('k=%s count/sum index %s/%s bitmap %s/%s seqscan %s/%s; previous key index %s seqscan %s; next key index %s seqscan %s', :k, :n_idx, :s_idx, :n_bmp, :s_bmp, :n_seq, :s_seq, :prev_idx, :prev_seq, :next_idx, :next_seq));
\endif
};

my %scripts = (
	'insert.sql@4' => q{
\set k random(0, 300000)
INSERT INTO t (id) VALUES (:k), (:k + 1), (:k + 1);
},
	'append.sql@2' => q{
INSERT INTO t (id) SELECT nextval('ascending') FROM generate_series(1, 10);
},
	'update.sql@3' => q{
\set k random(0, 300000)
UPDATE t SET id = id + 3 WHERE id = :k;
UPDATE t SET val = val + 1 WHERE id = :k + 11;
},
	'nulls.sql@1' => q{
\set k random(0, 300000)
UPDATE t SET id = NULL WHERE id = :k;
INSERT INTO t (id) VALUES (NULL), (:k);
},
	'delete.sql@2' => q{
\set k random(0, 300000)
DELETE FROM t WHERE id BETWEEN :k AND :k + 40;
DELETE FROM t WHERE id IS NULL AND val = 0 AND ctid = (SELECT ctid FROM t WHERE id IS NULL AND val = 0 LIMIT 1);
},
	'read.sql@4' => $consistent_read,
	'point.sql@2' => q{
\set k random(0, 300000)
SELECT * FROM t WHERE id = :k;
SELECT id FROM t WHERE id = ANY (ARRAY[:k, :k + 7, :k + 100]);
SELECT id FROM t ORDER BY id DESC LIMIT 3;
},);

# VACUUM in a loop, by a second pgbench alongside.
my $vacuum = vacuum_loop_start($node, q{
VACUUM (INDEX_CLEANUP ON) t;
\sleep 50 ms
}, $duration);

$node->pgbench(
	"--no-vacuum --client=5 --jobs=2 --time=$duration --max-tries=50",
	0,
	[ qr{processed: [1-9]}, qr{number of failed transactions: 0 } ],
	[qr{^$}],
	'concurrent inserts, updates, deletes and consistent reads',
	\%scripts);

vacuum_loop_finish($vacuum);

# The readers' index plans really are index plans.
like(
	answer_in_mode($node, 'indexscan',
		'EXPLAIN (COSTS OFF) SELECT count(*) FROM t WHERE id BETWEEN 5 AND 2005'),
	qr/Index (?:Only )?Scan using t_idx/,
	'readers used an index scan of t_idx');
like(
	answer_in_mode($node, 'bitmapscan',
		'EXPLAIN (COSTS OFF) SELECT count(*) FROM t WHERE id BETWEEN 5 AND 2005'),
	qr/Bitmap Index Scan on t_idx/,
	'readers used a bitmap scan of t_idx');

# Quiet now: nothing else runs, so VACUUM removes every dead entry.
sql('ALTER TABLE t SET (autovacuum_enabled = off)');
sql('VACUUM (INDEX_CLEANUP ON) t');

my @queries = learned_queries('t', lo => 0, hi => 400_000);
compare_with_seqscan($node, [$node], 't_idx', \@queries);

is( sql(q{SELECT entries + null_entries FROM learned_index_info('t_idx')}),
	sql(q{SELECT count(*) FROM t}),
	'after VACUUM the index holds one entry per live row');
learned_check_ok($node, 't_idx');

$node->stop;
done_testing();
