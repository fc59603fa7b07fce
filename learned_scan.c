/*-------------------------------------------------------------------------
 *
 * learned_scan.c
 *	  Index scans: point, range, "= ANY(array)", IS [NOT] NULL, forward and
 *	  backward, plain, index-only and bitmap.
 *
 * amrescan turns the scan keys into a sorted list of disjoint key intervals
 * (an "= ANY" array gives one interval per element) plus whether NULL
 * entries qualify.  Each interval is found through the model and read a
 * page at a time, as nbtree does: the page is share-locked, its matching
 * entries are copied into scan memory and the lock is released before any
 * entry is returned.  The pin is kept on that page while its entries are
 * returned when the scan returns index tuples (index-only) or its snapshot
 * is not MVCC: VACUUM needs a cleanup lock on the page, so it cannot remove
 * a heap tuple the scan is about to return (README invariant 5).
 *
 * Moving right follows the right link saved with the page: a split after
 * the copy moved only entries already copied, and whatever is inserted
 * later is invisible to the scan's snapshot.  Moving left follows the saved
 * left link and then right links until the page that links to the one just
 * read: leaves are never removed, so that walk always ends.
 *
 * Forward order is the leaf chain, then the NULL chain (NULLs sort last);
 * backward order is the reverse.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "learned.h"

/* A closed interval of keys to return. */
typedef struct LearnedInterval
{
	int64		lo;
	int64		hi;
} LearnedInterval;

/* What part of the index the scan is in. */
typedef enum LearnedScanPhase
{
	LEARNED_SCAN_START,			/* nothing read yet */
	LEARNED_SCAN_KEYS,			/* in interval cur_interval of the leaf chain */
	LEARNED_SCAN_NULLS,			/* in the NULL chain */
	LEARNED_SCAN_DONE
} LearnedScanPhase;

typedef struct LearnedScanOpaqueData
{
	/* From the scan keys (amrescan). */
	bool		want_keys;		/* may non-NULL entries qualify? */
	bool		want_nulls;		/* may NULL entries qualify? */
	int			nintervals;
	LearnedInterval *intervals; /* sorted, disjoint */
	Oid			keytype;

	/* Position. */
	LearnedScanPhase phase;
	ScanDirection direction;
	int			cur_interval;

	/* The entries copied from the current page, in scan order. */
	int64	   *item_keys;
	ItemPointerData *item_tids;
	int			nitems;
	int			next_item;

	/* The current page and where to go from it. */
	BlockNumber cur_block;
	BlockNumber cur_left;
	BlockNumber cur_right;
	bool		more_in_direction;	/* may the next page hold matches? */
	LearnedFence cur_low_fence; /* of the current leaf */
	int64		cur_high_key;
	uint16		cur_flags;
	Buffer		pinned;			/* pin kept per the interlock, or Invalid */
	BlockNumber killed_block;	/* leaf with an entry reported dead, to be
								 * marked when the scan leaves it */
	bool		recovery_checked;	/* index-only scans safe here, checked */

	/* For index-only scans: one tuple rewritten for each entry. */
	IndexTuple	key_itup;
	IndexTuple	null_itup;
	Size		key_data_offset;
	int16		key_len;

	MemoryContext context;		/* holds intervals, reset at each rescan */
} LearnedScanOpaqueData;

typedef LearnedScanOpaqueData *LearnedScanOpaque;

#define LEARNED_MAX_ITEMS	Max(LEARNED_LEAF_MAX_CAPACITY, LEARNED_NULLS_CAPACITY)

IndexScanDesc
learned_beginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	LearnedScanOpaque so = palloc0(sizeof(LearnedScanOpaqueData));

	so->keytype = learned_index_keytype(index);
	so->item_keys = palloc(LEARNED_MAX_ITEMS * sizeof(int64));
	so->item_tids = palloc(LEARNED_MAX_ITEMS * sizeof(ItemPointerData));
	so->pinned = InvalidBuffer;
	so->killed_block = InvalidBlockNumber;
	so->phase = LEARNED_SCAN_DONE;
	so->context = AllocSetContextCreate(CurrentMemoryContext,
										"learned scan keys",
										ALLOCSET_SMALL_SIZES);
	scan->opaque = so;
	return scan;
}

