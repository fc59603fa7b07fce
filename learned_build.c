/*-------------------------------------------------------------------------
 *
 * learned_build.c
 *	  CREATE INDEX for the learned access method: scan the table, sort the
 *	  (key, TID) entries, write the leaf chain at the fillfactor, train the
 *	  model on the leaves' low fences and write it to the metapage and the
 *	  model pages.
 *
 * Block layout of a new index: the metapage (block 0), the NULL pages
 * written during the table scan, the leaves in key order, then the model
 * pages (one per record: how many is chosen from the leaves' fences, see
 * learned_train).  Pages are written through shared buffers without WAL and
 * logged once at the end with log_newpage_range (README invariant 4).
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
	LearnedSpool *spool;		/* the non-NULL (key, TID) entries */
	double		indtuples;		/* heap tuples indexed, NULL or not */
	uint64		nkeys;			/* non-NULL keys */
	uint64		nnulls;
	int64		max_key;		/* the last key written */
	Buffer		null_buf;		/* NULL page being filled (pinned, not
								 * locked), or Invalid */
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
		learned_refuse_key_type(keytype);

	if (index->rd_indoption[0] & (INDOPTION_DESC | INDOPTION_NULLS_FIRST))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("learned indexes keep keys in ascending order with NULLs last"),
				 errhint("Omit DESC and NULLS FIRST: the index is scanned backward for descending order.")));
}

/*
 * Append a TID to the NULL chain being built.
 *
 * The page being filled stays pinned between calls but is locked only
 * while it is changed: a buffer lock held from one callback to the next
 * would hold off interrupts (query cancel, statement_timeout, termination)
 * for the rest of the table scan.  Nobody else can reach the index yet, so
 * the lock only keeps the page steady while a checkpoint may write it.
 */
static void
learned_build_add_null(LearnedBuildState *state, ItemPointer tid)
{
	Page		page;
	int			n;

	if (!BufferIsValid(state->null_buf))
	{
		state->null_buf = learned_new_buffer(state->index, MAIN_FORKNUM);
		learned_init_page(BufferGetPage(state->null_buf), LEARNED_PAGE_NULLS);
		state->null_head = state->null_tail = BufferGetBlockNumber(state->null_buf);
	}
	else
	{
		LockBuffer(state->null_buf, BUFFER_LOCK_EXCLUSIVE);
		if (LearnedNullsCount(BufferGetPage(state->null_buf)) >= LEARNED_NULLS_CAPACITY)
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
	}

	/* Here the page being filled is locked, with room for the TID. */
	page = BufferGetPage(state->null_buf);
	n = LearnedNullsCount(page);
	LearnedNullsTids(page)[n] = *tid;
	learned_nulls_set_count(page, n + 1);
	MarkBufferDirty(state->null_buf);
	LockBuffer(state->null_buf, BUFFER_LOCK_UNLOCK);
	state->nnulls++;
}

