/*-------------------------------------------------------------------------
 *
 * learned_am.c
 *	  The "learned" index access method's handler: what the access method
 *	  can do, its options, operator class validation and the planner's cost
 *	  model.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/stratnum.h"
#include "access/xlog.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"

#include "learned.h"

PG_MODULE_MAGIC;

/* Set once when the library loads, like every index AM's reloption kind. */
static relopt_kind learned_relopt_kind;

/* The root_model reloption's values: let the model choose, or pin a kind. */
static relopt_enum_elt_def learned_root_model_values[] = {
	{"auto", LEARNED_ROOT_AUTO},
	{"linear", RMI_ROOT_LINEAR},
	{"cubic", RMI_ROOT_CUBIC},
	{"spline", RMI_ROOT_SPLINE},
	{(const char *) NULL}
};

/*
 * CPU cost of asking the model for a leaf: a root evaluation, a record
 * evaluation and a short search of the cached fences, in units of
 * cpu_operator_cost.  btree instead pays for a binary search per level plus
 * a descent of its inner pages.
 */
#define LEARNED_MODEL_COST_OPERATORS	20

void		_PG_init(void);

void
_PG_init(void)
{
	learned_relopt_kind = add_reloption_kind();
	add_int_reloption(learned_relopt_kind, "fillfactor",
					  "Packs learned index leaf pages only to this percentage",
					  LEARNED_DEFAULT_FILLFACTOR, LEARNED_MIN_FILLFACTOR, 100,
					  AccessExclusiveLock);
	add_enum_reloption(learned_relopt_kind, "root_model",
					   "Root model kind of a learned index: auto chooses the cheapest to search",
					   learned_root_model_values, LEARNED_ROOT_AUTO,
					   "Valid values are \"auto\", \"linear\", \"cubic\" and \"spline\".",
					   AccessExclusiveLock);
	add_int_reloption(learned_relopt_kind, "pages_per_record",
					  "Leaf pages each model record lists when the index is built (0: chosen by CREATE INDEX)",
					  LEARNED_DEFAULT_PAGES_PER_RECORD,
					  LEARNED_PAGES_PER_RECORD_AUTO, LEARNED_RECORD_CAPACITY,
					  AccessExclusiveLock);
	learned_retrain_init();
	learned_insert_init();
	learned_cache_init();
	learned_xlog_init();
}

/*
 * Keys map back to the column's value exactly.  A server in recovery offers
 * index-only scans only while every removal it may replay takes a cleanup
 * lock (learned_xlog.c); otherwise a removal replayed under a scan's pin
 * could hand it a deleted key.
 */
static bool
learned_canreturn(Relation index, int attno)
{
	if (RecoveryInProgress())
		return learned_standby_ios_safe(index);
	return true;
}

#if PG_VERSION_NUM >= 180000
/*
 * The operator classes use btree's strategy numbers 1-5 with btree's
 * meaning.  PostgreSQL 18 asks an index AM to translate them to compare
 * types before it treats the index as ordered (sort orders, merge joins,
 * ON CONFLICT, foreign keys), so the translation is the identity on those
 * five, as in nbtree.
 */
static CompareType
learned_translatestrategy(StrategyNumber strategy, Oid opfamily)
{
	switch (strategy)
	{
		case BTLessStrategyNumber:
			return COMPARE_LT;
		case BTLessEqualStrategyNumber:
			return COMPARE_LE;
		case BTEqualStrategyNumber:
			return COMPARE_EQ;
		case BTGreaterEqualStrategyNumber:
			return COMPARE_GE;
		case BTGreaterStrategyNumber:
			return COMPARE_GT;
		default:
			return COMPARE_INVALID;
	}
}

static StrategyNumber
learned_translatecmptype(CompareType cmptype, Oid opfamily)
{
	switch (cmptype)
	{
		case COMPARE_LT:
			return BTLessStrategyNumber;
		case COMPARE_LE:
			return BTLessEqualStrategyNumber;
		case COMPARE_EQ:
			return BTEqualStrategyNumber;
		case COMPARE_GE:
			return BTGreaterEqualStrategyNumber;
		case COMPARE_GT:
			return BTGreaterStrategyNumber;
		default:
			return InvalidStrategy;
	}
}

/*
 * Pages a lookup reads above a leaf when the model is not cached: one record
 * page a level of records (the metapage, as in nbtree, is not counted).  The
 * levels come from this backend's model cache, which reads the metapage on
 * first use, as nbtree's root height comes from its cached metapage.
 */
static int
learned_gettreeheight(Relation index)
{
	return (int) learned_cache_get(index)->directory_level;
}
#endif

PG_FUNCTION_INFO_V1(learned_handler);