static void
learned_drop_pin(LearnedScanOpaque so)
{
	if (BufferIsValid(so->pinned))
	{
		ReleaseBuffer(so->pinned);
		so->pinned = InvalidBuffer;
	}
}

/* Clamp helpers for turning strict bounds into closed ones. */
/*
 * The executor reported an entry of the current leaf dead to everyone
 * (kill_prior_tuple): once the scan has left the leaf, mark it as holding
 * dead entries (learned_dead.c), so that an insertion that finds it full
 * removes them instead of splitting it.  Called with no lock held.
 */
static void
learned_mark_killed(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	if (so->killed_block != InvalidBlockNumber)
	{
		learned_dead_mark_block(scan->indexRelation, so->killed_block);
		so->killed_block = InvalidBlockNumber;
	}
}

static inline bool
learned_raise_lo(int64 *lo, int64 bound, bool strict)
{
	if (strict)
	{
		if (bound == PG_INT64_MAX)
			return false;
		bound++;
	}
	if (bound > *lo)
		*lo = bound;
	return true;
}

static inline bool
learned_lower_hi(int64 *hi, int64 bound, bool strict)
{
	if (strict)
	{
		if (bound == PG_INT64_MIN)
			return false;
		bound--;
	}
	if (bound < *hi)
		*hi = bound;
	return true;
}

static int
learned_cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The non-NULL elements of an "op ANY(array)" key, converted to keys,
 * sorted and without duplicates.
 */
static int64 *
learned_array_keys(ScanKey key, Oid elemtype, int *count)
{
	ArrayType  *array = DatumGetArrayTypeP(key->sk_argument);
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int64	   *keys;
	int			n = 0;
	int			i;

	get_typlenbyvalalign(ARR_ELEMTYPE(array), &elmlen, &elmbyval, &elmalign);
	deconstruct_array(array, ARR_ELEMTYPE(array), elmlen, elmbyval, elmalign,
					  &elems, &nulls, &nelems);
	keys = palloc(Max(nelems, 1) * sizeof(int64));
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			keys[n++] = learned_datum_to_key(elems[i], elemtype);
	qsort(keys, n, sizeof(int64), learned_cmp_int64);

	/* Drop duplicates. */
	if (n > 1)
	{
		int			kept = 1;

		for (i = 1; i < n; i++)
			if (keys[i] != keys[kept - 1])
				keys[kept++] = keys[i];
		n = kept;
	}
	*count = n;
	return keys;
}

/*
 * Turn the scan keys into intervals.  Comparisons narrow one interval;
 * "= ANY" arrays become points inside it (intersected with each other);
 * "< ANY" and friends reduce to their loosest element.
 */
