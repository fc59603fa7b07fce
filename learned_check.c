/*-------------------------------------------------------------------------
 *
 * learned_check.c
 *	  learned_index_check(regclass, heapallindexed bool): verify a learned
 *	  index's structure, as amcheck's bt_index_check does for nbtree.
 *
 * It verifies the invariants README.md numbers ("How it works") that can be
 * read from the pages: the metapage, the leaf chain (order, fences, links,
 * every leaf reached once), the NULL chain, the record lists, the model's
 * error bounds against the real leaves and, on request, that every heap
 * tuple is indexed.  It takes ShareLock on
 * the table and on the index, as amcheck's bt_index_parent_check does, so
 * writers (INSERT, UPDATE, DELETE, VACUUM) wait until it is done and the
 * structure cannot change while it is compared with itself and with the
 * heap; plain reads go on.  On a hot standby, where ShareLock cannot be
 * had, it takes AccessShareLock and checks what replay has made so far.  A
 * broken rule raises an ERROR naming the block and the rule.
 *
 * It holds no buffer lock while it calls into the model cache:
 * learned_cache_locate reads pages itself.
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
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "learned.h"

PG_FUNCTION_INFO_V1(learned_index_check);

/* A (key, TID) pair in messages: "(key,(block,offset))". */
#define FENCE_FMT	"(%lld,(%u,%u))"
#define FENCE_ARGS(f) \
	(long long) (f).key, \
	ItemPointerGetBlockNumberNoCheck(&(f).tid), \
	ItemPointerGetOffsetNumberNoCheck(&(f).tid)

/* What the check remembers of a leaf once its lock is released. */
typedef struct LearnedLeafSummary
{
	BlockNumber blkno;
	uint16		flags;
	BlockNumber owner_record;
	LearnedFence low_fence;
	LearnedFence high_fence;
	int			nentries;
	LearnedFence first_entry;	/* valid if nentries > 0 */
	LearnedFence last_entry;	/* valid if nentries > 0 */
} LearnedLeafSummary;

typedef struct LearnedCheckState
{
	Relation	index;
	Relation	heap;
	BufferAccessStrategy strategy;
	BlockNumber nblocks;
	LearnedMetaPage meta;		/* private copy of the metapage contents */
	Page		metapage;		/* ... and of the whole page */

	/* Heap TIDs can be bounded only for heapam tables. */
	bool		heap_is_heapam;
	BlockNumber heap_nblocks;

	/* Per block of the index. */
	uint16	   *kinds;			/* page kind flag; 0 for a new page */
	int32	   *chain_pos;		/* position in the leaf chain, or -1 */
	bool	   *on_null_chain;

	/* Leaves in chain order. */
	LearnedLeafSummary *leaves;
	uint32		nleaves;

	/* One leaf's entries in order, from learned_leaf_collect. */
	int64	   *page_keys;
	ItemPointerData *page_tids;

	/* Totals of the physical pass, to size the arrays below. */
	uint64		leaf_entries;
	uint64		null_entries;

	/* heapallindexed: every entry in (key, TID) order, and NULL TIDs. */
	bool		heapallindexed;
	Oid			keytype;
	LearnedFence *entries;
	uint64		nentries;
	ItemPointerData *null_tids;
	uint64		nnull_tids;
} LearnedCheckState;

/*
 * Raise the corruption ERROR: "index "name" block N: rule".
 */
static void learned_corrupt(Relation index, BlockNumber blkno,
							const char *fmt,...) pg_attribute_printf(3, 4);

static void
learned_corrupt(Relation index, BlockNumber blkno, const char *fmt,...)
{
	va_list		args;
	char		rule[1024];

	va_start(args, fmt);
	vsnprintf(rule, sizeof(rule), fmt, args);
	va_end(args);

	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" block %u: %s",
					RelationGetRelationName(index), blkno, rule),
			 errhint("Please REINDEX it.")));
}

/* Is this heap TID one an entry may hold? */
static void
learned_check_tid(LearnedCheckState *state, BlockNumber blkno,
				  const char *what, int i, ItemPointer tid)
{
	BlockNumber heapblk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber offset = ItemPointerGetOffsetNumberNoCheck(tid);

	if (heapblk == InvalidBlockNumber || offset == InvalidOffsetNumber)
		learned_corrupt(state->index, blkno,
						"%s %d has the invalid heap TID (%u,%u)",
						what, i, heapblk, offset);

	/*
	 * Other table AMs may use TIDs as logical row numbers, so the heap's
	 * size bounds them only for heapam.  No entry can point past the end:
	 * VACUUM truncates the heap only after removing the entries of the
	 * tuples it cut off, and our ShareLock keeps it out meanwhile.
	 */
	if (state->heap_is_heapam &&
		(heapblk >= state->heap_nblocks || offset > MaxHeapTuplesPerPage))
		learned_corrupt(state->index, blkno,
						"%s %d has the heap TID (%u,%u), outside the table's %u blocks",
						what, i, heapblk, offset, state->heap_nblocks);
}

/* Check a leaf's array bounds; return its entry count. */
static int
learned_check_leaf_layout(LearnedCheckState *state, BlockNumber blkno,
						  Page page)
{
	PageHeader	header = (PageHeader) page;
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	const LearnedLeafFormat *format = LearnedLeafFormatOf(page);
	Size		keys_bytes;
	int			nentries;

	if (!learned_leaf_format_valid(format))
		learned_corrupt(state->index, blkno,
						"leaf format (key %u bytes, block %u bits, offset %u bits) is not one this version writes",
						format->key_bytes, format->block_bits,
						format->offnum_bits);
	if (header->pd_lower < MAXALIGN(SizeOfPageHeaderData) ||
		(header->pd_lower - MAXALIGN(SizeOfPageHeaderData)) % format->key_bytes != 0)
		learned_corrupt(state->index, blkno,
						"leaf pd_lower %u does not end an array of keys",
						header->pd_lower);
	keys_bytes = header->pd_lower - MAXALIGN(SizeOfPageHeaderData);
	nentries = (int) (keys_bytes / format->key_bytes);
	if (nentries > LearnedLeafCapacity(page))
		learned_corrupt(state->index, blkno,
						"leaf holds %d entries, more than the %d that fit",
						nentries, LearnedLeafCapacity(page));

	/*
	 * A leaf's key width need not reach its high fence: a split at a far
	 * key leaves the left page's width at what its entries need
	 * (learned_split_plan), and an insert beyond it widens the leaf.  The
	 * fences must still be in order (learned_check_leaf_chain checks them).
	 */
	if (!(opaque->flags & LEARNED_RIGHTMOST) &&
		opaque->high_fence.key < learned_leaf_base(page))
		learned_corrupt(state->index, blkno,
						"leaf's high fence key " INT64_FORMAT " lies below its base " INT64_FORMAT,
						opaque->high_fence.key, learned_leaf_base(page));
	if (header->pd_upper != header->pd_special -
		learned_leaf_tid_array_size(format, nentries))
		learned_corrupt(state->index, blkno,
						"leaf pd_upper %u does not start an array of %d TIDs ending at pd_special %u",
						header->pd_upper, nentries, header->pd_special);
	if (opaque->nsorted + opaque->nrecent > nentries ||
		opaque->nrecent > LEARNED_LEAF_RECENT_MAX ||
		nentries - opaque->nsorted - opaque->nrecent > LEARNED_LEAF_PENDING_MAX)
		learned_corrupt(state->index, blkno,
						"leaf has %d main and %d recent sorted entries of %d: more than %d recent or %d pending",
						(int) opaque->nsorted, (int) opaque->nrecent, nentries,
						LEARNED_LEAF_RECENT_MAX, LEARNED_LEAF_PENDING_MAX);
	return nentries;
}

