-- pgbench script: one upsert of a random id.  bench.py replaces @TABLE@
-- (u_learned, u_btree: the same rows, a unique index on id) and runs it with
-- -M prepared, -D nkeys=2N and the same --random-seed for both tables: ids
-- uniform in [1, 2N] over a table holding the even ids 2..2N and the COPYs'
-- keys, so some upserts insert a row and the others update one.
\set k random(1, :nkeys)
INSERT INTO @TABLE@ (id, val) VALUES (:k, 1) ON CONFLICT (id) DO UPDATE SET val = @TABLE@.val + 1;