Datum
learned_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = BTMaxStrategyNumber;
	amroutine->amsupport = 0;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = true;
	amroutine->amcanorderbyop = false;
#if PG_VERSION_NUM >= 180000
	/* Cross-type operators of a family agree, as in btree's integer_ops. */
	amroutine->amcanhash = false;
	amroutine->amconsistentequality = true;
	amroutine->amconsistentordering = true;
#endif
	amroutine->amcanbackward = true;
	amroutine->amcanunique = true;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = true;
	amroutine->amsearchnulls = true;
	amroutine->amstorage = false;
	amroutine->amclusterable = true;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = true;
#if PG_VERSION_NUM >= 170000
	/* learned_parallel_build.c; before 17, the server plans no workers for us. */
	amroutine->amcanbuildparallel = true;
#endif
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
#if PG_VERSION_NUM >= 160000
	amroutine->amsummarizing = false;
#endif
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = learned_build;
	amroutine->ambuildempty = learned_buildempty;
	amroutine->aminsert = learned_insert;
#if PG_VERSION_NUM >= 170000
	amroutine->aminsertcleanup = NULL;
#endif
	amroutine->ambulkdelete = learned_bulkdelete;
	amroutine->amvacuumcleanup = learned_vacuumcleanup;
	amroutine->amcanreturn = learned_canreturn;
	amroutine->amcostestimate = learned_costestimate;
#if PG_VERSION_NUM >= 180000
	amroutine->amgettreeheight = learned_gettreeheight;
#endif
	amroutine->amoptions = learned_options;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = learned_buildphasename;
	amroutine->amvalidate = learned_validate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = learned_beginscan;
	amroutine->amrescan = learned_rescan;
	amroutine->amgettuple = learned_gettuple;
	amroutine->amgetbitmap = learned_getbitmap;
	amroutine->amendscan = learned_endscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = learned_estimateparallelscan;
	amroutine->aminitparallelscan = learned_initparallelscan;
	amroutine->amparallelrescan = learned_parallelrescan;
#if PG_VERSION_NUM >= 180000
	amroutine->amtranslatestrategy = learned_translatestrategy;
	amroutine->amtranslatecmptype = learned_translatecmptype;
#endif

	PG_RETURN_POINTER(amroutine);
}

bytea *
learned_options(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"fillfactor", RELOPT_TYPE_INT, offsetof(LearnedOptions, fillfactor)},
		{"root_model", RELOPT_TYPE_ENUM, offsetof(LearnedOptions, root_model)},
		{"pages_per_record", RELOPT_TYPE_INT, offsetof(LearnedOptions, pages_per_record)},
	};

	LearnedOptions *options;

	options = (LearnedOptions *) build_reloptions(reloptions, validate,
												  learned_relopt_kind,
												  sizeof(LearnedOptions),
												  tab, lengthof(tab));

	/* 0 means "choose"; a pinned list length needs room to be a list */
	if (validate && options != NULL &&
		options->pages_per_record != LEARNED_PAGES_PER_RECORD_AUTO &&
		options->pages_per_record < LEARNED_MIN_PAGES_PER_RECORD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value %d out of bounds for option \"pages_per_record\"",
						options->pages_per_record),
				 errdetail("Valid values are 0 (chosen at CREATE INDEX) and between \"%d\" and \"%d\".",
						   LEARNED_MIN_PAGES_PER_RECORD,
						   (int) LEARNED_RECORD_CAPACITY)));
	return (bytea *) options;
}

char *
learned_buildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case LEARNED_PHASE_TABLESCAN:
			return "scanning table";
		case LEARNED_PHASE_SORT:
			return "sorting keys";
		case LEARNED_PHASE_LEAVES:
			return "writing leaf pages";
		case LEARNED_PHASE_TRAIN:
			return "training model";
		case LEARNED_PHASE_MODEL:
			return "writing model pages";
		default:
			return NULL;
	}
}

/*
 * Correlation between index order and heap order, from the column's
 * statistics, as btree's cost model uses it: it decides how much of a range
 * scan's heap access is sequential.
 */
static double
learned_column_correlation(PlannerInfo *root, IndexOptInfo *index)
{
	RangeTblEntry *rte = planner_rt_fetch(index->rel->relid, root);
	HeapTuple	statsTuple;
	double		correlation = 0.0;

	if (index->indexkeys[0] == 0 || rte->rtekind != RTE_RELATION)
		return 0.0;				/* an expression index: no statistics here */

	statsTuple = SearchSysCache3(STATRELATTINH,
								 ObjectIdGetDatum(rte->relid),
								 Int16GetDatum(index->indexkeys[0]),
								 BoolGetDatum(rte->inh));
	if (HeapTupleIsValid(statsTuple))
	{
		AttStatsSlot sslot;

		if (get_attstatsslot(&sslot, statsTuple, STATISTIC_KIND_CORRELATION,
							 InvalidOid, ATTSTATSSLOT_NUMBERS))
		{
			Assert(sslot.nnumbers == 1);
			correlation = sslot.numbers[0];
			free_attstatsslot(&sslot);
		}
		ReleaseSysCache(statsTuple);
	}
	return correlation;
}