/* The same for a NULL page. */
static int
learned_check_nulls_layout(LearnedCheckState *state, BlockNumber blkno,
						   Page page)
{
	PageHeader	header = (PageHeader) page;
	int			ntids;

	if (header->pd_lower < MAXALIGN(SizeOfPageHeaderData) ||
		(header->pd_lower - MAXALIGN(SizeOfPageHeaderData)) % sizeof(ItemPointerData) != 0 ||
		header->pd_lower > header->pd_upper)
		learned_corrupt(state->index, blkno,
						"NULL page pd_lower %u does not end an array of TIDs",
						header->pd_lower);
	ntids = (int) ((header->pd_lower - MAXALIGN(SizeOfPageHeaderData)) /
				   sizeof(ItemPointerData));
	if (ntids > (int) LEARNED_NULLS_CAPACITY)
		learned_corrupt(state->index, blkno,
						"NULL page holds %d TIDs, more than the %d that fit",
						ntids, (int) LEARNED_NULLS_CAPACITY);
	return ntids;
}

/*
 * Physical pass: every block is new (a crash can leave one) or a page of
 * this access method of exactly one kind, the metapage only at block 0.
 * Remember the kinds and count entries to size the heapallindexed arrays.
 */
static void
learned_check_blocks(LearnedCheckState *state)
{
	for (BlockNumber blkno = 0; blkno < state->nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;
		uint16		kind;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(state->index, MAIN_FORKNUM, blkno,
								 RBM_NORMAL, state->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);

		if (PageIsNew(page))
		{
			if (blkno == LEARNED_METAPAGE_BLKNO)
				learned_corrupt(state->index, blkno, "metapage is not initialised");
			state->kinds[blkno] = 0;
			UnlockReleaseBuffer(buf);
			continue;
		}

		/*
		 * A page of this access method gets the layout checks first: they
		 * name the broken rule, where learned_check_page (which refuses
		 * the same pages, for every reader) only says the page is
		 * unexpected.
		 */
		if (PageGetSpecialSize(page) == MAXALIGN(sizeof(LearnedPageOpaqueData)) &&
			LearnedPageGetOpaque(page)->page_id == LEARNED_PAGE_ID)
		{
			kind = LearnedPageGetOpaque(page)->flags & LEARNED_ANY_PAGE;
			if ((kind & (kind - 1)) != 0)
				learned_corrupt(state->index, blkno,
								"page has more than one kind (flags 0x%04X)",
								LearnedPageGetOpaque(page)->flags);
			if (blkno == LEARNED_METAPAGE_BLKNO && kind != LEARNED_PAGE_META)
				learned_corrupt(state->index, blkno, "block 0 is not a metapage");
			if (blkno != LEARNED_METAPAGE_BLKNO && kind == LEARNED_PAGE_META)
				learned_corrupt(state->index, blkno, "a metapage outside block 0");

			if (kind == LEARNED_PAGE_LEAF)
				state->leaf_entries += learned_check_leaf_layout(state, blkno, page);
			else if (kind == LEARNED_PAGE_NULLS)
				state->null_entries += learned_check_nulls_layout(state, blkno, page);
		}
		learned_check_page(state->index, buf, LEARNED_ANY_PAGE);
		kind = LearnedPageGetOpaque(page)->flags & LEARNED_ANY_PAGE;

		state->kinds[blkno] = kind;
		UnlockReleaseBuffer(buf);
	}
}

/*
 * The root's error bounds against the records as they are.  A search for x
 * is routed to the last record whose first fence is at or before it: for x
 * equal to a record's first key that is this record or one before it,
 * depending on the search's mode and the fence's heap TID, so record j
 * receives every x from its first key (minus infinity for record 0) to the
 * next record's first key, both included, and must lie in the root's
 * window at each.  The prediction is monotone, so checking both ends of
 * that range checks every key (the exact-bound argument of rmi_train.c).
 */
static void
learned_check_root(LearnedCheckState *state, const RmiRecord *fits)
{
	const RmiRoot *root = &state->meta->root;
	uint32		nrecords = state->meta->nrecords;

	for (uint32 j = 0; j < nrecords; j++)
	{
		int64		ends[2];

		/* the keys that may be routed to j: [first_key(j), first_key(j + 1)] */
		ends[0] = j > 0 ? fits[j].first_key : PG_INT64_MIN;
		ends[1] = j + 1 < nrecords ? fits[j + 1].first_key : PG_INT64_MAX;
		for (int e = 0; e < 2; e++)
		{
			int64		p = rmi_root_predict(root, ends[e]);

			if ((int64) j < p - Max(root->err_lo, 0) ||
				(int64) j > p + Max(root->err_hi, 0))
				learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
								"root predicts record %lld for key %lld, outside its window [-%d, +%d] of record %u",
								(long long) p, (long long) ends[e],
								root->err_lo, root->err_hi, j);
		}
	}
}

/*
 * Metapage fields that do not need other pages.
 */
