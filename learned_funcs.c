/*-------------------------------------------------------------------------
 *
 * learned_funcs.c
 *	  SQL-callable views of a learned index: learned_index_info(regclass),
 *	  what the index learned and how it is doing, and
 *	  learned_index_model(regclass), one row per record.  The structure
 *	  verifier, learned_index_check, is in learned_check.c.
 *
 * Both read the metapage, the record pages and (info) then every block,
 * each under a share lock held only while that page is read, as a scan
 * would.  Every page they look at is consistent; the totals are a picture
 * of an index that may be changing meanwhile.  Neither holds a buffer lock
 * while it calls into the model cache: learned_cache_locate reads pages
 * itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "learned.h"

PG_FUNCTION_INFO_V1(learned_index_info);
PG_FUNCTION_INFO_V1(learned_index_model);

/* Number of OUT columns of learned_index_info. */
#define LEARNED_INFO_COLUMNS	23

/*
 * Who may see what learned_index_info and learned_index_model show, beyond
 * EXECUTE on them (granted to pg_stat_scan_tables by the extension script,
 * as pgstattuple and pg_visibility do; the checks below also hold where a
 * 1.0 script left EXECUTE with PUBLIC):
 *
 * - statistics (page and entry counts, model errors): members of
 *   pg_stat_scan_tables, or roles that may read the table.  Counts of the
 *   same kind are what pgstatindex shows to pg_stat_scan_tables;
 * - key values (learned_index_model's first_key and last_fence_key): only
 *   roles that may read the keys themselves, that is SELECT on the indexed
 *   column (or on the whole table, for an expression index).
 *
 * Failures are SQLSTATE 42501, worded as a SELECT on the table would be.
 */
static void
learned_check_read_privilege(Relation index, bool shows_keys)
{
	Oid			heapoid = index->rd_index->indrelid;
	AttrNumber	attnum = index->rd_index->indkey.values[0];
	Oid			userid = GetUserId();
	AclResult	aclresult;

	/* The table's SELECT covers every column; a column's covers its own. */
	aclresult = pg_class_aclcheck(heapoid, userid, ACL_SELECT);
	if (aclresult != ACLCHECK_OK && attnum != InvalidAttrNumber)
		aclresult = pg_attribute_aclcheck(heapoid, attnum, userid, ACL_SELECT);

	if (aclresult == ACLCHECK_OK)
		return;
	if (!shows_keys && has_privs_of_role(userid, ROLE_PG_STAT_SCAN_TABLES))
		return;

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for table %s", get_rel_name(heapoid)),
			 shows_keys ?
			 errdetail("Reading the keys of index \"%s\" requires SELECT on its column.",
					   RelationGetRelationName(index)) :
			 errdetail("Reading index \"%s\" requires SELECT on its table or the privileges of pg_stat_scan_tables.",
					   RelationGetRelationName(index))));
}

/*
 * learned_index_model(regclass): one row per record, in key order: its
 * model page, key range, list length, the fit in force and its error
 * bounds, and its split counters.
 */
#define LEARNED_MODEL_COLUMNS 11

