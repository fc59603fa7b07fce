/*-------------------------------------------------------------------------
 *
 * learned_build.c
 *	  CREATE INDEX for the learned access method: scan the table, sort the
 *	  (key, TID) entries, write the leaf chain at the fillfactor, train the
 *	  model on the leaves' low fences and write it to the metapage and the
 *	  model pages.
 *
 * Block layout of a new index: the metapage (block 0), the NULL pages
 * written during the table scan, the model pages (one per record; how many
 * is known once the sort has counted the keys), then the leaves in key
 * order.  Pages are written through shared buffers without WAL and logged
 * once at the end with log_newpage_range (DESIGN.md invariant 4).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "learned.h"

typedef struct LearnedBuildState
{
	Relation	index;
	Oid			keytype;
	LearnedSort *sort;			/* the non-NULL (key, TID) entries */
	double		indtuples;		/* heap tuples indexed, NULL or not */
	uint64		nkeys;			/* non-NULL keys */
	uint64		nnulls;
	int64		max_key;		/* the last key written */
	Buffer		null_buf;		/* NULL page being filled, or Invalid */
	BlockNumber null_head;
	BlockNumber null_tail;
} LearnedBuildState;

/* Leaf fences collected while writing the leaves: the model's input. */
typedef struct LearnedFenceList
{
	int64	   *keys;
	ItemPointerData *tids;
	BlockNumber *blocks;
	uint32		n;
	uint32		allocated;
} LearnedFenceList;

static void
learned_refuse_unsupported(Relation index)
{
	Oid			keytype = learned_index_keytype(index);

	if (!learned_type_supported(keytype))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("learned indexes do not support type %s",
						format_type_be(keytype)),
				 errhint("Index a column of type int2, int4, int8, date, timestamp or timestamptz.")));

	if (index->rd_indoption[0] & (INDOPTION_DESC | INDOPTION_NULLS_FIRST))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("learned indexes keep keys in ascending order with NULLs last"),
				 errhint("Omit DESC and NULLS FIRST: the index is scanned backward for descending order.")));
}

/* Append a TID to the NULL chain being built. */
static void
learned_build_add_null(LearnedBuildState *state, ItemPointer tid)
{
	Page		page;
	int			n;

	if (BufferIsValid(state->null_buf) &&
		LearnedNullsCount(BufferGetPage(state->null_buf)) >= LEARNED_NULLS_CAPACITY)
	{
		Buffer		next = learned_new_buffer(state->index, MAIN_FORKNUM);
		Page		nextpage = BufferGetPage(next);

		learned_init_page(nextpage, LEARNED_PAGE_NULLS);
		LearnedPageGetOpaque(nextpage)->left = BufferGetBlockNumber(state->null_buf);
		LearnedPageGetOpaque(BufferGetPage(state->null_buf))->right =
			BufferGetBlockNumber(next);
		MarkBufferDirty(state->null_buf);
		UnlockReleaseBuffer(state->null_buf);
		state->null_buf = next;
		state->null_tail = BufferGetBlockNumber(next);
	}
	else if (!BufferIsValid(state->null_buf))
	{
		state->null_buf = learned_new_buffer(state->index, MAIN_FORKNUM);
		learned_init_page(BufferGetPage(state->null_buf), LEARNED_PAGE_NULLS);
		state->null_head = state->null_tail = BufferGetBlockNumber(state->null_buf);
	}

	page = BufferGetPage(state->null_buf);
	n = LearnedNullsCount(page);
	LearnedNullsTids(page)[n] = *tid;
	learned_nulls_set_count(page, n + 1);
	state->nnulls++;
}

static void
learned_build_callback(Relation index, ItemPointer tid, Datum *values,
					   bool *isnull, bool tupleIsAlive, void *opaque)
{
	LearnedBuildState *state = (LearnedBuildState *) opaque;

	if (isnull[0])
		learned_build_add_null(state, tid);
	else
	{
		learned_sort_put(state->sort,
						 learned_datum_to_key(values[0], state->keytype), tid);
		state->nkeys++;
	}
	state->indtuples += 1;
}

static void
learned_fences_add(LearnedFenceList *fences, int64 key, ItemPointer tid,
				   BlockNumber block)
{
	if (fences->n == fences->allocated)
	{
		fences->allocated *= 2;
		fences->keys = repalloc_huge(fences->keys, fences->allocated * sizeof(int64));
		fences->tids = repalloc_huge(fences->tids, fences->allocated * sizeof(ItemPointerData));
		fences->blocks = repalloc_huge(fences->blocks, fences->allocated * sizeof(BlockNumber));
	}
	fences->keys[fences->n] = key;
	fences->tids[fences->n] = *tid;
	fences->blocks[fences->n] = block;
	fences->n++;
}