static void
learned_check_meta(LearnedCheckState *state)
{
	LearnedMetaPage meta = state->meta;
	Size		directory_end;

	if (meta->fillfactor < LEARNED_MIN_FILLFACTOR || meta->fillfactor > 100)
		learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
						"fillfactor %u is out of range", meta->fillfactor);
	if (meta->root.type != RMI_ROOT_LINEAR && meta->root.type != RMI_ROOT_CUBIC &&
		meta->root.type != RMI_ROOT_SPLINE)
		learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
						"unknown root model type %d", (int) meta->root.type);
	if (meta->root.type == RMI_ROOT_SPLINE)
	{
		if (meta->root.nknots < 2 || meta->root.nknots > RMI_SPLINE_MAX_KNOTS)
			learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
							"spline root has %u knots", meta->root.nknots);
		for (uint32 k = 1; k < meta->root.nknots; k++)
			if (meta->root.knot_key[k] <= meta->root.knot_key[k - 1] ||
				meta->root.knot_pos[k] < meta->root.knot_pos[k - 1])
				learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
								"spline root knot %u is out of order", k);
	}
	if (meta->root.nrecords != meta->nrecords)
		learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
						"root model routes to %u records but the metapage lists %u",
						(uint32) meta->root.nrecords, meta->nrecords);

	/*
	 * Generic WAL and full-page images leave out the hole between pd_lower
	 * and pd_upper: a record directory in it would not survive a crash.
	 */
	directory_end = (char *) &meta->records[meta->nrecords] - (char *) state->metapage;
	if (((PageHeader) state->metapage)->pd_lower < directory_end)
		learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
						"record directory ends at offset %zu, past pd_lower %u, so WAL does not cover it",
						directory_end, ((PageHeader) state->metapage)->pd_lower);

	if (meta->null_tail != InvalidBlockNumber &&
		(meta->null_tail >= state->nblocks ||
		 state->kinds[meta->null_tail] != LEARNED_PAGE_NULLS))
		learned_corrupt(state->index, LEARNED_METAPAGE_BLKNO,
						"null_tail %u is not a NULL page", meta->null_tail);
}

/*
 * The leaf chain, from leaf_head along right links: every page a leaf,
 * a sorted prefix and at most LEARNED_LEAF_PENDING_MAX pending entries that
 * together are strictly increasing in (key, TID) order, within the fences
 * and after every entry of the pages to the left; links
 * and fences agreeing between neighbours, one leftmost page first and one
 * rightmost page last, no cycle, and every leaf of the relation on it.
 */
static void
learned_check_leaf_chain(LearnedCheckState *state)
{
	Relation	index = state->index;
	BlockNumber blkno = state->meta->leaf_head;
	LearnedLeafSummary *prev = NULL;
	LearnedFence prev_entry;
	bool		have_prev_entry = false;

	while (blkno != InvalidBlockNumber)
	{
		BlockNumber from = prev ? prev->blkno : LEARNED_METAPAGE_BLKNO;
		const char *link = prev ? "right link" : "leaf_head";
		Buffer		buf;
		Page		page;
		LearnedPageOpaque opaque;
		LearnedLeafSummary *leaf;
		int			nentries;

		CHECK_FOR_INTERRUPTS();

		if (blkno == LEARNED_METAPAGE_BLKNO || blkno >= state->nblocks)
			learned_corrupt(index, from, "%s points to block %u, outside the index",
							link, blkno);
		if (state->chain_pos[blkno] >= 0)
			learned_corrupt(index, from,
							"%s points to block %u, already on the leaf chain (a cycle)",
							link, blkno);
		if (state->kinds[blkno] != LEARNED_PAGE_LEAF)
			learned_corrupt(index, from, "%s points to block %u, which is not a leaf",
							link, blkno);

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 state->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_LEAF);
		page = BufferGetPage(buf);
		opaque = LearnedPageGetOpaque(page);

		leaf = &state->leaves[state->nleaves];
		leaf->blkno = blkno;
		leaf->flags = opaque->flags;
		leaf->owner_record = opaque->owner_record;
		leaf->low_fence = opaque->low_fence;
		leaf->high_fence = opaque->high_fence;
		leaf->nentries = learned_check_leaf_layout(state, blkno, page);
		state->chain_pos[blkno] = (int32) state->nleaves++;

		/* Links and end markers. */
		if (opaque->left != (prev ? prev->blkno : InvalidBlockNumber))
			learned_corrupt(index, blkno,
							"left link is %u, but the page is reached from %s %u",
							opaque->left, prev ? "block" : "the metapage, block", from);
		if (prev == NULL && !(opaque->flags & LEARNED_LEFTMOST))
			learned_corrupt(index, blkno, "first leaf of the chain is not marked leftmost");
		if (prev != NULL && (opaque->flags & LEARNED_LEFTMOST))
			learned_corrupt(index, blkno,
							"leaf marked leftmost follows block %u on the chain",
							prev->blkno);
		if ((opaque->flags & LEARNED_RIGHTMOST) && opaque->right != InvalidBlockNumber)
			learned_corrupt(index, blkno,
							"leaf marked rightmost has a right link to block %u",
							opaque->right);
		if (!(opaque->flags & LEARNED_RIGHTMOST) && opaque->right == InvalidBlockNumber)
			learned_corrupt(index, blkno,
							"leaf not marked rightmost has no right sibling");

		/* Fences: the low one is the left neighbour's high one. */
		if (prev != NULL &&
			learned_fence_cmp(&prev->high_fence, &leaf->low_fence) != 0)
			learned_corrupt(index, blkno,
							"low fence " FENCE_FMT " differs from the high fence " FENCE_FMT " of left sibling %u",
							FENCE_ARGS(leaf->low_fence),
							FENCE_ARGS(prev->high_fence), prev->blkno);
		if (!(opaque->flags & (LEARNED_LEFTMOST | LEARNED_RIGHTMOST)) &&
			learned_fence_cmp(&leaf->low_fence, &leaf->high_fence) >= 0)
			learned_corrupt(index, blkno,
							"low fence " FENCE_FMT " is not below high fence " FENCE_FMT,
							FENCE_ARGS(leaf->low_fence),
							FENCE_ARGS(leaf->high_fence));

		/*
		 * Entries, sorted part and pending tail merged in (key, TID) order.
		 * A merge keeps the order of each part, so an inversion in the
		 * sorted part shows up as one here.
		 */
		nentries = learned_leaf_collect(page, PG_INT64_MIN, PG_INT64_MAX,
										state->page_keys, state->page_tids);
		if (nentries != leaf->nentries)
			learned_corrupt(index, blkno,
							"leaf holds %d entries but %d lie in the key range",
							leaf->nentries, nentries);
		for (int i = 0; i < leaf->nentries; i++)
		{
			LearnedFence entry;

			entry.key = state->page_keys[i];
			entry.tid = state->page_tids[i];
			learned_check_tid(state, blkno, "entry", i, &entry.tid);

			if (have_prev_entry && learned_fence_cmp(&prev_entry, &entry) >= 0)
				learned_corrupt(index, blkno,
								"entry %d in (key, TID) order " FENCE_FMT " does not follow the entry before it " FENCE_FMT,
								i, FENCE_ARGS(entry), FENCE_ARGS(prev_entry));
			if (!(opaque->flags & LEARNED_LEFTMOST) &&
				learned_fence_cmp(&leaf->low_fence, &entry) > 0)
				learned_corrupt(index, blkno,
								"entry %d " FENCE_FMT " lies below the low fence " FENCE_FMT,
								i, FENCE_ARGS(entry), FENCE_ARGS(leaf->low_fence));
			if (!(opaque->flags & LEARNED_RIGHTMOST) &&
				learned_fence_cmp(&entry, &leaf->high_fence) >= 0)
				learned_corrupt(index, blkno,
								"entry %d " FENCE_FMT " is not below the high fence " FENCE_FMT,
								i, FENCE_ARGS(entry), FENCE_ARGS(leaf->high_fence));

			if (i == 0)
				leaf->first_entry = entry;
			leaf->last_entry = entry;
			prev_entry = entry;
			have_prev_entry = true;

			if (state->heapallindexed)
			{
				/*
				 * The array was sized by the physical pass.  Under ShareLock
				 * the chain holds no more; on a hot standby replay may have
				 * added entries since: make room.
				 */
				if (state->nentries >= state->leaf_entries)
				{
					state->leaf_entries = Max(64, state->leaf_entries * 2);
					state->entries = state->entries ?
						repalloc_huge(state->entries,
									  state->leaf_entries * sizeof(LearnedFence)) :
						palloc_extended(state->leaf_entries * sizeof(LearnedFence),
										MCXT_ALLOC_HUGE);
				}
				state->entries[state->nentries++] = entry;
			}
		}

		blkno = opaque->right;
		UnlockReleaseBuffer(buf);
		prev = leaf;
	}

	if (prev == NULL)
		learned_corrupt(index, LEARNED_METAPAGE_BLKNO, "metapage has no leaf_head");

	/* A leaf never leaves the chain: one off it holds unreachable entries. */
	for (BlockNumber b = 0; b < state->nblocks; b++)
	{
		if (state->kinds[b] == LEARNED_PAGE_LEAF && state->chain_pos[b] < 0)
			learned_corrupt(index, b, "leaf is not on the leaf chain");
	}
}

