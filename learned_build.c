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

/* Entries read ahead of the leaf being written, to choose its width. */
typedef struct LearnedLookahead
{
	int64		keys[LEARNED_NARROW_CAPACITY + 1];
	ItemPointerData tids[LEARNED_NARROW_CAPACITY + 1];
	int			n;
	bool		exhausted;		/* the sort has no more entries */
} LearnedLookahead;

static void
learned_lookahead_fill(LearnedSort *sort, LearnedLookahead *ahead, int want)
{
	while (ahead->n < want && !ahead->exhausted)
	{
		if (learned_sort_next(sort, &ahead->keys[ahead->n], &ahead->tids[ahead->n]))
			ahead->n++;
		else
			ahead->exhausted = true;
	}
}

/*
 * How many of the entries read ahead the next leaf takes, and whether it
 * stores them narrow.  A narrow leaf is filled to narrow_fill entries when
 * the next page's first key (its high fence) lies close enough above its
 * low fence; otherwise the leaf takes wide_fill entries, narrow still if
 * their range allows.  The last leaf (rightmost) takes what is left.
 */
static int
learned_leaf_plan(const LearnedLookahead *ahead, const LearnedFence *low,
				  uint16 flags, int narrow_fill, int wide_fill, bool *narrow)
{
	int			n = ahead->n;

	if (n > narrow_fill &&
		learned_leaf_range_is_narrow(low, flags, ahead->keys[narrow_fill]))
	{
		*narrow = true;
		return narrow_fill;
	}
	if (n <= narrow_fill && ahead->exhausted &&
		learned_leaf_range_is_narrow(low, flags, ahead->keys[n - 1]))
	{
		*narrow = true;
		return n;
	}
	if (n > wide_fill)
	{
		*narrow = learned_leaf_range_is_narrow(low, flags, ahead->keys[wide_fill]);
		return wide_fill;
	}
	*narrow = false;
	return n;
}

/*
 * Write the sorted entries as a chain of leaves at the fillfactor.  Every
 * pages_per_record leaves, the record page that will list them is added
 * just before them, so a leaf knows its owner when it is written; the
 * blocks of the records go to record_blocks (room for max_records).
 */
