-- pgbench script: one point SELECT by a key drawn uniformly from the keys
-- present.  bench.py replaces @TABLE@ (t_learned, t_btree, t_hash) and runs
-- it with -M prepared and -D nkeys=N.  bench_keys(r int4 primary key, k int8)
-- holds N keys of the data set; on the dense data set (keys 1..N) the harness
-- uses pgbench_point_dense.sql instead, which needs no key table.
\set r random(1, :nkeys)
SELECT t.val FROM @TABLE@ t WHERE t.id = (SELECT k FROM bench_keys WHERE r = :r);