/* qsort/bsearch comparators. */
static int
learned_check_tid_qsort_cmp(const void *a, const void *b)
{
	return ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

static int
learned_check_fence_qsort_cmp(const void *a, const void *b)
{
	return learned_fence_cmp((const LearnedFence *) a, (const LearnedFence *) b);
}

/*
 * The NULL chain, from null_head along right links: NULL pages, left links
 * pointing back, valid TIDs, no cycle, and every NULL page on it.
 */
static void
learned_check_null_chain(LearnedCheckState *state)
{
	Relation	index = state->index;
	BlockNumber blkno = state->meta->null_head;
	BlockNumber prev = InvalidBlockNumber;

	while (blkno != InvalidBlockNumber)
	{
		BlockNumber from = BlockNumberIsValid(prev) ? prev : LEARNED_METAPAGE_BLKNO;
		const char *link = BlockNumberIsValid(prev) ? "right link" : "null_head";
		Buffer		buf;
		Page		page;
		LearnedPageOpaque opaque;
		ItemPointer tids;
		int			ntids;

		CHECK_FOR_INTERRUPTS();

		if (blkno == LEARNED_METAPAGE_BLKNO || blkno >= state->nblocks)
			learned_corrupt(index, from, "%s points to block %u, outside the index",
							link, blkno);
		if (state->on_null_chain[blkno])
			learned_corrupt(index, from,
							"%s points to block %u, already on the NULL chain (a cycle)",
							link, blkno);
		if (state->kinds[blkno] != LEARNED_PAGE_NULLS)
			learned_corrupt(index, from, "%s points to block %u, which is not a NULL page",
							link, blkno);
		state->on_null_chain[blkno] = true;

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 state->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_NULLS);
		page = BufferGetPage(buf);
		opaque = LearnedPageGetOpaque(page);

		if (opaque->left != prev)
			learned_corrupt(index, blkno,
							"left link is %u, but the page is reached from block %u",
							opaque->left, from);

		ntids = learned_check_nulls_layout(state, blkno, page);
		tids = LearnedNullsTids(page);
		for (int i = 0; i < ntids; i++)
		{
			learned_check_tid(state, blkno, "NULL entry", i, &tids[i]);
			if (state->heapallindexed)
			{
				/* As for the leaf entries: replay may have added some. */
				if (state->nnull_tids >= state->null_entries)
				{
					state->null_entries = Max(64, state->null_entries * 2);
					state->null_tids = state->null_tids ?
						repalloc_huge(state->null_tids,
									  state->null_entries * sizeof(ItemPointerData)) :
						palloc_extended(state->null_entries * sizeof(ItemPointerData),
										MCXT_ALLOC_HUGE);
				}
				state->null_tids[state->nnull_tids++] = tids[i];
			}
		}

		prev = blkno;
		blkno = opaque->right;
		UnlockReleaseBuffer(buf);
	}

	for (BlockNumber b = 0; b < state->nblocks; b++)
	{
		if (state->kinds[b] == LEARNED_PAGE_NULLS && !state->on_null_chain[b])
			learned_corrupt(index, b, "NULL page is not on the NULL chain");
	}
}

/*
 * The fit in force of record j against its list, when no split has entered
 * the list since the fit (the fit covers as many positions as the list
 * holds; lists only grow, and whatever refits sets the count).  A search
 * for x in the record starts at the last listed fence at or before it,
 * which for x equal to fence keys is anywhere from the position before
 * them to the last of them, depending on the search's mode and the fences'
 * heap TIDs: position i is a start for every x from its fence key (minus
 * infinity for the first leaf) to the next position's, both included.  The
 * fit's window must hold i at both ends of that range (the prediction is
 * monotone, so then at every x in it); the last position's upper end is the
 * next record's first key, where the window's clamp to the list holds it.
 * A stale fit (splits since) is only a hint and is not checked.
 */