static void
learned_write_leaves(LearnedBuildState *state, int fillfactor,
					 uint32 pages_per_record, BlockNumber *record_blocks,
					 uint32 max_records, LearnedFenceList *fences)
{
	Relation	index = state->index;
	int			narrow_fill = Max(1, LEARNED_NARROW_CAPACITY * fillfactor / 100);
	int			wide_fill = Max(1, LEARNED_WIDE_CAPACITY * fillfactor / 100);
	LearnedLookahead *ahead = palloc(sizeof(LearnedLookahead));
	Buffer		prevbuf = InvalidBuffer;
	uint64		done = 0;
	uint32		nrecords = 0;

	ahead->n = 0;
	ahead->exhausted = false;
	for (;;)
	{
		Buffer		buf;
		Page		page;
		LearnedPageOpaque opaque;
		LearnedFence low;
		uint16		flags = LEARNED_PAGE_LEAF;
		bool		narrow;
		int			count;
		int			i;

		learned_lookahead_fill(state->sort, ahead, narrow_fill + 1);
		if (ahead->n == 0 && BufferIsValid(prevbuf))
			break;

		/* Its record first, if it starts one. */
		if (fences->n % pages_per_record == 0)
		{
			Buffer		recbuf = learned_new_buffer(index, MAIN_FORKNUM);

			if (nrecords >= max_records)
				elog(ERROR, "learned index build made more records than planned");
			learned_init_page(BufferGetPage(recbuf), LEARNED_PAGE_RECORD);
			MarkBufferDirty(recbuf);
			record_blocks[nrecords++] = BufferGetBlockNumber(recbuf);
			UnlockReleaseBuffer(recbuf);
		}

		/* Its low fence: minus infinity for the first leaf. */
		if (!BufferIsValid(prevbuf))
		{
			flags |= LEARNED_LEFTMOST;
			low.key = PG_INT64_MIN;
			ItemPointerSetInvalid(&low.tid);
		}
		else
		{
			low.key = ahead->keys[0];
			low.tid = ahead->tids[0];
			if (state->max_key < low.key)
				LearnedFenceSetTidMinusInfinity(&low.tid);
		}
		if (ahead->n > 0)
			count = learned_leaf_plan(ahead, &low, flags, narrow_fill,
									  wide_fill, &narrow);
		else
		{
			count = 0;			/* an empty index: one empty leaf */
			narrow = false;
		}
		if (narrow)
			flags |= LEARNED_NARROW_KEYS;

		buf = learned_new_buffer(index, MAIN_FORKNUM);
		page = BufferGetPage(buf);
		learned_init_page(page, flags);
		opaque = LearnedPageGetOpaque(page);
		opaque->owner_record = record_blocks[nrecords - 1];
		if (BufferIsValid(prevbuf))
		{
			LearnedPageOpaque prevopaque = LearnedPageGetOpaque(BufferGetPage(prevbuf));

			opaque->low_fence = low;
			opaque->left = BufferGetBlockNumber(prevbuf);
			prevopaque->high_fence = low;
			prevopaque->right = BufferGetBlockNumber(buf);
			MarkBufferDirty(prevbuf);
			UnlockReleaseBuffer(prevbuf);
			learned_fences_add(fences, low.key, &low.tid, BufferGetBlockNumber(buf));
		}
		else
		{
			/* The first leaf's fence is minus infinity; list its first key. */
			if (count > 0)
				learned_fences_add(fences, ahead->keys[0], &ahead->tids[0],
								   BufferGetBlockNumber(buf));
			else
			{
				ItemPointerData invalid;

				ItemPointerSetInvalid(&invalid);
				learned_fences_add(fences, PG_INT64_MIN, &invalid,
								   BufferGetBlockNumber(buf));
			}
		}

		learned_leaf_set_count(page, count);
		for (i = 0; i < count; i++)
		{
			learned_leaf_set_key(page, i, ahead->keys[i]);
			*LearnedLeafTid(page, i) = ahead->tids[i];
		}
		opaque->nsorted = count;
		if (count > 0)
			state->max_key = ahead->keys[count - 1];

		/* The entries not written wait for the next leaf. */
		ahead->n -= count;
		memmove(ahead->keys, ahead->keys + count, ahead->n * sizeof(int64));
		memmove(ahead->tids, ahead->tids + count, ahead->n * sizeof(ItemPointerData));

		prevbuf = buf;
		done += count;
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
		CHECK_FOR_INTERRUPTS();
	}

	LearnedPageGetOpaque(BufferGetPage(prevbuf))->flags |= LEARNED_RIGHTMOST;
	MarkBufferDirty(prevbuf);
	UnlockReleaseBuffer(prevbuf);
	pfree(ahead);
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
	uint32		wide_fill;
	uint64		max_leaf_pages;
	uint32		max_records;
	BlockNumber *record_blocks;
	uint32		pages_per_record;
	uint32		nrecords;
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

	/*
	 * At most this many leaves: narrow leaves hold more entries than wide
	 * ones, and which ones are narrow is decided while writing them.
	 */
	wide_fill = Max(1, LEARNED_WIDE_CAPACITY * fillfactor / 100);
	max_leaf_pages = Max(1, (state.nkeys + wide_fill - 1) / wide_fill);
	pages_per_record = learned_pages_per_record(index, max_leaf_pages);
	max_records = rmi_segment_count((uint32) max_leaf_pages, pages_per_record);
	record_blocks = palloc(max_records * sizeof(BlockNumber));

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

	fences.allocated = (uint32) max_leaf_pages;
	fences.n = 0;
	fences.keys = palloc_extended(fences.allocated * sizeof(int64), MCXT_ALLOC_HUGE);
	fences.tids = palloc_extended(fences.allocated * sizeof(ItemPointerData), MCXT_ALLOC_HUGE);
	fences.blocks = palloc_extended(fences.allocated * sizeof(BlockNumber), MCXT_ALLOC_HUGE);
	learned_write_leaves(&state, fillfactor, pages_per_record, record_blocks,
						 max_records, &fences);
	learned_sort_end(state.sort);
	nrecords = rmi_segment_count(fences.n, pages_per_record);

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
		Buffer		buf = ReadBuffer(index, record_blocks[i]);

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_write_record(BufferGetPage(buf), &segments[i], &fences,
							 i > 0 ? record_blocks[i - 1] : InvalidBlockNumber,
							 i + 1 < nrecords ? record_blocks[i + 1] : InvalidBlockNumber);
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
		meta->records[i] = record_blocks[i];
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
