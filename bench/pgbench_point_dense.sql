-- pgbench script for the dense data set (keys 1..N): one point SELECT.
-- bench.py replaces @TABLE@ and runs it with -M prepared and -D nkeys=N.
\set k random(1, :nkeys)
SELECT t.val FROM @TABLE@ t WHERE t.id = :k;