static void
learned_check_record_fit(LearnedCheckState *state, BlockNumber blkno,
						 uint32 j, const RmiRecord *fit,
						 const int64 *fence_keys, uint32 npages)
{
	if (fit->count != npages)
		return;
	for (uint32 i = 0; i < npages; i++)
	{
		uint32		position = fit->start + i;
		int64		ends[2];

		ends[0] = (j == 0 && i == 0) ? PG_INT64_MIN : fence_keys[i];
		ends[1] = i + 1 < npages ? fence_keys[i + 1] : PG_INT64_MAX;
		for (int e = 0; e < 2; e++)
		{
			uint32		lo;
			uint32		hi;

			rmi_record_window(fit, ends[e], &lo, &hi);
			if (position < lo || position > hi)
				learned_corrupt(state->index, blkno,
								"the fit's window [%u, %u] for key %lld misses list position %u, where a search for that key may start",
								lo - fit->start, hi - fit->start,
								(long long) ends[e], i);
		}
	}
}

/*
 * What record j of a level must be whatever it lists, given the level's
 * records in list order (the metapage's for the top level, else the lists
 * of the level above joined): a model page of that level linked to its
 * neighbours in that order, its list within its capacity and inside the
 * WAL-covered part of the page, both fit slots starting at its first fence
 * key (but record 0's, which stands for minus infinity), and the high fence
 * of record j - 1, if it keeps one, this record's first fence.  *high and
 * *has_high carry record j's high fence to the next call.  fits, if not
 * NULL, receives the fit in force.  The page is share locked by the caller.
 */
static void
learned_check_record_page(LearnedCheckState *state, BlockNumber blkno,
						  Page page, uint32 j, const BlockNumber *records,
						  uint32 nrecords, uint32 level, bool top,
						  RmiRecord *fits, LearnedFence *high, bool *has_high)
{
	Relation	index = state->index;
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	LearnedRecordHeader *header = LearnedRecordGetHeader(page);
	BlockNumber left = j > 0 ? records[j - 1] : InvalidBlockNumber;
	BlockNumber right = j + 1 < nrecords ? records[j + 1] : InvalidBlockNumber;
	Size		list_end;
	LearnedFence first;

	if (learned_record_level(page) != level)
		learned_corrupt(index, blkno, "record %u of level %u has level %u",
						j, level, learned_record_level(page));
	if (opaque->left != left || opaque->right != right)
		learned_corrupt(index, blkno,
						"record %u of level %u links to blocks %u and %u, not to its neighbours %u and %u in %s",
						j, level, opaque->left, opaque->right, left, right,
						top ? "the metapage" : "the lists of the level above");
	if (header->capacity > LEARNED_RECORD_CAPACITY ||
		header->npages > header->capacity || header->npages == 0)
		learned_corrupt(index, blkno,
						"record of level %u lists %u entries with capacity %u (at most %u fit)",
						level, header->npages, header->capacity,
						(uint32) LEARNED_RECORD_CAPACITY);

	/* The list must lie outside the hole that WAL leaves out. */
	list_end = (char *) (LearnedRecordTids(page) + header->npages) - (char *) page;
	if (((PageHeader) page)->pd_lower < list_end)
		learned_corrupt(index, blkno,
						"record list ends at offset %zu, past pd_lower %u, so WAL does not cover it",
						list_end, ((PageHeader) page)->pd_lower);

	first = learned_record_first_fence(page);
	for (int slot = 0; slot < 2; slot++)
		if (j > 0 && first.key != header->fits[slot].first_key)
			learned_corrupt(index, blkno,
							"first listed fence key %lld differs from first_key %lld of fit %d",
							(long long) first.key,
							(long long) header->fits[slot].first_key, slot);
	if (j > 0 && *has_high && learned_fence_cmp(high, &first) != 0)
		learned_corrupt(index, blkno,
						"record %u of level %u starts at fence " FENCE_FMT ", but the record before it keeps " FENCE_FMT " as its high fence",
						j, level, FENCE_ARGS(first), FENCE_ARGS(*high));
	*has_high = learned_record_high_fence(page, high);
	/*
	 * First keys the metapage claims (a count other than nrecords, as a
	 * library from before first keys leaves it after a split, claims none).
	 */
	if (top && LearnedMetaHasFirstKeys(state->meta) &&
		LearnedMetaFirstKeys(state->meta)[j] != first.key)
		learned_corrupt(index, blkno,
						"record %u starts at key %lld, but the metapage keeps %lld as its first key",
						j, (long long) first.key,
						(long long) LearnedMetaFirstKeys(state->meta)[j]);

	if (fits != NULL)
		fits[j] = *LearnedRecordFit(header, state->meta->model_version);
}

/*
 * The records of level 1 in the order given (the metapage's, or the lists
 * of level 2 joined): model pages chained in that order;
 * each list within its capacity, inside the WAL-covered part of the page,
 * strictly increasing by fence; each listed block a leaf of this record
 * whose low fence is the listed one (the first entry of record 0 stands for
 * minus infinity: the leftmost leaf); listed blocks in chain order across
 * all lists; a record's first fence key its fit's first_key; exactly
 * as many leaves on no list as the records count unlisted splits (listed
 * plus unlisted is every leaf); and each fit's window holding every list
 * position a search may start at (learned_check_record_fit).  fits, if not
 * NULL, receives the fits in force, for the root's check.
 */