/*
 * Write the sorted entries as a chain of leaves filled to leaf_fill entries,
 * each owned by the record page that will list it.
 */
static void
learned_write_leaves(LearnedBuildState *state, uint32 leaf_fill,
					 uint32 pages_per_record, BlockNumber first_record_block,
					 LearnedFenceList *fences)
{
	Relation	index = state->index;
	Buffer		buf;
	Page		page;
	uint64		done = 0;
	LearnedPageOpaque opaque;
	int64		key;
	ItemPointerData tid_data;
	ItemPointer tid = &tid_data;

	buf = learned_new_buffer(index, MAIN_FORKNUM);
	page = BufferGetPage(buf);
	learned_init_page(page, LEARNED_PAGE_LEAF | LEARNED_LEFTMOST);
	opaque = LearnedPageGetOpaque(page);
	opaque->owner_record = first_record_block;

	while (learned_sort_next(state->sort, &key, tid))
	{
		int			n = LearnedLeafCount(page);

		if (n == 0 && fences->n == 0)
		{
			/* The first leaf's fence is minus infinity; list its first key. */
			learned_fences_add(fences, key, tid, BufferGetBlockNumber(buf));
		}
		else if ((uint32) n >= leaf_fill)
		{
			Buffer		next = learned_new_buffer(index, MAIN_FORKNUM);
			Page		nextpage = BufferGetPage(next);
			LearnedPageOpaque nextopaque;

			learned_init_page(nextpage, LEARNED_PAGE_LEAF);
			nextopaque = LearnedPageGetOpaque(nextpage);
			nextopaque->low_fence.key = key;
			nextopaque->low_fence.tid = *tid;
			if (state->max_key < key)
				LearnedFenceSetTidMinusInfinity(&nextopaque->low_fence.tid);
			nextopaque->left = BufferGetBlockNumber(buf);
			nextopaque->owner_record = first_record_block +
				fences->n / pages_per_record;

			opaque->high_fence = nextopaque->low_fence;
			opaque->right = BufferGetBlockNumber(next);
			MarkBufferDirty(buf);
			UnlockReleaseBuffer(buf);

			learned_fences_add(fences, key, &nextopaque->low_fence.tid,
							   BufferGetBlockNumber(next));
			buf = next;
			page = nextpage;
			opaque = nextopaque;
			n = 0;
		}

		LearnedLeafKeys(page)[n] = key;
		learned_leaf_set_count(page, n + 1);
		*LearnedLeafTid(page, n) = *tid;
		opaque->nsorted = n + 1;
		state->max_key = key;

		if (++done % 10000 == 0)
		{
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
			CHECK_FOR_INTERRUPTS();
		}
	}

	/* An empty index still has one (empty) leaf. */
	if (fences->n == 0)
	{
		ItemPointerData invalid;

		ItemPointerSetInvalid(&invalid);
		learned_fences_add(fences, PG_INT64_MIN, &invalid,
						   BufferGetBlockNumber(buf));
	}

	opaque->flags |= LEARNED_RIGHTMOST;
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
}

/* Fill a model page with record j of the trained model. */
static void
learned_write_record(Page page, const RmiSegment *fit,
					 const LearnedFenceList *fences,
					 BlockNumber left, BlockNumber right)
{
	LearnedRecordHeader *header;

	learned_init_page(page, LEARNED_PAGE_RECORD);
	LearnedPageGetOpaque(page)->left = left;
	LearnedPageGetOpaque(page)->right = right;

	header = LearnedRecordGetHeader(page);
	memset(header, 0, sizeof(LearnedRecordHeader));
	header->fits[0] = header->fits[1] = *fit;
	header->npages = fit->count;
	header->capacity = LEARNED_RECORD_CAPACITY;

	memcpy(LearnedRecordKeys(page), &fences->keys[fit->start],
		   fit->count * sizeof(int64));
	memcpy(LearnedRecordTids(page), &fences->tids[fit->start],
		   fit->count * sizeof(ItemPointerData));
	memcpy(LearnedRecordBlocks(page), &fences->blocks[fit->start],
		   fit->count * sizeof(BlockNumber));

	/* The whole fixed layout is data: no hole for generic WAL to skip. */
	((PageHeader) page)->pd_lower =
		(char *) (LearnedRecordTids(page) + LEARNED_RECORD_CAPACITY) - (char *) page;
}

/*
 * How many leaves each record lists at build: enough records to keep each
 * list short (room to grow by splits), few enough for the metapage's
 * directory.
 */
