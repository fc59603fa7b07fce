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
 * Where the scan goes next is a position (learned.h): the next page of the
 * current chain, or the next interval or chain to find.  Each step seizes
 * the position, reads one page, releases the position after that page and
 * copies the page's entries (learned_advance).  A serial scan keeps the
 * position in its own memory; a parallel scan's participants share one
 * (learned_parallel_scan.c), so the same steps hand each page to exactly one of
 * them.
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

typedef struct LearnedScanOpaqueData
{
	/* From the scan keys (amrescan). */
	bool		want_keys;		/* may non-NULL entries qualify? */
	bool		want_nulls;		/* may NULL entries qualify? */
	int			nintervals;
	LearnedInterval *intervals; /* sorted, disjoint */
	Oid			keytype;

	/*
	 * Where a serial scan goes next (learned.h); a parallel scan keeps its
	 * position in shared memory instead (learned_parallel_scan.c).
	 */
	LearnedScanPosition position;
	ScanDirection direction;

	/*
	 * The page whose entries are in hand: the chain it is in (phase: KEYS or
	 * NULLS; START before the first page, DONE after the last), its
	 * interval, and what the next position in either direction depends on.
	 */
	LearnedScanPhase phase;
	int			cur_interval;
	BlockNumber cur_block;
	BlockNumber cur_left;
	BlockNumber cur_right;
	LearnedFence cur_low_fence; /* of the current leaf */
	int64		cur_high_key;
	uint16		cur_flags;
	Buffer		pinned;			/* pin kept per the interlock, or Invalid */
	BlockNumber killed_block;	/* leaf with an entry reported dead, to be
								 * marked when the scan leaves it */
	bool		recovery_checked;	/* index-only scans safe here, checked */

	/* The entries copied from the current page, in scan order. */
	int64	   *item_keys;
	ItemPointerData *item_tids;
	int			nitems;
	int			next_item;

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
	so->position.phase = LEARNED_SCAN_DONE;
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

/* Clamp helpers for turning strict bounds into closed ones. */
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
	so->position.phase = LEARNED_SCAN_START;
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
 * Read a page of the chain under a share lock and remember what the next
 * position depends on: its links and, for a leaf, its fences.  Returns the
 * pinned and locked buffer.
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
	so->cur_low_fence = opaque->low_fence;
	so->cur_high_key = opaque->high_fence.key;
	so->cur_flags = opaque->flags;
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
 * The page left of target, whose left link was block when target was read:
 * start at block and move right until the page that links to target,
 * since splits may have put new pages in between.
 */
static Buffer
learned_read_left_page(IndexScanDesc scan, BlockNumber block,
					   BlockNumber target, uint16 kind)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

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

/* Copy the entries of the locked leaf in buf that fall in interval. */
static void
learned_copy_leaf(IndexScanDesc scan, Buffer buf, const LearnedInterval *interval)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	so->nitems = learned_leaf_collect(BufferGetPage(buf),
									  interval->lo, interval->hi,
									  so->item_keys, so->item_tids);
	so->next_item = 0;
	if (ScanDirectionIsBackward(so->direction))
		learned_reverse_items(so);
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
}

/*
 * The first position of the chain that follows (phase, interval) in scan
 * direction; phase LEARNED_SCAN_START means "before everything".  Forward
 * the intervals come in ascending order, then the NULL chain; backward the
 * reverse.
 */
static LearnedScanPosition
learned_next_chain(LearnedScanOpaque so, LearnedScanPhase phase, int interval)
{
	LearnedScanPosition next;
	int			next_interval;

	next.phase = LEARNED_SCAN_DONE;
	next.interval = 0;
	next.block = InvalidBlockNumber;
	next.from_block = InvalidBlockNumber;

	if (ScanDirectionIsForward(so->direction))
	{
		if (phase == LEARNED_SCAN_NULLS)
			return next;
		next_interval = phase == LEARNED_SCAN_START ? 0 : interval + 1;
		if (next_interval < so->nintervals)
		{
			next.phase = LEARNED_SCAN_KEYS;
			next.interval = next_interval;
		}
		else if (so->want_nulls)
			next.phase = LEARNED_SCAN_NULLS;
	}
	else
	{
		if (phase == LEARNED_SCAN_START && so->want_nulls)
		{
			next.phase = LEARNED_SCAN_NULLS;
			return next;
		}
		next_interval = phase == LEARNED_SCAN_KEYS ?
			interval - 1 : so->nintervals - 1;
		if (next_interval >= 0)
		{
			next.phase = LEARNED_SCAN_KEYS;
			next.interval = next_interval;
		}
	}
	return next;
}