static void
learned_preprocess_keys(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	int64		lo = PG_INT64_MIN;
	int64		hi = PG_INT64_MAX;
	bool		satisfiable = true;
	bool		null_only = false;
	bool		not_null = false;
	int64	   *points = NULL;
	int			npoints = -1;	/* -1: no "= ANY" key */
	int			i;
	MemoryContext oldcontext = MemoryContextSwitchTo(so->context);

	for (i = 0; i < scan->numberOfKeys && satisfiable; i++)
	{
		ScanKey		key = &scan->keyData[i];
		Oid			argtype = OidIsValid(key->sk_subtype) ? key->sk_subtype : so->keytype;
		int64		value;

		if (key->sk_flags & SK_SEARCHNULL)
		{
			null_only = true;
			continue;
		}
		if (key->sk_flags & SK_SEARCHNOTNULL)
		{
			not_null = true;
			continue;
		}
		if (key->sk_flags & SK_ISNULL)
		{
			/* A comparison with NULL is never true. */
			satisfiable = false;
			continue;
		}
		not_null = true;

		if (key->sk_flags & SK_SEARCHARRAY)
		{
			int			n;
			int64	   *elems = learned_array_keys(key, argtype, &n);

			if (n == 0)
			{
				satisfiable = false;
				continue;
			}
			switch (key->sk_strategy)
			{
				case BTLessStrategyNumber:
					satisfiable = learned_lower_hi(&hi, elems[n - 1], true);
					break;
				case BTLessEqualStrategyNumber:
					satisfiable = learned_lower_hi(&hi, elems[n - 1], false);
					break;
				case BTGreaterEqualStrategyNumber:
					satisfiable = learned_raise_lo(&lo, elems[0], false);
					break;
				case BTGreaterStrategyNumber:
					satisfiable = learned_raise_lo(&lo, elems[0], true);
					break;
				case BTEqualStrategyNumber:
					if (npoints < 0)
					{
						points = elems;
						npoints = n;
					}
					else
					{
						/* Keep the points both arrays have. */
						int			a = 0,
									b = 0,
									kept = 0;

						while (a < npoints && b < n)
						{
							if (points[a] < elems[b])
								a++;
							else if (points[a] > elems[b])
								b++;
							else
							{
								points[kept++] = points[a];
								a++;
								b++;
							}
						}
						npoints = kept;
					}
					break;
				default:
					/* Can't happen: see the switch below. */
					elog(ERROR, "unexpected strategy number %d",
						 key->sk_strategy);
			}
			continue;
		}

		value = learned_datum_to_key(key->sk_argument, argtype);
		switch (key->sk_strategy)
		{
			case BTLessStrategyNumber:
				satisfiable = learned_lower_hi(&hi, value, true);
				break;
			case BTLessEqualStrategyNumber:
				satisfiable = learned_lower_hi(&hi, value, false);
				break;
			case BTEqualStrategyNumber:
				satisfiable = learned_raise_lo(&lo, value, false) &&
					learned_lower_hi(&hi, value, false);
				break;
			case BTGreaterEqualStrategyNumber:
				satisfiable = learned_raise_lo(&lo, value, false);
				break;
			case BTGreaterStrategyNumber:
				satisfiable = learned_raise_lo(&lo, value, true);
				break;
			default:

				/*
				 * Can't happen: amstrategies is 5, so CREATE OPERATOR CLASS
				 * and ALTER OPERATOR FAMILY accept no other number, and
				 * every one of 1..5 is handled above.
				 */
				elog(ERROR, "unexpected strategy number %d", key->sk_strategy);
		}
	}

	if (lo > hi || (null_only && not_null))
		satisfiable = false;

	so->want_nulls = satisfiable && !not_null;
	so->want_keys = satisfiable && !null_only;
	so->nintervals = 0;
	if (so->want_keys)
	{
		if (npoints < 0)
		{
			so->intervals = palloc(sizeof(LearnedInterval));
			so->intervals[0].lo = lo;
			so->intervals[0].hi = hi;
			so->nintervals = 1;
		}
		else
		{
			so->intervals = palloc(Max(npoints, 1) * sizeof(LearnedInterval));
			for (i = 0; i < npoints; i++)
			{
				if (points[i] < lo || points[i] > hi)
					continue;
				so->intervals[so->nintervals].lo = points[i];
				so->intervals[so->nintervals].hi = points[i];
				so->nintervals++;
			}
		}
		if (so->nintervals == 0)
			so->want_keys = false;
	}
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Prepare the tuples an index-only scan returns, once per scan: they live
 * beside the scan state, not in the context every rescan resets (a nested
 * loop rescans once per outer row).
 */
static void
learned_prepare_itups(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	TupleDesc	desc = RelationGetDescr(scan->indexRelation);
	Datum		value = learned_key_to_datum(0, so->keytype);
	bool		isnull = false;
	MemoryContext oldcontext;

	if (so->key_itup != NULL)
		return;
	oldcontext = MemoryContextSwitchTo(GetMemoryChunkContext(so));

	so->key_itup = index_form_tuple(desc, &value, &isnull);
	so->key_data_offset = IndexInfoFindDataOffset(so->key_itup->t_info);
	so->key_len = TupleDescAttr(desc, 0)->attlen;
	isnull = true;
	so->null_itup = index_form_tuple(desc, &value, &isnull);
	MemoryContextSwitchTo(oldcontext);
}

void
learned_rescan(IndexScanDesc scan, ScanKey keys, int nkeys,
			   ScanKey orderbys, int norderbys)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	learned_mark_killed(scan);
	learned_drop_pin(so);
	MemoryContextReset(so->context);

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));

	learned_preprocess_keys(scan);
	if (scan->xs_want_itup)
	{
		/*
		 * An index-only scan planned on a hot standby while removals were
		 * replayed under a cleanup lock must not run once they are not
		 * (learned_vacuum.c clears the flag under a lock that cancels the
		 * scans already running, and invalidates cached plans; this is the
		 * last line).  Once per scan: the lock keeps the flag while we run.
		 */
		if (!so->recovery_checked && RecoveryInProgress() &&
			!learned_standby_ios_safe(scan->indexRelation))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("index-only scan of learned index \"%s\" is not safe during recovery",
							RelationGetRelationName(scan->indexRelation)),
					 errdetail("Removals from this index are replayed without waiting for index-only scans."),
					 errhint("Plan the query again, or add learned_am to shared_preload_libraries on the primary and on this server.")));
		so->recovery_checked = true;
		learned_prepare_itups(scan);
		scan->xs_itupdesc = RelationGetDescr(scan->indexRelation);
	}
	so->phase = LEARNED_SCAN_START;
	so->nitems = so->next_item = 0;
}