Datum
learned_index_model(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	HeapTuple  *rows;

	if (SRF_IS_FIRSTCALL())
	{
		Oid			indexoid = PG_GETARG_OID(0);
		MemoryContext oldcxt;
		TupleDesc	tupdesc;
		Relation	index;
		Page		metapage;
		LearnedMetaPage meta;
		uint32		j;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcxt = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		/* Can't happen: the extension script declares OUT parameters. */
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		if (tupdesc->natts != LEARNED_MODEL_COLUMNS)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("function learned_index_model returns %d columns, but the learned_am library fills %d",
							tupdesc->natts, LEARNED_MODEL_COLUMNS),
					 errhint("Run ALTER EXTENSION learned_am UPDATE.")));
		tupdesc = BlessTupleDesc(tupdesc);

		index = learned_open_index(indexoid, AccessShareLock);
		learned_check_read_privilege(index, true);
		metapage = (Page) palloc(BLCKSZ);
		learned_read_metapage(index, NULL, metapage);
		meta = LearnedPageGetMeta(metapage);
		rows = palloc(Max(meta->nrecords, 1) * sizeof(HeapTuple));
		for (j = 0; j < meta->nrecords; j++)
		{
			Buffer		buf = ReadBuffer(index, meta->records[j]);
			Page		page;
			LearnedRecordHeader *header;
			const RmiRecord *fit;
			Datum		values[LEARNED_MODEL_COLUMNS];
			bool		nulls[LEARNED_MODEL_COLUMNS] = {false};

			LockBuffer(buf, BUFFER_LOCK_SHARE);
			learned_check_page(index, buf, LEARNED_PAGE_RECORD);
			page = BufferGetPage(buf);
			header = LearnedRecordGetHeader(page);
			fit = LearnedRecordFit(header, meta->model_version);
			values[0] = Int32GetDatum((int32) j);
			values[1] = Int64GetDatum((int64) meta->records[j]);
			values[2] = Int64GetDatum(fit->first_key);
			values[3] = Int64GetDatum(header->npages > 0 ?
									  LearnedRecordKeys(page)[header->npages - 1] :
									  fit->first_key);
			values[4] = Int32GetDatum((int32) header->npages);
			values[5] = Float8GetDatum(fit->slope);
			values[6] = Float8GetDatum(fit->intercept);
			values[7] = Int32GetDatum(fit->err_lo);
			values[8] = Int32GetDatum(fit->err_hi);
			values[9] = Int64GetDatum((int64) header->splits);
			values[10] = Int64GetDatum((int64) header->unlisted_splits);
			UnlockReleaseBuffer(buf);
			rows[j] = heap_form_tuple(tupdesc, values, nulls);
		}
		relation_close(index, AccessShareLock);

		funcctx->user_fctx = rows;
		funcctx->max_calls = meta->nrecords;
		MemoryContextSwitchTo(oldcxt);
	}

	funcctx = SRF_PERCALL_SETUP();
	rows = (HeapTuple *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		/* SRF_RETURN_NEXT advances call_cntr before it reads its argument. */
		Datum		row = HeapTupleGetDatum(rows[funcctx->call_cntr]);

		SRF_RETURN_NEXT(funcctx, row);
	}
	SRF_RETURN_DONE(funcctx);
}

/* Bytes for people: kB below a megabyte, MB from there. */
static char *
learned_format_bytes(double bytes)
{
	if (bytes < 1024.0 * 1024.0)
		return psprintf("%.0f kB", bytes / 1024.0);
	return psprintf("%.1f MB", bytes / (1024.0 * 1024.0));
}

/*
 * How CREATE INDEX chose pages_per_record and the root kind, and why, from
 * what it wrote in the metapage (see rmi_choose).
 */
static char *
learned_describe_choice(const LearnedMetaPageData *meta)
{
	const char *what;
	const char *why;

	if (meta->choice_candidates == 0)
		return pstrdup("none: an empty index");

	switch (meta->choice_flags & (LEARNED_CHOICE_PINNED_PAGES | LEARNED_CHOICE_PINNED_ROOT))
	{
		case 0:
			what = "auto";
			break;
		case LEARNED_CHOICE_PINNED_PAGES:
			what = "pages_per_record pinned, root kind auto";
			break;
		case LEARNED_CHOICE_PINNED_ROOT:
			what = "root_model pinned, pages_per_record auto";
			break;
		default:
			what = "pinned by pages_per_record and root_model";
			break;
	}
	switch (meta->choice_reason)
	{
		case RMI_CHOSEN_ONLY:
			why = "one list length to try";
			break;
		case RMI_CHOSEN_PAGES:
			why = "chosen for the fewest expected pages";
			break;
		case RMI_CHOSEN_SEARCH:
			why = "tied on pages, chosen for the cheapest search";
			break;
		case RMI_CHOSEN_CACHE:
			why = "tied on pages and search, chosen for the smallest cache";
			break;
		default:
			why = "tied on pages, search and cache, the first tried";
			break;
	}
	return psprintf("%s: %u candidate%s; %s; expected pages per lookup %.2f, search %.1f comparisons, model cache %s of a %s budget",
					what, meta->choice_candidates,
					meta->choice_candidates == 1 ? "" : "s", why,
					meta->choice_expected_pages, meta->choice_search_cost,
					learned_format_bytes((double) meta->choice_cache_bytes),
					learned_format_bytes((double) meta->cache_budget));
}