static void
learned_check_level1(LearnedCheckState *state, const BlockNumber *records,
					 uint32 nrecords, bool top, RmiRecord *fits)
{
	Relation	index = state->index;
	LearnedMetaPage meta = state->meta;
	bool	   *is_record = palloc0(state->nblocks * sizeof(bool));
	int32		last_pos = -1;
	uint64		listed = 0;
	uint64		unlisted_splits = 0;
	LearnedFence high;
	bool		has_high = false;

	for (uint32 j = 0; j < nrecords; j++)
	{
		BlockNumber blkno = records[j];
		Buffer		buf;
		Page		page;
		LearnedRecordHeader *header;
		int64	   *fence_keys;
		ItemPointer fence_tids;
		BlockNumber *blocks;
		bool		have_prev_fence = false;
		LearnedFence prev_fence;

		CHECK_FOR_INTERRUPTS();

		if (blkno == LEARNED_METAPAGE_BLKNO || blkno >= state->nblocks)
			learned_corrupt(index, LEARNED_METAPAGE_BLKNO,
							"record %u is at block %u, outside the index", j, blkno);
		if (state->kinds[blkno] != LEARNED_PAGE_RECORD)
			learned_corrupt(index, LEARNED_METAPAGE_BLKNO,
							"record %u is at block %u, which is not a model page",
							j, blkno);
		if (is_record[blkno])
			learned_corrupt(index, LEARNED_METAPAGE_BLKNO,
							"record %u repeats block %u", j, blkno);
		is_record[blkno] = true;

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 state->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		page = BufferGetPage(buf);
		header = LearnedRecordGetHeader(page);
		learned_check_record_page(state, blkno, page, j, records, nrecords,
								  1, top, fits, &high, &has_high);
		fence_keys = LearnedRecordKeys(page);
		fence_tids = LearnedRecordTids(page);
		blocks = LearnedRecordBlocks(page);

		for (uint32 i = 0; i < header->npages; i++)
		{
			BlockNumber leafblk = blocks[i];
			LearnedFence fence;
			LearnedLeafSummary *leaf;
			int32		pos;

			fence.key = fence_keys[i];
			fence.tid = fence_tids[i];

			if (leafblk >= state->nblocks || state->chain_pos[leafblk] < 0)
				learned_corrupt(index, blkno,
								"list entry %u names block %u, which is not a leaf on the chain",
								i, leafblk);
			pos = state->chain_pos[leafblk];
			leaf = &state->leaves[pos];

			if (j == 0 && i == 0)
			{
				/* A placeholder for minus infinity. */
				if (!(leaf->flags & LEARNED_LEFTMOST))
					learned_corrupt(index, blkno,
									"first list entry of the first record names block %u, not the leftmost leaf",
									leafblk);
			}
			else
			{
				if (leaf->flags & LEARNED_LEFTMOST)
					learned_corrupt(index, blkno,
									"list entry %u names the leftmost leaf %u, which only the first entry of the first record may",
									i, leafblk);
				if (learned_fence_cmp(&fence, &leaf->low_fence) != 0)
					learned_corrupt(index, blkno,
									"list entry %u fence " FENCE_FMT " differs from the low fence " FENCE_FMT " of block %u",
									i, FENCE_ARGS(fence),
									FENCE_ARGS(leaf->low_fence), leafblk);
				if (have_prev_fence && learned_fence_cmp(&prev_fence, &fence) >= 0)
					learned_corrupt(index, blkno,
									"list entry %u fence " FENCE_FMT " does not follow the one before it " FENCE_FMT,
									i, FENCE_ARGS(fence), FENCE_ARGS(prev_fence));
				prev_fence = fence;
				have_prev_fence = true;
			}

			if (pos <= last_pos)
				learned_corrupt(index, blkno,
								"list entry %u names block %u, which is not right of the block listed before it in chain order",
								i, leafblk);
			last_pos = pos;

			/*
			 * The owner is where a split starts looking for the record to
			 * list its new page in: the record that listed the leaf when
			 * it was made, which record splits may since have left behind,
			 * but never to the right.
			 */
			if (leaf->owner_record >= state->nblocks ||
				!is_record[leaf->owner_record])
				learned_corrupt(index, leafblk,
								"leaf is listed by record %u at block %u but names block %u as its owner, which is no record at or left of it",
								j, blkno, leaf->owner_record);
			listed++;
		}

		learned_check_record_fit(state, blkno, j,
								 LearnedRecordFit(header, meta->model_version),
								 fence_keys, header->npages);
		unlisted_splits += header->unlisted_splits;
		UnlockReleaseBuffer(buf);
	}

	if ((uint64) state->nleaves - listed != unlisted_splits)
		learned_corrupt(index, LEARNED_METAPAGE_BLKNO,
						"%llu of %u leaves are on no record's list, but the records count %llu unlisted splits",
						(unsigned long long) (state->nleaves - listed),
						state->nleaves, (unsigned long long) unlisted_splits);

	pfree(is_record);
}

/*
 * The records of one level L >= 2, in list order (the metapage's for the
 * top level, else the lists of level L + 1 joined): model pages of level L
 * chained in that order, each list within its capacity, inside the
 * WAL-covered part of the page and strictly increasing by fence (but for
 * the first record's first entry, minus infinity); each entry
 * a record of level L - 1 whose first fence is the entry's, and the lists
 * together naming every record of level L - 1 once, in chain order
 * (checked when that level is, through its links).  Returns that order.
 */