void
learned_endscan(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	learned_mark_killed(scan);
	learned_drop_pin(so);
	MemoryContextDelete(so->context);
	pfree(so->item_keys);
	pfree(so->item_tids);
	if (so->key_itup != NULL)
	{
		pfree(so->key_itup);
		pfree(so->null_itup);
	}
	pfree(so);
	scan->opaque = NULL;
}

/*
 * Must the scan keep its pin on the page whose entries it is returning?
 * Yes for index-only scans and non-MVCC snapshots (see the file header).
 */
static bool
learned_needs_pin(IndexScanDesc scan)
{
	return scan->xs_want_itup || !IsMVCCSnapshot(scan->xs_snapshot);
}

/*
 * Read a page of the chain under a share lock and remember where to go
 * from it.  Returns the pinned and locked buffer.
 */
static Buffer
learned_read_page(IndexScanDesc scan, BlockNumber block, uint16 kind)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	Buffer		buf;
	LearnedPageOpaque opaque;

	learned_mark_killed(scan);	/* leaving the leaf it names */
	buf = ReadBuffer(index, block);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, kind);
	opaque = LearnedPageGetOpaque(BufferGetPage(buf));
	so->cur_block = block;
	so->cur_left = opaque->left;
	so->cur_right = opaque->right;
	return buf;
}

/* Release the lock on the page just copied; keep the pin if needed. */
static void
learned_done_with_page(IndexScanDesc scan, Buffer buf)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	LockBuffer(buf, BUFFER_LOCK_UNLOCK);
	learned_drop_pin(so);
	if (learned_needs_pin(scan))
		so->pinned = buf;
	else
		ReleaseBuffer(buf);
}

/*
 * The page left of the one just read (so->cur_block): start at the saved
 * left link and move right until the page that links to it, since splits
 * may have put new pages in between.
 */