/*
 * learned_index_info(regclass): what the index learned and how it is doing.
 */
Datum
learned_index_info(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	TupleDesc	tupdesc;
	MemoryContext infocxt;
	MemoryContext oldcxt;
	Relation	index;
	BufferAccessStrategy strategy;
	Page		metapage;
	LearnedMetaPage meta;
	BlockNumber nblocks;
	int32		model_pages = 0;
	int64		leaf_pages = 0;
	double		entry_bytes = 0;
	int64		null_pages = 0;
	int64		entries = 0;
	int64		null_entries = 0;
	int64		splits = 0;
	int64		unlisted_splits = 0;
	double		expected_pages;
	Size		cached_bytes;
	const char *model_choice;
	RmiCacheModel cm;
	Datum		values[LEARNED_INFO_COLUMNS];
	bool		nulls[LEARNED_INFO_COLUMNS];
	HeapTuple	tuple;

	/* Can't happen: the extension script declares OUT parameters. */
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/*
	 * An extension script older than the library it calls.  1.1's function
	 * lacks only the last column (levels), and is filled without it.
	 */
	if (tupdesc->natts != LEARNED_INFO_COLUMNS &&
		tupdesc->natts != LEARNED_INFO_COLUMNS - 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("function learned_index_info returns %d columns, but the learned_am library fills %d",
						tupdesc->natts, LEARNED_INFO_COLUMNS),
				 errhint("Run ALTER EXTENSION learned_am UPDATE.")));
	tupdesc = BlessTupleDesc(tupdesc);

	infocxt = AllocSetContextCreate(CurrentMemoryContext,
									"learned_index_info",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(infocxt);

	index = learned_open_index(indexoid, AccessShareLock);
	learned_check_read_privilege(index, false);
	strategy = GetAccessStrategy(BAS_BULKREAD);
	metapage = (Page) palloc(BLCKSZ);
	learned_read_metapage(index, strategy, metapage);
	meta = LearnedPageGetMeta(metapage);
	nblocks = RelationGetNumberOfBlocks(index);

	/* Split counters live in the record headers. */
	for (uint32 j = 0; j < meta->nrecords; j++)
	{
		BlockNumber blkno = meta->records[j];
		Buffer		buf;
		LearnedRecordHeader *header;

		if (blkno == LEARNED_METAPAGE_BLKNO || blkno >= nblocks)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" block %u: record %u is at block %u, outside the index",
							RelationGetRelationName(index),
							LEARNED_METAPAGE_BLKNO, j, blkno),
					 errhint("Please REINDEX it.")));
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		header = LearnedRecordGetHeader(BufferGetPage(buf));
		if (LearnedMetaDirectoryLevel(meta) == 1)
		{
			splits += header->splits;
			unlisted_splits += header->unlisted_splits;
		}
		UnlockReleaseBuffer(buf);
	}

	/* Pages and entries: every block, the way VACUUM reads them. */
	for (BlockNumber blkno = LEARNED_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;
		uint16		flags;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!PageIsNew(page))
		{
			learned_check_page(index, buf, LEARNED_ANY_PAGE);
			flags = LearnedPageGetOpaque(page)->flags;
			if (flags & LEARNED_PAGE_LEAF)
			{
				leaf_pages++;
				entries += LearnedLeafCount(page);
				entry_bytes += (double) LearnedLeafCount(page) *
					learned_leaf_format_bits(LearnedLeafFormatOf(page)) / 8;
			}
			else if (flags & LEARNED_PAGE_NULLS)
			{
				null_pages++;
				null_entries += LearnedNullsCount(page);
			}
			else if (flags & LEARNED_PAGE_RECORD)
			{
				model_pages++;
				/* Above one level, the counters of level 1 are here. */
				if (LearnedMetaDirectoryLevel(meta) > 1 &&
					learned_record_level(page) == 1)
				{
					LearnedRecordHeader *header = LearnedRecordGetHeader(page);

					splits += header->splits;
					unlisted_splits += header->unlisted_splits;
				}
			}
		}
		UnlockReleaseBuffer(buf);
	}

	/*
	 * A split that could not enter its record's list leaves a page the
	 * model does not know: a lookup landing in the key range of such a page
	 * starts on its left neighbour and moves right once more.  Spread over
	 * the leaves, that is unlisted_splits / leaf_pages extra reads on top of
	 * the one leaf every lookup reads.
	 */
	expected_pages = 1.0;
	if (leaf_pages > 0)
		expected_pages += (double) unlisted_splits / (double) leaf_pages;

	/*
	 * A lookup whose record list does not fit in the cache's budget reads
	 * the record's page first: the cost model CREATE INDEX chose with
	 * (rmi_expected_pages), applied to the index as it is now and to this
	 * backend's budget now (1% of the index's current size, or the GUC),
	 * not the build's.  With several levels a lookup goes through a list a
	 * level, and the lists of every level share the budget: every page
	 * below the top is an entry of one list.
	 */
	cm.budget_bytes = (double) learned_cache_budget(index);
	cm.fixed_bytes = LEARNED_CACHE_FIXED_BYTES;
	cm.bytes_per_record = LEARNED_CACHE_BYTES_PER_RECORD;
	cm.bytes_per_leaf = LEARNED_CACHE_BYTES_PER_LEAF;
	{
		uint32		levels = LearnedMetaDirectoryLevel(meta);
		double		entries = (double) leaf_pages;
		uint32		lists = meta->nrecords;

		if (levels > 1)
		{
			entries += model_pages - meta->nrecords;
			lists = model_pages;
		}
		expected_pages += levels * (rmi_expected_pages(&cm, entries, lists) - 1.0);
	}

	/* No buffer lock is held here: the cache may read pages. */
	cached_bytes = learned_cache_bytes(index);
	model_choice = learned_describe_choice(meta);

	FreeAccessStrategy(strategy);
	relation_close(index, AccessShareLock);

	MemoryContextSwitchTo(oldcxt);

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(rmi_root_kind_name(meta->root.type));
	values[1] = Int32GetDatum((int32) meta->nrecords);
	values[2] = Int32GetDatum(model_pages);
	values[3] = Int64GetDatum(leaf_pages);
	values[4] = Int64GetDatum(null_pages);
	values[5] = Int64GetDatum(entries);
	values[6] = Int64GetDatum(null_entries);
	values[7] = Int64GetDatum((int64) meta->build_entries);
	values[8] = Int64GetDatum(splits);
	values[9] = Int64GetDatum(unlisted_splits);
	values[10] = Int32GetDatum((int32) meta->generation);
	values[11] = Int32GetDatum((int32) meta->fillfactor);
	values[12] = Int32GetDatum(meta->root.err_lo);
	values[13] = Int32GetDatum(meta->root.err_hi);
	values[14] = Float8GetDatum(meta->mean_window);
	values[15] = Int32GetDatum((int32) meta->max_window);
	values[16] = Float8GetDatum(expected_pages);
	values[17] = Int64GetDatum((int64) cached_bytes);
	values[18] = Int32GetDatum((int32) meta->pages_per_record);
	values[19] = CStringGetTextDatum(model_choice);
	values[20] = Int64GetDatum((int64) meta->cache_budget);
	values[21] = Float8GetDatum(entries > 0 ? entry_bytes / entries : 0);
	values[22] = Int32GetDatum((int32) LearnedMetaDirectoryLevel(meta));
	tuple = heap_form_tuple(tupdesc, values, nulls);

	MemoryContextDelete(infocxt);

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