static BlockNumber *
learned_check_upper_level(LearnedCheckState *state, const BlockNumber *records,
						  uint32 nrecords, uint32 level, bool top,
						  RmiRecord *fits, uint32 *nchildren)
{
	Relation	index = state->index;
	LearnedMetaPage meta = state->meta;
	BlockNumber *children = palloc(Max(nrecords, 1) * LEARNED_RECORD_CAPACITY *
								   sizeof(BlockNumber));
	uint32		nchild = 0;
	LearnedFence high;
	bool		has_high = false;

	for (uint32 j = 0; j < nrecords; j++)
	{
		BlockNumber blkno = records[j];
		Buffer		buf;
		Page		page;
		LearnedRecordHeader *header;
		int64	   *fence_keys;
		ItemPointer fence_tids;
		BlockNumber *blocks;

		CHECK_FOR_INTERRUPTS();
		if (blkno == LEARNED_METAPAGE_BLKNO || blkno >= state->nblocks ||
			state->kinds[blkno] != LEARNED_PAGE_RECORD)
			learned_corrupt(index, LEARNED_METAPAGE_BLKNO,
							"record %u of level %u is at block %u, which is not a model page",
							j, level, blkno);
		for (uint32 k = 0; k < j; k++)
			if (records[k] == blkno)
				learned_corrupt(index, blkno,
								"records %u and %u of level %u are the same block",
								k, j, level);

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 state->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		page = BufferGetPage(buf);
		header = LearnedRecordGetHeader(page);
		learned_check_record_page(state, blkno, page, j, records, nrecords,
								  level, top, fits, &high, &has_high);
		fence_keys = LearnedRecordKeys(page);
		fence_tids = LearnedRecordTids(page);
		blocks = LearnedRecordBlocks(page);

		for (uint32 i = 0; i < header->npages; i++)
		{
			LearnedFence fence;
			LearnedFence child_first;
			Buffer		childbuf;
			Page		childpage;
			BlockNumber childblk = blocks[i];

			fence.key = fence_keys[i];
			fence.tid = fence_tids[i];

			/*
			 * The first entry of a level's first record stands for minus
			 * infinity, as in level 1: it copies the first fence of the
			 * record it names, whose own first entry is that placeholder,
			 * and keys inserted below the build's smallest follow it.
			 */
			if (i > 0 && !(j == 0 && i == 1))
			{
				LearnedFence prev;

				prev.key = fence_keys[i - 1];
				prev.tid = fence_tids[i - 1];
				if (learned_fence_cmp(&prev, &fence) >= 0)
					learned_corrupt(index, blkno,
									"list entry %u fence " FENCE_FMT " does not follow the one before it " FENCE_FMT,
									i, FENCE_ARGS(fence), FENCE_ARGS(prev));
			}
			if (childblk == LEARNED_METAPAGE_BLKNO || childblk >= state->nblocks ||
				state->kinds[childblk] != LEARNED_PAGE_RECORD)
				learned_corrupt(index, blkno,
								"list entry %u names block %u, which is not a model page",
								i, childblk);
			childbuf = ReadBufferExtended(index, MAIN_FORKNUM, childblk,
										  RBM_NORMAL, state->strategy);
			LockBuffer(childbuf, BUFFER_LOCK_SHARE);
			learned_check_page(index, childbuf, LEARNED_PAGE_RECORD);
			childpage = BufferGetPage(childbuf);
			if (learned_record_level(childpage) != level - 1)
				learned_corrupt(index, blkno,
								"list entry %u names block %u of level %u, not %u",
								i, childblk, learned_record_level(childpage),
								level - 1);
			if (LearnedRecordGetHeader(childpage)->npages == 0)
				learned_corrupt(index, childblk, "record lists no pages");
			child_first = learned_record_first_fence(childpage);
			UnlockReleaseBuffer(childbuf);
			if (learned_fence_cmp(&fence, &child_first) != 0)
				learned_corrupt(index, blkno,
								"list entry %u fence " FENCE_FMT " differs from the first fence " FENCE_FMT " of record %u",
								i, FENCE_ARGS(fence), FENCE_ARGS(child_first),
								childblk);
			children[nchild++] = childblk;
		}
		learned_check_record_fit(state, blkno, j,
								 LearnedRecordFit(header, meta->model_version),
								 fence_keys, header->npages);
		UnlockReleaseBuffer(buf);
	}
	*nchildren = nchild;
	return children;
}

/*
 * Every level of records, from the metapage's down to level 1
 * (learned_check_upper_level, learned_check_level1), and the root's window
 * holding every record of the top level a key may be routed to
 * (learned_check_root).
 */
static void
learned_check_records(LearnedCheckState *state)
{
	LearnedMetaPage meta = state->meta;
	uint32		level = LearnedMetaDirectoryLevel(meta);
	RmiRecord  *fits = palloc0(Max(meta->nrecords, 1) * sizeof(RmiRecord));
	BlockNumber *records = meta->records;
	uint32		nrecords = meta->nrecords;
	bool		top = true;

	for (; level > 1; level--)
	{
		uint32		nchildren;
		BlockNumber *children;

		children = learned_check_upper_level(state, records, nrecords, level,
											 top, top ? fits : NULL,
											 &nchildren);
		if (!top)
			pfree(records);
		records = children;
		nrecords = nchildren;
		top = false;
	}
	learned_check_level1(state, records, nrecords, top, top ? fits : NULL);
	if (!top)
		pfree(records);
	learned_check_root(state, fits);
	pfree(fits);
}

/*
 * The chain position where a search for skey belongs: the last leaf whose
 * low fence is <= skey (the first leaf's low fence is minus infinity).
 */
static uint32
learned_check_target(LearnedCheckState *state, const LearnedSearchKey *skey)
{
	uint32		lo = 0;
	uint32		hi = state->nleaves - 1;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo + 1) / 2;
		LearnedFence *low = &state->leaves[mid].low_fence;

		if (learned_search_cmp(skey, low->key, &low->tid) >= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Invariant 2 for one search: the model must start at a leaf on the chain
 * at or left of the one where the search key belongs, so that moving right
 * finds it.  leaf is where the key came from, for the message.
 */
static void
learned_check_one_lookup(LearnedCheckState *state, LearnedLeafSummary *leaf,
						 const LearnedSearchKey *skey, const char *what)
{
	static const char *const mode_names[] = {"first", "last", "exact"};
	LearnedTarget target;
	uint32		belongs;
	int32		start;

	target = learned_cache_locate(state->index, skey);

	if (target.block >= state->nblocks || state->chain_pos[target.block] < 0)
		learned_corrupt(state->index, leaf->blkno,
						"the model starts a search (%s, key %lld) for %s at block %u, which is not a leaf on the chain",
						mode_names[skey->mode], (long long) skey->key, what,
						target.block);

	start = state->chain_pos[target.block];
	belongs = learned_check_target(state, skey);
	if ((uint32) start > belongs)
		learned_corrupt(state->index, leaf->blkno,
						"the model starts a search (%s, key %lld) for %s at block %u with low fence " FENCE_FMT ", right of block %u where the key belongs",
						mode_names[skey->mode], (long long) skey->key, what,
						target.block,
						FENCE_ARGS(state->leaves[start].low_fence),
						state->leaves[belongs].blkno);
}

/*
 * The model's bounds against the real leaves.  For every leaf: a lookup of
 * its low fence, of its first entry exactly, of the first entry with its
 * first key and of the last entry with its last key.  Fences cover keys
 * absent from the data and empty pages; first and last cover the ends of
 * duplicate runs, which forward and backward scans start from.
 */
static void
learned_check_model(LearnedCheckState *state)
{
	for (uint32 p = 0; p < state->nleaves; p++)
	{
		LearnedLeafSummary *leaf = &state->leaves[p];
		LearnedSearchKey skey;

		CHECK_FOR_INTERRUPTS();

		if (!(leaf->flags & LEARNED_LEFTMOST))
		{
			skey.key = leaf->low_fence.key;
			skey.tid = leaf->low_fence.tid;
			skey.mode = LEARNED_SEARCH_EXACT;
			learned_check_one_lookup(state, leaf, &skey, "its low fence");
		}

		if (leaf->nentries == 0)
			continue;

		skey.key = leaf->first_entry.key;
		skey.tid = leaf->first_entry.tid;
		skey.mode = LEARNED_SEARCH_EXACT;
		learned_check_one_lookup(state, leaf, &skey, "its first entry");

		ItemPointerSetInvalid(&skey.tid);
		skey.mode = LEARNED_SEARCH_FIRST;
		learned_check_one_lookup(state, leaf, &skey, "its first key");

		skey.key = leaf->last_entry.key;
		skey.mode = LEARNED_SEARCH_LAST;
		learned_check_one_lookup(state, leaf, &skey, "its last key");
	}
}

/*
 * heapallindexed: called for every heap tuple the index should hold; it
 * must be among the entries (or the NULL TIDs).  Both arrays are sorted.
 */
static void
learned_check_heap_tuple(Relation index, ItemPointer tid, Datum *values,
						 bool *isnull, bool tupleIsAlive, void *arg)
{
	LearnedCheckState *state = (LearnedCheckState *) arg;

	if (isnull[0])
	{
		if (state->nnull_tids == 0 ||
			bsearch(tid, state->null_tids, state->nnull_tids,
					sizeof(ItemPointerData), learned_check_tid_qsort_cmp) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" lacks heap tuple (%u,%u) with a NULL key",
							RelationGetRelationName(index),
							ItemPointerGetBlockNumber(tid),
							ItemPointerGetOffsetNumber(tid))));
	}
	else
	{
		LearnedFence probe;

		probe.key = learned_datum_to_key(values[0], state->keytype);
		probe.tid = *tid;
		if (state->nentries == 0 ||
			bsearch(&probe, state->entries, state->nentries,
					sizeof(LearnedFence), learned_check_fence_qsort_cmp) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" lacks heap tuple (%u,%u) with key %lld",
							RelationGetRelationName(index),
							ItemPointerGetBlockNumber(tid),
							ItemPointerGetOffsetNumber(tid),
							(long long) probe.key)));
	}
}