static Buffer
learned_read_left_page(IndexScanDesc scan, uint16 kind)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	BlockNumber target = so->cur_block;
	BlockNumber block = so->cur_left;

	for (;;)
	{
		Buffer		buf = learned_read_page(scan, block, kind);

		if (so->cur_right == target)
			return buf;
		if (so->cur_right == InvalidBlockNumber)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\": the chain from block %u does not lead back to block %u",
							RelationGetRelationName(scan->indexRelation),
							block, target),
					 errhint("Please REINDEX it.")));
		block = so->cur_right;
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * May the next leaf in scan direction hold entries of the current interval?
 * Right: if its keys (at least the high fence's) can still be <= hi.  Left:
 * if its keys (at most the low fence's, and below it when the fence's TID
 * is minus infinity) can still be >= lo.
 */
static void
learned_set_more_in_direction(LearnedScanOpaque so)
{
	const LearnedInterval *interval = &so->intervals[so->cur_interval];

	if (ScanDirectionIsForward(so->direction))
		so->more_in_direction = !(so->cur_flags & LEARNED_RIGHTMOST) &&
			so->cur_high_key <= interval->hi;
	else
		so->more_in_direction = !(so->cur_flags & LEARNED_LEFTMOST) &&
			(so->cur_low_fence.key > interval->lo ||
			 (so->cur_low_fence.key == interval->lo &&
			  !LearnedFenceTidIsMinusInfinity(&so->cur_low_fence.tid)));
}

/* Put the copied entries in descending order for a backward scan. */
static void
learned_reverse_items(LearnedScanOpaque so)
{
	int			i = 0;
	int			j = so->nitems - 1;

	for (; i < j; i++, j--)
	{
		int64		key = so->item_keys[i];
		ItemPointerData tid = so->item_tids[i];

		so->item_keys[i] = so->item_keys[j];
		so->item_tids[i] = so->item_tids[j];
		so->item_keys[j] = key;
		so->item_tids[j] = tid;
	}
}

/*
 * Copy the entries of the locked leaf in buf that fall in interval, in scan
 * direction, and note whether the next page in that direction may hold more.
 */
static void
learned_copy_leaf(IndexScanDesc scan, Buffer buf, const LearnedInterval *interval)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Page		page = BufferGetPage(buf);
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);

	so->nitems = learned_leaf_collect(page, interval->lo, interval->hi,
									  so->item_keys, so->item_tids);
	so->next_item = 0;
	if (ScanDirectionIsBackward(so->direction))
		learned_reverse_items(so);
	so->cur_low_fence = opaque->low_fence;
	so->cur_high_key = opaque->high_fence.key;
	so->cur_flags = opaque->flags;
	learned_set_more_in_direction(so);
}

/* Copy a NULL page's TIDs, in scan direction. */
static void
learned_copy_nulls(IndexScanDesc scan, Buffer buf)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Page		page = BufferGetPage(buf);
	int			n = LearnedNullsCount(page);
	int			i;

	so->nitems = n;
	so->next_item = 0;
	for (i = 0; i < n; i++)
		so->item_tids[ScanDirectionIsForward(so->direction) ? i : n - 1 - i] =
			LearnedNullsTids(page)[i];
	so->more_in_direction = ScanDirectionIsForward(so->direction) ?
		so->cur_right != InvalidBlockNumber :
		so->cur_left != InvalidBlockNumber;
}

/*
 * One search of the index: a lookup through the model that positions the
 * scan on a leaf, or the start of the NULL chain.  Counted where nbtree
 * counts each descent (_bt_first): in the statistics (idx_scan) and, from
 * PostgreSQL 18 on, in EXPLAIN ANALYZE's "Index Searches".
 */
static inline void
learned_count_search(IndexScanDesc scan)
{
	pgstat_count_index_scan(scan->indexRelation);
#if PG_VERSION_NUM >= 180000
	if (scan->instrument)
		scan->instrument->nsearches++;
#endif
}

/*
 * Start interval cur_interval: find its first page in scan direction
 * through the model, moving right past splits the cache does not know.
 */
static void
learned_start_interval(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	const LearnedInterval *interval = &so->intervals[so->cur_interval];
	LearnedSearchKey skey;
	LearnedTarget target;
	Buffer		buf;
	bool		moved_right = false;
	int			moves = 0;

	if (ScanDirectionIsForward(so->direction))
	{
		skey.key = interval->lo;
		skey.mode = LEARNED_SEARCH_FIRST;
	}
	else
	{
		skey.key = interval->hi;
		skey.mode = LEARNED_SEARCH_LAST;
	}
	ItemPointerSetInvalid(&skey.tid);

	learned_count_search(scan);
	target = learned_cache_locate(index, &skey);
	buf = learned_read_page(scan, target.block, LEARNED_PAGE_LEAF);
	while (learned_search_beyond_page(&skey, BufferGetPage(buf)))
	{
		BlockNumber right = so->cur_right;

		UnlockReleaseBuffer(buf);
		if (++moves == LEARNED_MOVES_BEFORE_REFRESH)
		{
			/* Many splits since the cache read this record: reread it. */
			learned_cache_refresh_record(index, target.record);
			target = learned_cache_locate(index, &skey);
			right = target.block;
		}
		buf = learned_read_page(scan, right, LEARNED_PAGE_LEAF);
		moved_right = true;
	}
	learned_copy_leaf(scan, buf, interval);
	learned_done_with_page(scan, buf);

	if (moved_right)
		learned_cache_refresh_record(index, target.record);
}