void
learned_costestimate(PlannerInfo *root, IndexPath *path, double loop_count,
					 Cost *indexStartupCost, Cost *indexTotalCost,
					 Selectivity *indexSelectivity, double *indexCorrelation,
					 double *indexPages)
{
	GenericCosts costs;
	Cost		model_cost;

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);

	/*
	 * genericcostestimate charges the leaf pages the scan reads and a CPU
	 * cost per tuple.  A lookup also evaluates the model once per scan (and
	 * once per array element); unlike btree there is no descent through
	 * inner pages to charge.
	 */
	model_cost = LEARNED_MODEL_COST_OPERATORS * cpu_operator_cost;
	costs.indexStartupCost += model_cost;
	costs.indexTotalCost += costs.num_sa_scans * model_cost;

	*indexStartupCost = costs.indexStartupCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = learned_column_correlation(root, path->indexinfo);
	*indexPages = costs.numIndexPages;
}

/*
 * Validate an operator class: every operator must be a btree-style
 * comparison (strategies 1-5, returning boolean) between supported integer
 * types, there are no support functions, and each type's own comparisons
 * are complete.  Problems are reported at INFO level, as the core AMs do.
 */
bool
learned_validate(Oid opclassoid)
{
	bool		result = true;
	HeapTuple	classtup;
	Form_pg_opclass classform;
	Oid			opfamilyoid;
	Oid			opcintype;
	char	   *opclassname;
	HeapTuple	familytup;
	Form_pg_opfamily familyform;
	char	   *opfamilyname;
	CatCList   *oprlist;
	CatCList   *proclist;
	bool		seen[BTMaxStrategyNumber + 1] = {false};
	int			i;

	/*
	 * Can't happen (both lookups), as in btvalidate: the SQL-level
	 * amvalidate() has just found this class in the catalogs to learn its
	 * access method, and a class always has its family.
	 */
	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);
	opfamilyoid = classform->opcfamily;
	opcintype = classform->opcintype;
	opclassname = NameStr(classform->opcname);

	familytup = SearchSysCache1(OPFAMILYOID, ObjectIdGetDatum(opfamilyoid));
	if (!HeapTupleIsValid(familytup))
		elog(ERROR, "cache lookup failed for operator family %u", opfamilyoid);
	familyform = (Form_pg_opfamily) GETSTRUCT(familytup);
	opfamilyname = NameStr(familyform->opfname);

	if (!learned_type_supported(opcintype))
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("learned operator class \"%s\" is for unsupported type %s",
						opclassname, format_type_be(opcintype))));
		result = false;
	}

	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));
	if (proclist->n_members > 0)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("learned operator family \"%s\" has support functions, but the access method uses none",
						opfamilyname)));
		result = false;
	}
	ReleaseSysCacheList(proclist);

	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));
	for (i = 0; i < oprlist->n_members; i++)
	{
		HeapTuple	oprtup = &oprlist->members[i]->tuple;
		Form_pg_amop oprform = (Form_pg_amop) GETSTRUCT(oprtup);

		if (oprform->amopstrategy < 1 ||
			oprform->amopstrategy > BTMaxStrategyNumber)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("learned operator family \"%s\" contains operator %s with invalid strategy number %d",
							opfamilyname,
							format_operator(oprform->amopopr),
							oprform->amopstrategy)));
			result = false;
			continue;
		}
		if (oprform->amoppurpose != AMOP_SEARCH ||
			!learned_type_supported(oprform->amoplefttype) ||
			!learned_type_supported(oprform->amoprighttype) ||
			!check_amop_signature(oprform->amopopr, BOOLOID,
								  oprform->amoplefttype,
								  oprform->amoprighttype))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("learned operator family \"%s\" contains operator %s with a wrong signature or purpose",
							opfamilyname,
							format_operator(oprform->amopopr))));
			result = false;
			continue;
		}
		if (oprform->amoplefttype == opcintype &&
			oprform->amoprighttype == opcintype)
			seen[oprform->amopstrategy] = true;
	}
	ReleaseSysCacheList(oprlist);

	for (i = 1; i <= BTMaxStrategyNumber; i++)
	{
		if (!seen[i])
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("learned operator class \"%s\" is missing the operator for strategy %d",
							opclassname, i)));
			result = false;
		}
	}

	ReleaseSysCache(familytup);
	ReleaseSysCache(classtup);
	return result;
}