/*
 * Every tuple a CREATE INDEX would index now must be in the index.  Under
 * our ShareLock the table scan uses SnapshotAny and includes recently dead
 * tuples, as an index build does: VACUUM removes an entry only once its
 * tuple is dead to everyone, so a tuple still visible to anyone has one.
 */
static void
learned_check_heap(LearnedCheckState *state)
{
	IndexInfo  *indexInfo;

	/* The leaves' entries are sorted already (checked); NULL TIDs are not. */
	if (state->nnull_tids > 1)
		qsort(state->null_tids, state->nnull_tids, sizeof(ItemPointerData),
			  learned_check_tid_qsort_cmp);

	indexInfo = BuildIndexInfo(state->index);
	table_index_build_scan(state->heap, state->index, indexInfo,
						   true, false, learned_check_heap_tuple,
						   (void *) state, NULL);
}

/*
 * learned_index_check(regclass, heapallindexed boolean): verify the index,
 * raising an ERROR that names the block and the rule at the first problem.
 */
Datum
learned_index_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	bool		heapallindexed = PG_GETARG_BOOL(1);
	Oid			heapoid;
	Relation	heap = NULL;
	Relation	index;
	MemoryContext checkcxt;
	MemoryContext oldcxt;
	LearnedCheckState *state;

	/*
	 * A hot standby grants no lock stronger than AccessShareLock, and its
	 * only writer is WAL replay.  There the check reads what replay has
	 * made so far: run it while replay is quiet, as a split replayed
	 * between two page reads looks like a broken link.
	 */
	LOCKMODE	lockmode = RecoveryInProgress() ? AccessShareLock : ShareLock;

	/*
	 * Lock the table before the index, as every other path does, so that
	 * we cannot deadlock with them.  The index's table is looked up before
	 * any lock; the lookup is repeated once the locks are held.  ShareLock
	 * on both keeps every writer, VACUUM included, out while we check.
	 */
	heapoid = IndexGetRelation(indexoid, true);
	if (OidIsValid(heapoid))
		heap = table_open(heapoid, lockmode);
	index = learned_open_index(indexoid, lockmode);
	if (heap == NULL || IndexGetRelation(indexoid, false) != heapoid)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("could not open the table of index \"%s\"",
						RelationGetRelationName(index))));
	if (!index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\"",
						RelationGetRelationName(index)),
				 errdetail("Index is not valid.")));

	checkcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "learned_index_check",
									 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(checkcxt);

	state = (LearnedCheckState *) palloc0(sizeof(LearnedCheckState));
	state->index = index;
	state->heap = heap;
	state->strategy = GetAccessStrategy(BAS_BULKREAD);
	state->metapage = (Page) palloc(BLCKSZ);
	learned_read_metapage(index, state->strategy, state->metapage);
	state->meta = LearnedPageGetMeta(state->metapage);
	state->nblocks = RelationGetNumberOfBlocks(index);
	state->heap_is_heapam = (heap->rd_tableam == GetHeapamTableAmRoutine());
	state->heap_nblocks = RelationGetNumberOfBlocks(heap);
	state->heapallindexed = heapallindexed;
	state->keytype = learned_index_keytype(index);

	state->kinds = palloc0(state->nblocks * sizeof(uint16));
	state->chain_pos = palloc(state->nblocks * sizeof(int32));
	for (BlockNumber b = 0; b < state->nblocks; b++)
		state->chain_pos[b] = -1;
	state->on_null_chain = palloc0(state->nblocks * sizeof(bool));
	state->leaves = palloc_extended(state->nblocks * sizeof(LearnedLeafSummary),
									MCXT_ALLOC_HUGE);

	state->page_keys = palloc(LEARNED_LEAF_MAX_CAPACITY * sizeof(int64));
	state->page_tids = palloc(LEARNED_LEAF_MAX_CAPACITY * sizeof(ItemPointerData));

	learned_check_blocks(state);
	learned_check_meta(state);

	if (heapallindexed)
	{
		/* One entry each; may exceed 1 GB on a large index. */
		if (state->leaf_entries > 0)
			state->entries = palloc_extended(state->leaf_entries * sizeof(LearnedFence),
											 MCXT_ALLOC_HUGE);
		if (state->null_entries > 0)
			state->null_tids = palloc_extended(state->null_entries * sizeof(ItemPointerData),
											   MCXT_ALLOC_HUGE);
	}

	learned_check_leaf_chain(state);
	learned_check_null_chain(state);
	learned_check_records(state);

	/* All buffer locks are released: the cache reads pages itself. */
	learned_check_model(state);

	if (heapallindexed)
		learned_check_heap(state);

	FreeAccessStrategy(state->strategy);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(checkcxt);

	relation_close(index, lockmode);
	table_close(heap, lockmode);

	PG_RETURN_VOID();
}