/*
 * The position after the page just read (so->cur_*), in scan direction: its
 * sibling, while that may hold entries of the same interval or chain, or
 * else the next chain.  A right sibling may hold entries of the interval if
 * its keys (at least the high fence's) can still be <= hi; a left sibling
 * if its keys (at most the low fence's, and below it when the fence's TID
 * is minus infinity) can still be >= lo.
 */
static LearnedScanPosition
learned_position_after_page(LearnedScanOpaque so)
{
	bool		forward = ScanDirectionIsForward(so->direction);
	bool		more;
	LearnedScanPosition next;

	if (so->phase == LEARNED_SCAN_NULLS)
		more = BlockNumberIsValid(forward ? so->cur_right : so->cur_left);
	else
	{
		const LearnedInterval *interval = &so->intervals[so->cur_interval];

		Assert(so->phase == LEARNED_SCAN_KEYS);
		if (forward)
			more = !(so->cur_flags & LEARNED_RIGHTMOST) &&
				so->cur_high_key <= interval->hi;
		else
			more = !(so->cur_flags & LEARNED_LEFTMOST) &&
				(so->cur_low_fence.key > interval->lo ||
				 (so->cur_low_fence.key == interval->lo &&
				  !LearnedFenceTidIsMinusInfinity(&so->cur_low_fence.tid)));
	}
	if (!more)
		return learned_next_chain(so, so->phase, so->cur_interval);

	next.phase = so->phase;
	next.interval = so->cur_interval;
	next.block = forward ? so->cur_right : so->cur_left;
	next.from_block = so->cur_block;
	return next;
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
 * The first page of an interval in scan direction, found through the
 * model, moving right past splits the cache does not know.  Returns it
 * locked; *target is where the model pointed, *moved_right whether the
 * record should be refreshed (once no page is locked).
 */
static Buffer
learned_start_interval(IndexScanDesc scan, const LearnedInterval *interval,
					   LearnedTarget *target, bool *moved_right)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	LearnedSearchKey skey;
	Buffer		buf;
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
	*moved_right = false;
	*target = learned_cache_locate(index, &skey);
	buf = learned_read_page(scan, target->block, LEARNED_PAGE_LEAF);
	while (learned_search_beyond_page(&skey, BufferGetPage(buf)))
	{
		BlockNumber right = so->cur_right;

		UnlockReleaseBuffer(buf);
		if (++moves == LEARNED_MOVES_BEFORE_REFRESH)
		{
			/* Many splits since the cache read this record: reread it. */
			learned_cache_refresh(index, target);
			*target = learned_cache_locate(index, &skey);
			right = target->block;
		}
		buf = learned_read_page(scan, right, LEARNED_PAGE_LEAF);
		*moved_right = true;
	}
	return buf;
}

/*
 * The first page of the NULL chain in scan direction, locked, or
 * InvalidBuffer when there is no NULL entry.
 */
static Buffer
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
		return InvalidBuffer;

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
	return buf;
}

/*
 * Take the scan's position (a parallel scan's may be held by another
 * participant: wait for it).  False when the scan is done.
 */
static bool
learned_seize(IndexScanDesc scan, LearnedScanPosition *position)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	if (scan->parallel_scan != NULL)
		return learned_parallel_seize(scan, position);
	*position = so->position;
	return position->phase != LEARNED_SCAN_DONE;
}

/* Publish the position after the page just read, and give it up. */
static void
learned_release(IndexScanDesc scan, const LearnedScanPosition *next)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	if (scan->parallel_scan != NULL)
		learned_parallel_release(scan, next);
	else
		so->position = *next;
}