static uint32
learned_pages_per_record(Relation index, uint64 leaf_pages)
{
	uint64		per_record = learned_get_pages_per_record(index);

	if (leaf_pages > (uint64) LEARNED_MAX_RECORDS * per_record)
		per_record = (leaf_pages + LEARNED_MAX_RECORDS - 1) / LEARNED_MAX_RECORDS;
	if (per_record > LEARNED_RECORD_CAPACITY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("index \"%s\" would need " UINT64_FORMAT " leaf pages, more than a learned index can list",
						RelationGetRelationName(index), leaf_pages),
				 errhint("A learned index lists at most %u leaf pages.",
						 (unsigned) (LEARNED_MAX_RECORDS * LEARNED_RECORD_CAPACITY))));
	return (uint32) per_record;
}

IndexBuildResult *
learned_build(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	LearnedBuildState state;
	int			fillfactor = learned_get_fillfactor(index);
	uint32		leaf_fill;
	uint64		leaf_pages;
	uint32		pages_per_record;
	uint32		nrecords;
	BlockNumber first_record_block;
	LearnedFenceList fences;
	RmiRoot		root;
	RmiSegment *segments;
	Buffer		metabuf;
	Page		metapage;
	LearnedMetaPage meta;
	double		window_sum = 0;
	uint32		window_max = 0;
	uint32		i;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data",
			 RelationGetRelationName(index));
	learned_refuse_unsupported(index);

	/* Block 0: the metapage, filled in at the end. */
	metabuf = learned_new_buffer(index, MAIN_FORKNUM);
	Assert(BufferGetBlockNumber(metabuf) == LEARNED_METAPAGE_BLKNO);
	learned_init_metapage(BufferGetPage(metabuf), fillfactor);
	MarkBufferDirty(metabuf);
	UnlockReleaseBuffer(metabuf);

	/* Scan the table: sort the keys, write NULLs straight to their chain. */
	memset(&state, 0, sizeof(state));
	state.index = index;
	state.keytype = learned_index_keytype(index);
	state.null_buf = InvalidBuffer;
	state.null_head = state.null_tail = InvalidBlockNumber;

	state.sort = learned_sort_begin(maintenance_work_mem);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_TABLESCAN);
	table_index_build_scan(heap, index, indexInfo, true, true,
						   learned_build_callback, (void *) &state, NULL);
	if (BufferIsValid(state.null_buf))
	{
		MarkBufferDirty(state.null_buf);
		UnlockReleaseBuffer(state.null_buf);
	}

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_SORT);
	learned_sort_perform(state.sort);

	/* Now the number of leaves, records and their blocks are known. */
	leaf_fill = Max(1, LEARNED_LEAF_CAPACITY * fillfactor / 100);
	leaf_pages = Max(1, (state.nkeys + leaf_fill - 1) / leaf_fill);
	pages_per_record = learned_pages_per_record(index, leaf_pages);
	nrecords = rmi_segment_count((uint32) leaf_pages, pages_per_record);
	first_record_block = RelationGetNumberOfBlocks(index);
	for (i = 0; i < nrecords; i++)
	{
		Buffer		buf = learned_new_buffer(index, MAIN_FORKNUM);

		learned_init_page(BufferGetPage(buf), LEARNED_PAGE_RECORD);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	{
		const int	progress_index[] = {
			PROGRESS_CREATEIDX_SUBPHASE,
			PROGRESS_CREATEIDX_TUPLES_TOTAL,
			PROGRESS_CREATEIDX_TUPLES_DONE
		};
		const int64 progress_vals[] = {
			LEARNED_PHASE_LEAVES, (int64) state.nkeys, 0
		};

		pgstat_progress_update_multi_param(3, progress_index, progress_vals);
	}

	fences.allocated = (uint32) leaf_pages;
	fences.n = 0;
	fences.keys = palloc_extended(fences.allocated * sizeof(int64), MCXT_ALLOC_HUGE);
	fences.tids = palloc_extended(fences.allocated * sizeof(ItemPointerData), MCXT_ALLOC_HUGE);
	fences.blocks = palloc_extended(fences.allocated * sizeof(BlockNumber), MCXT_ALLOC_HUGE);
	learned_write_leaves(&state, leaf_fill, pages_per_record,
						 first_record_block, &fences);
	learned_sort_end(state.sort);
	Assert(fences.n == leaf_pages);

	/* Train on the leaves' low fences. */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_TRAIN);
	segments = palloc(nrecords * sizeof(RmiSegment));
	rmi_train(fences.keys, fences.n, pages_per_record, &root, segments);
	if (learned_get_root_kinds(index) != RMI_ROOT_KINDS_ALL)
		rmi_train_root(&root, segments, nrecords, learned_get_root_kinds(index));
	for (i = 0; i < fences.n; i++)
	{
		uint32		lo,
					hi;

		rmi_lookup(&root, segments, fences.keys[i], &lo, &hi);
		window_sum += hi - lo + 1;
		window_max = Max(window_max, hi - lo + 1);
	}

	/* Write the records and the metapage. */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_MODEL);
	for (i = 0; i < nrecords; i++)
	{
		Buffer		buf = ReadBuffer(index, first_record_block + i);

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_write_record(BufferGetPage(buf), &segments[i], &fences,
							 i > 0 ? first_record_block + i - 1 : InvalidBlockNumber,
							 i + 1 < nrecords ? first_record_block + i + 1 : InvalidBlockNumber);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	metapage = BufferGetPage(metabuf);
	meta = LearnedPageGetMeta(metapage);
	meta->leaf_head = fences.blocks[0];
	meta->null_head = state.null_head;
	meta->null_tail = state.null_tail;
	meta->build_leaf_pages = fences.n;
	meta->build_entries = state.nkeys;
	meta->build_nulls = state.nnulls;
	meta->build_min_key = state.nkeys > 0 ? fences.keys[0] : 0;
	meta->build_max_key = state.max_key;
	meta->pages_per_record = pages_per_record;
	meta->mean_window = window_sum / fences.n;
	meta->max_window = window_max;
	meta->trained_nrecords = nrecords;
	meta->root = root;
	meta->nrecords = nrecords;
	for (i = 0; i < nrecords; i++)
		meta->records[i] = first_record_block + i;
	MarkBufferDirty(metabuf);
	UnlockReleaseBuffer(metabuf);

	/* Log every page once, now that they are all written. */
	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM,
						  0, RelationGetNumberOfBlocks(index), true);

	result = (IndexBuildResult *) palloc(sizeof(IndexBuildResult));
	result->heap_tuples = state.indtuples;
	result->index_tuples = state.indtuples;
	return result;
}