/* Start the NULL chain at its first page in scan direction. */
static bool
learned_start_nulls(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	Buffer		metabuf;
	BlockNumber block;
	Buffer		buf;

	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_SHARE);
	learned_check_page(index, metabuf, LEARNED_PAGE_META);
	block = ScanDirectionIsForward(so->direction) ?
		LearnedPageGetMeta(BufferGetPage(metabuf))->null_head :
		LearnedPageGetMeta(BufferGetPage(metabuf))->null_tail;
	UnlockReleaseBuffer(metabuf);
	if (block == InvalidBlockNumber)
		return false;

	learned_count_search(scan);
	buf = learned_read_page(scan, block, LEARNED_PAGE_NULLS);
	if (ScanDirectionIsBackward(so->direction))
	{
		/* The tail in the metapage is a hint: go to the true end. */
		while (so->cur_right != InvalidBlockNumber)
		{
			BlockNumber right = so->cur_right;

			UnlockReleaseBuffer(buf);
			buf = learned_read_page(scan, right, LEARNED_PAGE_NULLS);
		}
	}
	learned_copy_nulls(scan, buf);
	learned_done_with_page(scan, buf);
	return true;
}

/* Read the next page of the current chain in scan direction. */
static void
learned_step_page(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	uint16		kind = so->phase == LEARNED_SCAN_NULLS ?
		LEARNED_PAGE_NULLS : LEARNED_PAGE_LEAF;
	Buffer		buf;

	if (ScanDirectionIsForward(so->direction))
		buf = learned_read_page(scan, so->cur_right, kind);
	else
		buf = learned_read_left_page(scan, kind);

	if (so->phase == LEARNED_SCAN_NULLS)
		learned_copy_nulls(scan, buf);
	else
		learned_copy_leaf(scan, buf, &so->intervals[so->cur_interval]);
	learned_done_with_page(scan, buf);
}

/*
 * Advance to the next batch of entries: the next page of this interval or
 * chain, the next interval, or the other chain.  Returns false at the end.
 */
static bool
learned_next_batch(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	bool		forward = ScanDirectionIsForward(so->direction);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();

		switch (so->phase)
		{
			case LEARNED_SCAN_START:
				if (forward ? so->want_keys : so->want_nulls)
				{
					if (forward)
					{
						so->phase = LEARNED_SCAN_KEYS;
						so->cur_interval = 0;
						learned_start_interval(scan);
					}
					else
					{
						so->phase = LEARNED_SCAN_NULLS;
						if (!learned_start_nulls(scan))
						{
							so->phase = LEARNED_SCAN_KEYS;
							so->cur_interval = -1;	/* none started yet */
							so->nitems = 0;
							so->more_in_direction = false;
						}
					}
				}
				else
				{
					/*
					 * Nothing to read in the first chain: let the key phase
					 * find no interval left and move on.
					 */
					so->phase = LEARNED_SCAN_KEYS;
					so->cur_interval = forward ? so->nintervals : -1;
					so->nitems = 0;
					so->more_in_direction = false;
				}
				break;

			case LEARNED_SCAN_KEYS:
				if (so->next_item < so->nitems)
					return true;
				if (so->cur_interval >= 0 &&
					so->cur_interval < so->nintervals &&
					so->more_in_direction)
				{
					learned_step_page(scan);
					break;
				}
				/* Next interval in scan direction, if any. */
				if (forward)
				{
					if (so->want_keys && so->cur_interval + 1 < so->nintervals)
					{
						so->cur_interval++;
						learned_start_interval(scan);
						break;
					}
					learned_drop_pin(so);
					so->phase = LEARNED_SCAN_NULLS;
					if (!so->want_nulls || !learned_start_nulls(scan))
						so->phase = LEARNED_SCAN_DONE;
				}
				else
				{
					int			next = so->cur_interval < 0 ?
						so->nintervals - 1 : so->cur_interval - 1;

					if (so->want_keys && next >= 0)
					{
						so->cur_interval = next;
						learned_start_interval(scan);
						break;
					}
					so->phase = LEARNED_SCAN_DONE;
				}
				break;

			case LEARNED_SCAN_NULLS:
				if (so->next_item < so->nitems)
					return true;
				if (so->more_in_direction)
				{
					learned_step_page(scan);
					break;
				}
				learned_drop_pin(so);
				if (forward)
					so->phase = LEARNED_SCAN_DONE;
				else
				{
					so->phase = LEARNED_SCAN_KEYS;
					so->cur_interval = -1;
					so->nitems = 0;
					so->more_in_direction = false;
				}
				break;

			case LEARNED_SCAN_DONE:
				learned_mark_killed(scan);
				learned_drop_pin(so);
				return false;
		}
	}
}