/*
 * Advance the scan from position, seized: read the page it names (finding
 * it through the model or the metapage if it names none), release the
 * position after that page, then copy the page's matching entries, still
 * under its lock.  The link published and the entries copied come from one
 * look at the page, so no entry is skipped or copied twice, whichever
 * participant reads the next page (README, "Parallel scans").  A position
 * that names no page to read (the start, an empty NULL chain) is released
 * at the next chain, with no entries in hand.
 */
static void
learned_advance(IndexScanDesc scan, const LearnedScanPosition *position)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	LearnedScanPosition next;
	LearnedTarget target;
	bool		moved_right = false;
	Buffer		buf;

	so->nitems = so->next_item = 0;
	if (position->phase == LEARNED_SCAN_START)
	{
		next = learned_next_chain(so, LEARNED_SCAN_START, 0);
		learned_release(scan, &next);
		return;
	}

	if (BlockNumberIsValid(position->block))
	{
		uint16		kind = position->phase == LEARNED_SCAN_NULLS ?
			LEARNED_PAGE_NULLS : LEARNED_PAGE_LEAF;

		if (ScanDirectionIsForward(so->direction))
			buf = learned_read_page(scan, position->block, kind);
		else
			buf = learned_read_left_page(scan, position->block,
										 position->from_block, kind);
	}
	else if (position->phase == LEARNED_SCAN_KEYS)
		buf = learned_start_interval(scan, &so->intervals[position->interval],
									 &target, &moved_right);
	else
	{
		Assert(position->phase == LEARNED_SCAN_NULLS);
		buf = learned_start_nulls(scan);
		if (!BufferIsValid(buf))
		{
			next = learned_next_chain(so, LEARNED_SCAN_NULLS, 0);
			learned_release(scan, &next);
			return;
		}
	}

	so->phase = position->phase;
	so->cur_interval = position->interval;
	next = learned_position_after_page(so);
	learned_release(scan, &next);

	if (so->phase == LEARNED_SCAN_NULLS)
		learned_copy_nulls(scan, buf);
	else
		learned_copy_leaf(scan, buf, &so->intervals[so->cur_interval]);
	learned_done_with_page(scan, buf);

	if (moved_right)
		learned_cache_refresh(scan->indexRelation, &target);
}

/*
 * Make sure there are entries in hand: advance the scan a page at a time
 * until a page yields some.  Returns false at the end.
 */
static bool
learned_next_batch(IndexScanDesc scan)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;
	LearnedScanPosition position;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();

		if (so->next_item < so->nitems)
			return true;

		/* No entry of the pinned page is left to return. */
		learned_drop_pin(so);
		if (!learned_seize(scan, &position))
		{
			learned_mark_killed(scan);
			so->phase = LEARNED_SCAN_DONE;
			so->nitems = so->next_item = 0;
			return false;
		}
		learned_advance(scan, &position);
	}
}

/*
 * A scroll cursor turned around: continue from the entry returned last, in
 * the other direction.  The batch in hand is reversed, the next entry is
 * the one before the last returned, and the next page is the current
 * page's sibling in the new direction (or the next chain).  A scan that
 * ran off the end starts afresh from that end.  Parallel scans never turn
 * (no scroll cursor runs in parallel).
 */
static void
learned_change_direction(IndexScanDesc scan, ScanDirection dir)
{
	LearnedScanOpaque so = (LearnedScanOpaque) scan->opaque;

	if (scan->parallel_scan != NULL)
		elog(ERROR, "a parallel scan of a learned index cannot change direction");

	so->direction = dir;
	if (so->phase == LEARNED_SCAN_DONE)
	{
		learned_drop_pin(so);
		so->phase = LEARNED_SCAN_START;
		so->position.phase = LEARNED_SCAN_START;
		so->nitems = so->next_item = 0;
		return;
	}

	Assert(so->phase == LEARNED_SCAN_KEYS || so->phase == LEARNED_SCAN_NULLS);
	learned_reverse_items(so);
	so->next_item = so->nitems - so->next_item + 1;
	so->position = learned_position_after_page(so);
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