static void
learned_build_callback(Relation index, ItemPointer tid, Datum *values,
					   bool *isnull, bool tupleIsAlive, void *opaque)
{
	LearnedBuildState *state = (LearnedBuildState *) opaque;

	if (isnull[0])
	{
		learned_spool_note_null(state->spool, tupleIsAlive);
		learned_build_add_null(state, tid);
	}
	else
	{
		learned_spool_put(state->spool,
						  learned_datum_to_key(values[0], state->keytype), tid,
						  tupleIsAlive);
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
 * Entries read ahead of the leaf being written, to choose how many it
 * takes and its format: a page's worth at the narrowest format, and the
 * next leaf's first entry (the high fence).
 */
typedef struct LearnedLookahead
{
	int64		keys[LEARNED_LEAF_MAX_CAPACITY + 1];
	ItemPointerData tids[LEARNED_LEAF_MAX_CAPACITY + 1];
	int			n;
	bool		exhausted;		/* the sort has no more entries */
} LearnedLookahead;

static void
learned_lookahead_fill(LearnedSpool *spool, LearnedLookahead *ahead, int want)
{
	while (ahead->n < want && !ahead->exhausted)
	{
		if (learned_spool_next(spool, &ahead->keys[ahead->n], &ahead->tids[ahead->n]))
			ahead->n++;
		else
			ahead->exhausted = true;
	}
}

/*
 * Pages for the build's leaves.  From PostgreSQL 16 on they are added to
 * the relation a batch at a time (ExtendBufferedRelBy): one extension of
 * the file and one extension lock for many pages, where one per page put
 * the extension at a third of a parallel build's serial part in perf.  A
 * batch never holds more pages than the entries not yet written need (no
 * leaf holds more than LEARNED_LEAF_MAX_CAPACITY), so none is left over
 * uninitialised: every page is one of the index's kinds, as VACUUM's pass
 * in physical order and learned_index_check expect.
 */
#define LEARNED_LEAF_BATCH	64

typedef struct LearnedLeafPages
{
	Buffer		buffers[LEARNED_LEAF_BATCH];	/* pinned, not locked */
	uint32		next;
	uint32		n;
} LearnedLeafPages;

/* A new leaf page, exclusively locked; remaining: entries still to write. */
static Buffer
learned_next_leaf_page(Relation index, LearnedLeafPages *pages,
					   uint64 remaining)
{
#if PG_VERSION_NUM >= 160000
	Buffer		buf;

	if (pages->next == pages->n)
	{
		/* At least this leaf, and at most the fewest the rest could fill. */
		uint64		needed = Max(remaining / LEARNED_LEAF_MAX_CAPACITY, 1);

		(void) ExtendBufferedRelBy(BMR_REL(index), MAIN_FORKNUM, NULL, 0,
								   (uint32) Min(needed, LEARNED_LEAF_BATCH),
								   pages->buffers, &pages->n);
		pages->next = 0;
	}
	buf = pages->buffers[pages->next++];
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	return buf;
#else
	return learned_new_buffer(index, MAIN_FORKNUM);
#endif
}

/*
 * Where a leaf of count entries (of n) would end inside a run of equal
 * keys, end it before the run instead if the run started in its second
 * half: a lookup of that key then reads one leaf, not two, as btree's
 * posting lists keep duplicates on one page.  The format planned for count
 * entries holds the fewer.  A longer run is left to span leaves.
 */
static int
learned_leaf_keep_duplicates(const int64 *keys, int count, int n)
{
	int			start = count - 1;

	if (count >= n || keys[count] != keys[count - 1])
		return count;
	while (start > 0 && keys[start - 1] == keys[count])
		start--;
	return start > 0 && start >= count / 2 ? start : count;
}

/*
 * Write the sorted entries as a chain of leaves at the fillfactor, each in
 * the narrowest format its entries and fences allow (learned_leaf_plan).
 * Their owner records are set once the records are
 * (learned_set_leaf_owners).
 */
static void
learned_write_leaves(LearnedBuildState *state, int fillfactor,
					 LearnedFenceList *fences)
{
	Relation	index = state->index;
	LearnedLookahead *ahead = palloc(sizeof(LearnedLookahead));
	LearnedLeafPages pages;
	Buffer		prevbuf = InvalidBuffer;
	uint64		done = 0;

	pages.next = pages.n = 0;

	ahead->n = 0;
	ahead->exhausted = false;
	for (;;)
	{
		Buffer		buf;
		Page		page;
		LearnedPageOpaque opaque;
		LearnedFence low;
		uint16		flags = LEARNED_PAGE_LEAF;
		LearnedLeafFormat format;
		int64		base;
		int			count;

		learned_lookahead_fill(state->spool, ahead, LEARNED_LEAF_MAX_CAPACITY + 1);
		if (ahead->n == 0 && BufferIsValid(prevbuf))
			break;

		/*
		 * Its low fence: minus infinity for the first leaf.  Zeroed first:
		 * the struct's padding is copied into the pages, which must not
		 * depend on the stack's garbage (a build's pages are reproducible).
		 */
		memset(&low, 0, sizeof(low));
		if (!BufferIsValid(prevbuf))
		{
			flags |= LEARNED_LEFTMOST;
			low.key = PG_INT64_MIN;
			ItemPointerSetInvalid(&low.tid);
			base = PG_INT64_MIN;
		}
		else
		{
			low.key = ahead->keys[0];
			low.tid = ahead->tids[0];
			if (state->max_key < low.key)
				LearnedFenceSetTidMinusInfinity(&low.tid);
			base = low.key;
		}
		if (ahead->n > (ahead->exhausted ? 0 : 1))
		{
			count = learned_leaf_plan(ahead->keys, ahead->tids, ahead->n,
									  ahead->exhausted, base, fillfactor,
									  &format);
			count = learned_leaf_keep_duplicates(ahead->keys, count, ahead->n);
		}
		else
		{
			count = 0;			/* an empty index: one empty leaf */
			learned_leaf_format_init(&format);
		}

		buf = learned_next_leaf_page(index, &pages,
									 state->nkeys > done ? state->nkeys - done : 0);
		page = BufferGetPage(buf);
		learned_init_page(page, flags);
		opaque = LearnedPageGetOpaque(page);
		if (BufferIsValid(prevbuf))
		{
			LearnedPageOpaque prevopaque;

			LockBuffer(prevbuf, BUFFER_LOCK_EXCLUSIVE);
			prevopaque = LearnedPageGetOpaque(BufferGetPage(prevbuf));
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

		learned_leaf_write(page, &format, ahead->keys, ahead->tids, count);
		if (count > 0)
			state->max_key = ahead->keys[count - 1];

		/* The entries not written wait for the next leaf. */
		ahead->n -= count;
		memmove(ahead->keys, ahead->keys + count, ahead->n * sizeof(int64));
		memmove(ahead->tids, ahead->tids + count, ahead->n * sizeof(ItemPointerData));

		/*
		 * Keep the leaf pinned for its right link, but unlocked: a lock held
		 * into the next round would hold off the interrupts checked below.
		 */
		MarkBufferDirty(buf);
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		prevbuf = buf;
		done += count;
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
		CHECK_FOR_INTERRUPTS();
	}

	LockBuffer(prevbuf, BUFFER_LOCK_EXCLUSIVE);
	LearnedPageGetOpaque(BufferGetPage(prevbuf))->flags |= LEARNED_RIGHTMOST;
	MarkBufferDirty(prevbuf);
	UnlockReleaseBuffer(prevbuf);
	Assert(pages.next == pages.n);
	pfree(ahead);
}

/*
 * Fill a model page with a record of the trained model; high is the next
 * record's first fence, NULL for the last.
 */
static void
learned_write_record(Page page, const RmiRecord *fit,
					 const LearnedFenceList *fences,
					 BlockNumber left, BlockNumber right,
					 const LearnedFence *high)
{
	LearnedRecordHeader *header;

	learned_init_page(page, LEARNED_PAGE_RECORD);
	LearnedPageGetOpaque(page)->left = left;
	LearnedPageGetOpaque(page)->right = right;
	learned_record_set_high_fence(page, high);

	header = LearnedRecordGetHeader(page);
	memset(header, 0, sizeof(LearnedRecordHeader));
	header->fits[0] = header->fits[1] = *fit;
	header->npages = fit->count;
	header->capacity = learned_record_capacity();

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
 * List lengths CREATE INDEX chooses from when pages_per_record is not set:
 * each leaves room in the record's 445 slots for splits to enter the list.
 */
static const uint32 learned_auto_pages_per_record[] = {16, 32, 64, 128, 256};

/* The list length of an empty index. */
#define LEARNED_EMPTY_PAGES_PER_RECORD	128

/*
 * The list lengths to choose from at build (*pinned set if the
 * pages_per_record reloption names one).  Auto candidates must make no
 * more records than the metapage keeps first keys for (a third of its
 * directory: cold lookups route exactly, and splits have room to add
 * records); where none does, those that leave half the directory free;
 * where none does either, the longest auto length, and the records of
 * level 1 get records of upper levels above them
 * (learned_build_upper_levels).  Under learned.test_directory_capacity,
 * half the capped capacity.
 */
static int
learned_pages_per_record_candidates(Relation index, uint64 leaf_pages,
									uint32 *candidates, bool *pinned)
{
	uint64		per_record = learned_get_pages_per_record(index);
	uint64		fits_directory = (leaf_pages + LEARNED_MAX_RECORDS - 1) / LEARNED_MAX_RECORDS;
	int			ncandidates = 0;

	*pinned = per_record != LEARNED_PAGES_PER_RECORD_AUTO;
	if (learned_record_capacity() < LEARNED_RECORD_CAPACITY)
	{
		candidates[ncandidates++] = Max(learned_record_capacity() / 2, 2);
		return ncandidates;
	}
	if (*pinned)
	{
		candidates[ncandidates++] =
			(uint32) Min(Max(per_record, fits_directory), LEARNED_RECORD_CAPACITY);
		return ncandidates;
	}

	for (int pass = 0; pass < 2 && ncandidates == 0; pass++)
	{
		uint32		most = pass == 0 ? LEARNED_KEYED_RECORDS : LEARNED_MAX_RECORDS / 2;

		for (int i = 0; i < lengthof(learned_auto_pages_per_record); i++)
		{
			uint32		c = learned_auto_pages_per_record[i];

			if (rmi_record_count((uint32) leaf_pages, c) <= most)
				candidates[ncandidates++] = c;
		}
	}
	if (ncandidates == 0)
		candidates[ncandidates++] =
			(uint32) Min(Max(fits_directory,
							 learned_auto_pages_per_record[lengthof(learned_auto_pages_per_record) - 1]),
						 LEARNED_RECORD_CAPACITY);
	return ncandidates;
}

/*
 * While the records of the top level written so far (n of them, their
 * first fences and blocks in keys, tids, blocks) are more than the
 * metapage's directory holds, write a level above them, each record
 * listing about half its capacity, as a level grown by inserts does
 * (README, "Inserts and splits").  Build pages: logged at the end.
 * Returns the top level; keys, tids, blocks and *n then describe it, and
 * segments[0..*n) holds its fits, for the root.
 */
static uint32
learned_build_upper_levels(Relation index, int64 *keys, ItemPointerData *tids,
						   BlockNumber *blocks, uint32 *n, RmiRecord *segments)
{
	uint32		level = 1;
	uint32		capacity = learned_record_capacity();
	uint32		per_record = Max(capacity / 2, 2);

	while (*n > learned_directory_capacity())
	{
		uint32		nnew = (*n + per_record - 1) / per_record;
		BlockNumber first = RelationGetNumberOfBlocks(index);

		level++;
		for (uint32 r = 0; r < nnew; r++)
		{
			uint32		start = r * per_record;
			uint32		count = Min(per_record, *n - start);
			Buffer		buf = learned_new_buffer(index, MAIN_FORKNUM);
			Page		page = BufferGetPage(buf);

			Assert(BufferGetBlockNumber(buf) == first + r);
			learned_record_write_list(page, level, keys + start, tids + start,
									  blocks + start, count, capacity);
			LearnedPageGetOpaque(page)->left = r > 0 ? first + r - 1 : InvalidBlockNumber;
			LearnedPageGetOpaque(page)->right = r + 1 < nnew ? first + r + 1 : InvalidBlockNumber;
			if (r + 1 < nnew)
			{
				/* Entries past start are not overwritten yet (below). */
				LearnedFence high;

				high.key = keys[start + count];
				high.tid = tids[start + count];
				learned_record_set_high_fence(page, &high);
			}
			else
				learned_record_set_high_fence(page, NULL);
			segments[r] = LearnedRecordGetHeader(page)->fits[0];
			MarkBufferDirty(buf);
			UnlockReleaseBuffer(buf);

			/* Entry r of the level just written: its first fence. */
			keys[r] = keys[start];
			tids[r] = tids[start];
			blocks[r] = first + r;
			CHECK_FOR_INTERRUPTS();
		}
		*n = nnew;
	}
	return level;
}

/*
 * Choose the list length and the root kind and train the model on the
 * leaves' fences: rmi_choose with the cache's cost model (learned.h) and a
 * budget of 1% of the index, within limits.  segments must have room for
 * the most records any candidate makes.
 */
static void
learned_train(Relation index, const LearnedFenceList *fences,
			  const uint32 *candidates, int ncandidates, bool pinned,
			  BlockNumber index_pages, RmiRoot *root, RmiRecord *segments,
			  RmiChoice *choice, uint32 *choice_flags, uint64 *budget)
{
	uint32		kinds = learned_get_root_kinds(index);
	RmiCacheModel cm;

	*budget = LEARNED_CACHE_BUDGET((uint64) index_pages * BLCKSZ);
	cm.budget_bytes = (double) *budget;
	cm.fixed_bytes = LEARNED_CACHE_FIXED_BYTES;
	cm.bytes_per_record = LEARNED_CACHE_BYTES_PER_RECORD;
	cm.bytes_per_leaf = LEARNED_CACHE_BYTES_PER_LEAF;

	/*
	 * Can't happen: rmi_choose refuses only an empty candidate list or root
	 * kind mask, and there is always one candidate (see
	 * learned_pages_per_record_candidates) and one kind (the root_model
	 * reloption names one, or all).
	 */
	if (!rmi_choose(fences->keys, fences->n, candidates, ncandidates, kinds,
					&cm, root, segments, choice))
		elog(ERROR, "no model to choose for index \"%s\"",
			 RelationGetRelationName(index));

	*choice_flags = 0;
	if (pinned)
		*choice_flags |= LEARNED_CHOICE_PINNED_PAGES;
	if (kinds != RMI_ROOT_KINDS_ALL)
		*choice_flags |= LEARNED_CHOICE_PINNED_ROOT;
}

/*
 * Point every leaf at the record that lists it: the leaves are written
 * before the list length is chosen (the choice is made on their fences).
 * The leaves are still unlogged build pages, in shared buffers.
 */
static void
learned_set_leaf_owners(Relation index, const LearnedFenceList *fences,
						uint32 pages_per_record, BlockNumber first_record_block)
{
	for (uint32 i = 0; i < fences->n; i++)
	{
		Buffer		buf = ReadBuffer(index, fences->blocks[i]);

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		LearnedPageGetOpaque(BufferGetPage(buf))->owner_record =
			first_record_block + i / pages_per_record;
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
		if (i % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

IndexBuildResult *
learned_build(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	LearnedBuildState state;
	int			fillfactor = learned_get_fillfactor(index);
	uint64		fewest_per_leaf;
	uint64		max_leaf_pages;
	uint32		candidates[RMI_CHOOSE_MAX_CANDIDATES];
	int			ncandidates;
	bool		pinned;
	uint32		pages_per_record;
	uint32		nrecords;
	uint32		most_records;
	BlockNumber first_record_block;
	LearnedFenceList fences;
	RmiRoot		root;
	RmiRecord *segments;
	RmiChoice	choice;
	uint32		choice_flags;
	uint64		budget;
	Buffer		metabuf;
	Page		metapage;
	LearnedMetaPage meta;
	LearnedParallelBuild *parallel = NULL;
	uint32		directory_level = 1;
	BlockNumber *directory_blocks;
	int64	   *directory_keys;
	uint32		i;

	/* Can't happen: ambuild gets a new, empty relation (as in nbtree). */
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

	memset(&state, 0, sizeof(state));
	state.index = index;
	state.keytype = learned_index_keytype(index);
	state.null_buf = InvalidBuffer;
	state.null_head = state.null_tail = InvalidBlockNumber;

	/*
	 * With parallel workers (planned by the server on PostgreSQL 17 on, see
	 * learned_parallel_build.c) the participants scan and sort the table; the
	 * merged entries give the NULL chain, then the keys.  Without (none
	 * planned, or none could start), this process alone.
	 */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_TABLESCAN);
	if (indexInfo->ii_ParallelWorkers > 0)
		parallel = learned_build_parallel_begin(heap, index,
												indexInfo->ii_Concurrent,
												indexInfo->ii_ParallelWorkers);
	if (parallel != NULL)
	{
		ItemPointerData null_tid;

		learned_build_parallel_sort(parallel, heap, index, indexInfo,
									&state.indtuples, &state.nkeys);
		state.spool = learned_spool_begin_merged(heap, index,
												 indexInfo->ii_Unique, parallel);
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
									 LEARNED_PHASE_SORT);
		learned_spool_perform(state.spool);
		while (learned_spool_next_null(state.spool, &null_tid))
		{
			learned_build_add_null(&state, &null_tid);
			CHECK_FOR_INTERRUPTS();
		}
	}
	else
	{
		/* Scan the table: sort the keys, write NULLs straight to their chain. */
		state.spool = learned_spool_begin(heap, index, indexInfo->ii_Unique);
		table_index_build_scan(heap, index, indexInfo, true, true,
							   learned_build_callback, (void *) &state, NULL);
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
									 LEARNED_PHASE_SORT);
		learned_spool_perform(state.spool);
	}
	if (BufferIsValid(state.null_buf))
		ReleaseBuffer(state.null_buf);	/* written and dirtied, unlocked */

	/*
	 * At most this many leaves: the format of each, and so how many
	 * entries it takes, is decided while writing them.
	 */
	fewest_per_leaf = Max(1, LEARNED_LEAF_MIN_CAPACITY * fillfactor / 100);
	max_leaf_pages = Max(1, (state.nkeys + fewest_per_leaf - 1) / fewest_per_leaf);

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
	learned_write_leaves(&state, fillfactor, &fences);
	learned_spool_end(state.spool);
	if (parallel != NULL)
		learned_build_parallel_end(parallel);

	/*
	 * The records follow the leaves; which leaves each lists depends on the
	 * list length chosen below, and the leaves learn their record then.
	 */
	first_record_block = RelationGetNumberOfBlocks(index);
	ncandidates = learned_pages_per_record_candidates(index, fences.n,
													  candidates, &pinned);

	/* Choose the list length and the root, and train on the low fences. */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_TRAIN);
	most_records = 0;
	for (i = 0; i < (uint32) ncandidates; i++)
		most_records = Max(most_records,
						   rmi_record_count(fences.n, candidates[i]));
	segments = palloc_extended(most_records * sizeof(RmiRecord), MCXT_ALLOC_HUGE);
	learned_train(index, &fences, candidates, ncandidates, pinned,
				  first_record_block, &root, segments, &choice,
				  &choice_flags, &budget);
	pages_per_record = choice.leaves_per_record;
	nrecords = rmi_record_count(fences.n, pages_per_record);
	learned_set_leaf_owners(index, &fences, pages_per_record,
							first_record_block);

	/* Write the records after the leaves, then the metapage. */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 LEARNED_PHASE_MODEL);
	for (i = 0; i < nrecords; i++)
	{
		Buffer		buf = learned_new_buffer(index, MAIN_FORKNUM);

		LearnedFence high;

		Assert(BufferGetBlockNumber(buf) == first_record_block + i);
		if (i + 1 < nrecords)
		{
			high.key = fences.keys[segments[i + 1].start];
			high.tid = fences.tids[segments[i + 1].start];
		}
		learned_write_record(BufferGetPage(buf), &segments[i], &fences,
							 i > 0 ? first_record_block + i - 1 : InvalidBlockNumber,
							 i + 1 < nrecords ? first_record_block + i + 1 : InvalidBlockNumber,
							 i + 1 < nrecords ? &high : NULL);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	/*
	 * The top level's blocks and first keys, for the directory; records of
	 * upper levels while the directory cannot list them all.
	 */
	directory_keys = palloc_extended(nrecords * sizeof(int64), MCXT_ALLOC_HUGE);
	directory_blocks = palloc_extended(nrecords * sizeof(BlockNumber), MCXT_ALLOC_HUGE);
	for (i = 0; i < nrecords; i++)
	{
		directory_keys[i] = fences.keys[segments[i].start];
		directory_blocks[i] = first_record_block + i;
	}
	if (nrecords > learned_directory_capacity())
	{
		ItemPointerData *upper_tids = palloc_extended(nrecords * sizeof(ItemPointerData), MCXT_ALLOC_HUGE);

		for (i = 0; i < nrecords; i++)
			upper_tids[i] = fences.tids[segments[i].start];
		directory_level = learned_build_upper_levels(index, directory_keys,
													 upper_tids, directory_blocks,
													 &nrecords, segments);
		rmi_train_root(&root, segments, nrecords,
					   learned_get_root_kinds(index));
	}

	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	metapage = BufferGetPage(metabuf);
	meta = LearnedPageGetMeta(metapage);
	meta->leaf_head = fences.blocks[0];
	meta->directory_level = directory_level;
	meta->null_head = state.null_head;
	meta->null_tail = state.null_tail;
	meta->build_leaf_pages = fences.n;
	meta->build_entries = state.nkeys;
	meta->build_nulls = state.nnulls;
	meta->build_min_key = state.nkeys > 0 ? fences.keys[0] : 0;
	meta->build_max_key = state.max_key;
	meta->pages_per_record = pages_per_record;
	meta->mean_window = choice.mean_window;
	meta->max_window = choice.max_window;
	meta->choice_flags = choice_flags;
	meta->choice_candidates = choice.ncandidates;
	meta->choice_reason = choice.reason;
	meta->choice_expected_pages = choice.expected_pages;
	meta->choice_search_cost = choice.search_cost;
	meta->choice_cache_bytes = (uint64) choice.cache_bytes;
	meta->cache_budget = budget;
	meta->trained_nrecords = nrecords;
	meta->root = root;
	learned_meta_set_directory(meta, directory_blocks, directory_keys, nrecords);
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
	BlockNumber record_block;
	RmiRecord fit;

	metabuf = learned_new_buffer(index, INIT_FORKNUM);
	recbuf = learned_new_buffer(index, INIT_FORKNUM);
	leafbuf = learned_new_buffer(index, INIT_FORKNUM);
	Assert(BufferGetBlockNumber(metabuf) == LEARNED_METAPAGE_BLKNO);
	metapage = BufferGetPage(metabuf);
	recpage = BufferGetPage(recbuf);
	leafpage = BufferGetPage(leafbuf);
	leaf_block = BufferGetBlockNumber(leafbuf);
	record_block = BufferGetBlockNumber(recbuf);
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
	rmi_train_kinds(&fence_key, 1, 1, learned_get_root_kinds(index),
					&meta->root, &fit);
	learned_write_record(recpage, &fit, &fences,
						 InvalidBlockNumber, InvalidBlockNumber, NULL);
	meta->leaf_head = leaf_block;
	meta->build_leaf_pages = 1;
	meta->pages_per_record = learned_get_pages_per_record(index);
	if (meta->pages_per_record == LEARNED_PAGES_PER_RECORD_AUTO)
		meta->pages_per_record = LEARNED_EMPTY_PAGES_PER_RECORD;
	meta->cache_budget = LEARNED_CACHE_BUDGET((uint64) 3 * BLCKSZ);
	meta->mean_window = 1;
	meta->max_window = 1;
	meta->trained_nrecords = 1;
	learned_meta_set_directory(meta, &record_block, &fence_key, 1);

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