/*
 * The init fork of an unlogged index: an empty index (metapage, one record,
 * one empty leaf), WAL-logged so that a crash restart can copy it.
 */
void
learned_buildempty(Relation index)
{
	Buffer		metabuf;
	Buffer		recbuf;
	Buffer		leafbuf;
	Page		metapage;
	Page		recpage;
	Page		leafpage;
	LearnedMetaPage meta;
	LearnedFenceList fences;
	int64		fence_key = PG_INT64_MIN;
	ItemPointerData fence_tid;
	BlockNumber leaf_block;
	RmiSegment fit;

	metabuf = learned_new_buffer(index, INIT_FORKNUM);
	recbuf = learned_new_buffer(index, INIT_FORKNUM);
	leafbuf = learned_new_buffer(index, INIT_FORKNUM);
	Assert(BufferGetBlockNumber(metabuf) == LEARNED_METAPAGE_BLKNO);
	metapage = BufferGetPage(metabuf);
	recpage = BufferGetPage(recbuf);
	leafpage = BufferGetPage(leafbuf);
	leaf_block = BufferGetBlockNumber(leafbuf);
	ItemPointerSetInvalid(&fence_tid);

	fences.keys = &fence_key;
	fences.tids = &fence_tid;
	fences.blocks = &leaf_block;
	fences.n = fences.allocated = 1;

	START_CRIT_SECTION();

	learned_init_page(leafpage, LEARNED_PAGE_LEAF | LEARNED_LEFTMOST | LEARNED_RIGHTMOST);
	LearnedPageGetOpaque(leafpage)->owner_record = BufferGetBlockNumber(recbuf);

	learned_init_metapage(metapage, learned_get_fillfactor(index));
	meta = LearnedPageGetMeta(metapage);
	rmi_train(&fence_key, 1, LEARNED_DEFAULT_PAGES_PER_RECORD, &meta->root, &fit);
	learned_write_record(recpage, &fit, &fences,
						 InvalidBlockNumber, InvalidBlockNumber);
	meta->leaf_head = leaf_block;
	meta->build_leaf_pages = 1;
	meta->pages_per_record = LEARNED_DEFAULT_PAGES_PER_RECORD;
	meta->mean_window = 1;
	meta->max_window = 1;
	meta->trained_nrecords = 1;
	meta->nrecords = 1;
	meta->records[0] = BufferGetBlockNumber(recbuf);

	MarkBufferDirty(metabuf);
	MarkBufferDirty(recbuf);
	MarkBufferDirty(leafbuf);
	log_newpage_buffer(metabuf, true);
	log_newpage_buffer(recbuf, true);
	log_newpage_buffer(leafbuf, true);

	END_CRIT_SECTION();

	UnlockReleaseBuffer(leafbuf);
	UnlockReleaseBuffer(recbuf);
	UnlockReleaseBuffer(metabuf);
}