/*
 * A scroll cursor turned around: continue from the entry returned last, in
 * the other direction.  The batch in hand is reversed, and the next entry
 * is the one before the last returned.  A scan that ran off the end starts
 * afresh from that end.
 */
static void
learned_change_direction(IndexScanDesc scan, ScanDirection dir)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	so->direction = dir;
	if (so->phase == LEARNED_SCAN_DONE)
	{
		learned_drop_pin(so);
		so->phase = LEARNED_SCAN_START;
		so->nitems = so->next_item = 0;
		return;
	}

	learned_reverse_items(so);
	so->next_item = so->nitems - so->next_item + 1;
	if (so->phase == LEARNED_SCAN_NULLS)
		so->more_in_direction = ScanDirectionIsForward(dir) ?
			so->cur_right != InvalidBlockNumber :
			so->cur_left != InvalidBlockNumber;
	else
	{
		Assert(so->phase == LEARNED_SCAN_KEYS);
		Assert(so->cur_interval >= 0 && so->cur_interval < so->nintervals);
		learned_set_more_in_direction(so);
	}
}

bool
learned_gettuple(IndexScanDesc scan, ScanDirection dir)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	int			i;

	/* The entry returned last is dead to everyone: note its leaf. */
	if (scan->kill_prior_tuple && so->phase == LEARNED_SCAN_KEYS &&
		so->next_item > 0)
		so->killed_block = so->cur_block;

	if (so->phase == LEARNED_SCAN_START)
		so->direction = dir;
	else if (dir != so->direction)
		learned_change_direction(scan, dir);

	/* Most calls take the next entry of the page in hand. */
	if (!(so->next_item < so->nitems &&
		  (so->phase == LEARNED_SCAN_KEYS || so->phase == LEARNED_SCAN_NULLS)) &&
		!learned_next_batch(scan))
		return false;

	i = so->next_item++;
	scan->xs_heaptid = so->item_tids[i];
	scan->xs_recheck = false;
	if (scan->xs_want_itup)
	{
		IndexTuple	itup;

		if (so->phase == LEARNED_SCAN_NULLS)
			itup = so->null_itup;
		else
		{
			Datum		value = learned_key_to_datum(so->item_keys[i], so->keytype);

			itup = so->key_itup;
			/* By-value fixed-length types: store the value in place. */
			store_att_byval((char *) itup + so->key_data_offset, value,
							so->key_len);
		}
		itup->t_tid = so->item_tids[i];
		scan->xs_itup = itup;
	}
	return true;
}

int64
learned_getbitmap(IndexScanDesc scan, TIDBitmap *tbm)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	int64		ntids = 0;

	so->direction = ForwardScanDirection;
	while (learned_next_batch(scan))
	{
		tbm_add_tuples(tbm, so->item_tids + so->next_item,
					   so->nitems - so->next_item, false);
		ntids += so->nitems - so->next_item;
		so->next_item = so->nitems;
	}
	return ntids;
}
