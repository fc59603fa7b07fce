--
-- catalog: the extension, its access method and operator classes.
--

SELECT amname, amtype FROM pg_am WHERE amname = 'learned';

-- Every operator class, its type and whether it is the default.
SELECT opf.opfname, opc.opcname, opc.opcintype::regtype, opc.opcdefault
FROM pg_opclass opc
JOIN pg_am am ON am.oid = opc.opcmethod
JOIN pg_opfamily opf ON opf.oid = opc.opcfamily
WHERE am.amname = 'learned'
ORDER BY opc.opcname;

-- amvalidate accepts every operator class.
SELECT opcname, amvalidate(opc.oid)
FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
WHERE am.amname = 'learned'
ORDER BY opcname;

-- Operators per family and strategy: integer_ops has all 9 type pairs.
SELECT opf.opfname, count(*) AS operators,
	   count(DISTINCT (amop.amoplefttype, amop.amoprighttype)) AS type_pairs,
	   array_agg(DISTINCT amop.amopstrategy ORDER BY amop.amopstrategy) AS strategies
FROM pg_amop amop
JOIN pg_opfamily opf ON opf.oid = amop.amopfamily
JOIN pg_am am ON am.oid = opf.opfmethod
WHERE am.amname = 'learned'
GROUP BY opf.opfname
ORDER BY opf.opfname;

-- Access method capabilities as the planner sees them.
SELECT p.name, pg_indexam_has_property(am.oid, p.name)
FROM pg_am am,
	 unnest(ARRAY['can_order', 'can_unique', 'can_multi_col',
				  'can_exclude', 'can_include']) p(name)
WHERE am.amname = 'learned'
ORDER BY p.name;

-- A first index, end to end.
CREATE TABLE setup_t (id int8) WITH (autovacuum_enabled = off);
INSERT INTO setup_t SELECT g FROM generate_series(1, 1000) g;
CREATE INDEX setup_idx ON setup_t USING learned (id);
ANALYZE setup_t;
SELECT pg_index_column_has_property('setup_idx'::regclass, 1, p) AS value, p AS property
FROM unnest(ARRAY['asc', 'desc', 'nulls_first', 'nulls_last', 'orderable',
				  'search_array', 'search_nulls', 'returnable']) p;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM setup_t WHERE id = 500;
SELECT * FROM setup_t WHERE id = 500;
RESET enable_seqscan;
SELECT learned_index_check('setup_idx');
SELECT learned_index_check('setup_idx', true);
SELECT records > 0 AS has_records, leaf_pages > 0 AS has_leaves,
	   entries, null_entries, build_entries, splits, fillfactor
FROM learned_index_info('setup_idx');
DROP TABLE setup_t;
