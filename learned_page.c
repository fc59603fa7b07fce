/*-------------------------------------------------------------------------
 *
 * learned_page.c
 *	  Page layout helpers shared by build, insert, scan, vacuum and check:
 *	  page initialisation, fence and entry comparisons, in-page searches,
 *	  relation extension, and the mapping of column types to int64 keys.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "learned.h"

/* Initialise an empty page of the given kind. */
void
learned_init_page(Page page, uint16 flags)
{
	LearnedPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(LearnedPageOpaqueData));
	opaque = LearnedPageGetOpaque(page);
	memset(opaque, 0, sizeof(LearnedPageOpaqueData));
	ItemPointerSetInvalid(&opaque->low_fence.tid);
	ItemPointerSetInvalid(&opaque->high_fence.tid);
	opaque->left = InvalidBlockNumber;
	opaque->right = InvalidBlockNumber;
	opaque->owner_record = InvalidBlockNumber;
	opaque->flags = flags;
	opaque->page_id = LEARNED_PAGE_ID;
}

/* Initialise a metapage describing an index with no records yet. */
void
learned_init_metapage(Page page, int fillfactor)
{
	LearnedMetaPage meta;

	learned_init_page(page, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(page);
	memset(meta, 0, offsetof(LearnedMetaPageData, records));
	meta->magic = LEARNED_MAGIC;
	meta->version = LEARNED_VERSION;
	meta->generation = 1;
	meta->fillfactor = fillfactor;
	meta->leaf_head = InvalidBlockNumber;
	meta->null_head = InvalidBlockNumber;
	meta->null_tail = InvalidBlockNumber;

	/* The record directory is data too: keep it out of the page's hole. */
	((PageHeader) page)->pd_lower =
		(char *) &meta->records[LEARNED_MAX_RECORDS] - (char *) page;
}

/* Order of two fences: by key, then by heap TID. */
int
learned_fence_cmp(const LearnedFence *a, const LearnedFence *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return ItemPointerCompare((ItemPointer) &a->tid, (ItemPointer) &b->tid);
}

/*
 * Compare a search key with an entry or fence (key, tid).  FIRST sorts
 * before every entry with the same key (and equals a fence whose TID is
 * minus infinity), LAST after every one.
 */
int
learned_search_cmp(const LearnedSearchKey *skey, int64 key, ItemPointer tid)
{
	if (skey->key != key)
		return skey->key < key ? -1 : 1;
	switch (skey->mode)
	{
		case LEARNED_SEARCH_FIRST:
			return LearnedFenceTidIsMinusInfinity(tid) ? 0 : -1;
		case LEARNED_SEARCH_LAST:
			return 1;
		case LEARNED_SEARCH_EXACT:
			return ItemPointerCompare((ItemPointer) &skey->tid, tid);
	}
	return 0;					/* keep compiler quiet */
}

/*
 * Does the search key lie at or beyond the page's high fence, so that the
 * search must move right (Lehman-Yao)?
 */
bool
learned_search_beyond_page(const LearnedSearchKey *skey, Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);

	if (opaque->flags & LEARNED_RIGHTMOST)
		return false;
	return learned_search_cmp(skey, opaque->high_fence.key,
							  &opaque->high_fence.tid) >= 0;
}

/*
 * A narrow leaf's search key as an offset: the offset of key itself when
 * it lies in the page's range; below it, -1; above it, LEARNED_NARROW_SPAN.
 */
static inline int64
learned_leaf_key_offset(Page page, int64 key)
{
	int64		low = LearnedPageGetOpaque(page)->low_fence.key;

	if (key < low)
		return -1;
	if ((uint64) key - (uint64) low >= LEARNED_NARROW_SPAN)
		return (int64) LEARNED_NARROW_SPAN;
	return (int64) ((uint64) key - (uint64) low);
}

/*
 * Is sorted entry i before the search's answer: key(i) < key, or with
 * after_key key(i) <= key?  target is the key's offset on a narrow leaf.
 */
static inline bool
learned_leaf_entry_before(Page page, bool narrow, int i, int64 key,
						  int64 target, bool after_key)
{
	if (narrow)
	{
		int64		offset = LearnedLeafNarrowKeys(page)[i];

		return after_key ? offset <= target : offset < target;
	}
	return after_key ? LearnedLeafWideKeys(page)[i] <= key :
		LearnedLeafWideKeys(page)[i] < key;
}

/*
 * Where among the n sorted entries the key should be if keys were spread
 * evenly between the page's fences (or, at either end of the chain, its
 * first and last keys).  Only a starting point: the search is exact.
 */
static int
learned_leaf_guess(Page page, int64 key, int n)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int64		lo_key;
	int64		hi_key;
	double		fraction;

	lo_key = (opaque->flags & LEARNED_LEFTMOST) ? learned_leaf_key(page, 0) :
		opaque->low_fence.key;
	hi_key = (opaque->flags & LEARNED_RIGHTMOST) ? learned_leaf_key(page, n - 1) :
		opaque->high_fence.key;
	if (key <= lo_key)
		return 0;
	if (key >= hi_key)
		return n - 1;
	fraction = (double) ((uint64) key - (uint64) lo_key) /
		(double) ((uint64) hi_key - (uint64) lo_key);
	return Min(n - 1, (int) (fraction * n));
}

/*
 * Index of the first sorted entry whose key is >= key (after_key false) or
 * > key (after_key true); nsorted if none.  Pending entries are not
 * searched here.
 *
 * A lookup costs memory latency more than comparisons, so instead of a
 * plain binary search over the page (about ten cache lines), the search
 * starts where the key would be if keys were spread evenly between the
 * fences and gallops outwards from there (one or two cache lines when they
 * are), then binary-searches the bracket it found.  However wrong the
 * guess, the result is exact, in at most about twice the steps of a binary
 * search.  A caller that knows a better start (the end of a range starts
 * at its beginning) passes it as start; -1 means guess.
 */
static int
learned_leaf_search(Page page, int64 key, bool after_key, int start)
{
	int			n = LearnedPageGetOpaque(page)->nsorted;
	bool		narrow = LearnedLeafIsNarrow(page);
	int64		target = narrow ? learned_leaf_key_offset(page, key) : 0;
	int			guess;
	int			lo;
	int			hi;
	int			step;

	if (n == 0)
		return 0;
	guess = start >= 0 ? Min(start, n - 1) : learned_leaf_guess(page, key, n);
	if (learned_leaf_entry_before(page, narrow, guess, key, target, after_key))
	{
		/* The answer lies right of the guess: gallop right. */
		lo = guess + 1;
		for (step = 1;; step <<= 1)
		{
			int			probe = guess + step;

			if (probe >= n)
			{
				hi = n;
				break;
			}
			if (!learned_leaf_entry_before(page, narrow, probe, key, target,
										   after_key))
			{
				hi = probe;
				break;
			}
			lo = probe + 1;
		}
	}
	else
	{
		/* The answer is the guess or lies left of it: gallop left. */
		hi = guess;
		for (step = 1;; step <<= 1)
		{
			int			probe = guess - step;

			if (probe < 0)
			{
				lo = 0;
				break;
			}
			if (learned_leaf_entry_before(page, narrow, probe, key, target,
										  after_key))
			{
				lo = probe + 1;
				break;
			}
			hi = probe;
		}
	}

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (learned_leaf_entry_before(page, narrow, mid, key, target, after_key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first sorted entry whose key is >= key (nsorted if none). */
int
learned_leaf_first_at_or_after(Page page, int64 key)
{
	return learned_leaf_search(page, key, false, -1);
}

/* Index of the first sorted entry whose key is > key (nsorted if none). */
int
learned_leaf_first_after(Page page, int64 key)
{
	return learned_leaf_search(page, key, true, -1);
}

/*
 * Can a leaf with this low fence and flags, whose keys are at most
 * high_key (its high fence's key, or for the rightmost page its largest
 * key), store its keys narrow?
 */
bool
learned_leaf_range_is_narrow(const LearnedFence *low, uint16 flags,
							 int64 high_key)
{
	if (flags & LEARNED_LEFTMOST)
		return false;
	return high_key >= low->key &&
		(uint64) high_key - (uint64) low->key < LEARNED_NARROW_SPAN;
}

/* Can the leaf store key?  Only a narrow rightmost leaf may refuse one. */
bool
learned_leaf_fits(Page page, int64 key)
{
	int64		offset;

	if (!LearnedLeafIsNarrow(page))
		return true;
	offset = learned_leaf_key_offset(page, key);
	return offset >= 0 && offset < (int64) LEARNED_NARROW_SPAN;
}

/*
 * Set the number of entries on a leaf: the hole lies between the arrays.
 * The caller keeps nsorted right.
 */
void
learned_leaf_set_count(Page page, int n)
{
	PageHeader	header = (PageHeader) page;

	Assert(n >= 0 && n <= LearnedLeafCapacity(page));
	header->pd_lower = MAXALIGN(SizeOfPageHeaderData) + n * LearnedLeafKeyWidth(page);
	header->pd_upper = header->pd_special - n * sizeof(ItemPointerData);
}

/* Append (key, tid) as a pending entry of a leaf that has room for it. */
void
learned_leaf_append(Page page, int64 key, ItemPointer tid)
{
	int			n = LearnedLeafCount(page);

	Assert(n < LearnedLeafCapacity(page) && learned_leaf_fits(page, key));
	learned_leaf_set_count(page, n + 1);
	learned_leaf_set_key(page, n, key);
	*LearnedLeafTid(page, n) = *tid;
}

/*
 * Turn a narrow leaf wide in place, its entries in the same positions; the
 * caller has checked that they fit a wide page.  A narrow rightmost leaf
 * that meets a key beyond its range turns wide this way while it can,
 * rather than split and leave a sparsely filled page behind.
 */
void
learned_leaf_widen(Page page)
{
	int			n = LearnedLeafCount(page);
	int64		keys[LEARNED_WIDE_CAPACITY];
	int			i;

	Assert(LearnedLeafIsNarrow(page) && n <= (int) LEARNED_WIDE_CAPACITY);
	for (i = 0; i < n; i++)
		keys[i] = learned_leaf_key(page, i);
	LearnedPageGetOpaque(page)->flags &= ~LEARNED_NARROW_KEYS;
	learned_leaf_set_count(page, n);
	for (i = 0; i < n; i++)
		learned_leaf_set_key(page, i, keys[i]);
}

/* Copy entry from to position to on the same leaf, as stored. */
static inline void
learned_leaf_move(Page page, int to, int from)
{
	memcpy(LearnedLeafKeyPointer(page, to), LearnedLeafKeyPointer(page, from),
		   LearnedLeafKeyWidth(page));
	*LearnedLeafTid(page, to) = *LearnedLeafTid(page, from);
}

/* (key, tid) order of two entries. */
static inline int
learned_entry_cmp(int64 key1, ItemPointer tid1, int64 key2, ItemPointer tid2)
{
	if (key1 != key2)
		return key1 < key2 ? -1 : 1;
	return ItemPointerCompare(tid1, tid2);
}

/* Sort a few entries by (key, tid): insertion sort, n is small. */
static void
learned_sort_entries(int64 *keys, ItemPointerData *tids, int n)
{
	int			i;

	for (i = 1; i < n; i++)
	{
		int64		key = keys[i];
		ItemPointerData tid = tids[i];
		int			j = i;

		while (j > 0 && learned_entry_cmp(keys[j - 1], &tids[j - 1], key, &tid) > 0)
		{
			keys[j] = keys[j - 1];
			tids[j] = tids[j - 1];
			j--;
		}
		keys[j] = key;
		tids[j] = tid;
	}
}

/*
 * Merge the pending entries into the sorted ones.  A merge from the back
 * moves only the sorted entries that the pending ones go before, so an
 * append of ascending keys changes almost nothing.
 */
void
learned_leaf_merge_pending(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			nsorted = opaque->nsorted;
	int			npending = n - nsorted;
	int64		pending_keys[LEARNED_LEAF_PENDING_MAX + 1];
	ItemPointerData pending_tids[LEARNED_LEAF_PENDING_MAX + 1];
	int			i;
	int			j;
	int			k;

	if (npending == 0)
		return;
	Assert(npending <= LEARNED_LEAF_PENDING_MAX + 1);

	for (i = 0; i < npending; i++)
	{
		pending_keys[i] = learned_leaf_key(page, nsorted + i);
		pending_tids[i] = *LearnedLeafTid(page, nsorted + i);
	}
	learned_sort_entries(pending_keys, pending_tids, npending);

	i = nsorted - 1;			/* last sorted entry not yet placed */
	j = npending - 1;			/* last pending entry not yet placed */
	for (k = n - 1; j >= 0; k--)
	{
		if (i >= 0 && learned_entry_cmp(learned_leaf_key(page, i),
										LearnedLeafTid(page, i),
										pending_keys[j], &pending_tids[j]) > 0)
		{
			learned_leaf_move(page, k, i);
			i--;
		}
		else
		{
			learned_leaf_set_key(page, k, pending_keys[j]);
			*LearnedLeafTid(page, k) = pending_tids[j];
			j--;
		}
	}
	opaque->nsorted = n;
}

/*
 * Remove the entries marked dead, keeping the order of the rest; returns
 * how many are left.
 */
int
learned_leaf_remove(Page page, const bool *dead)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			kept = 0;
	int			kept_sorted = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (dead[i])
			continue;
		if (kept != i)
			learned_leaf_move(page, kept, i);
		kept++;
		if (i < opaque->nsorted)
			kept_sorted++;
	}
	learned_leaf_set_count(page, kept);
	opaque->nsorted = kept_sorted;
	return kept;
}

/*
 * Copy the entries whose key lies in [lo, hi] into keys/tids in (key, tid)
 * order; returns how many.  The arrays need room for a page's entries.
 */
int
learned_leaf_collect(Page page, int64 lo, int64 hi, int64 *keys,
					 ItemPointer tids)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			first = learned_leaf_first_at_or_after(page, lo);
	int			end = learned_leaf_search(page, hi, true, first);
	int64		pending_keys[LEARNED_LEAF_PENDING_MAX];
	ItemPointerData pending_tids[LEARNED_LEAF_PENDING_MAX];
	int			npending = 0;
	int			count = 0;
	int			i;
	int			j;

	if (n - opaque->nsorted > LEARNED_LEAF_PENDING_MAX)
		elog(ERROR, "leaf page has %d pending entries, more than %d",
			 n - opaque->nsorted, LEARNED_LEAF_PENDING_MAX);

	for (i = opaque->nsorted; i < n; i++)
	{
		int64		key = learned_leaf_key(page, i);

		if (key >= lo && key <= hi)
		{
			pending_keys[npending] = key;
			pending_tids[npending] = *LearnedLeafTid(page, i);
			npending++;
		}
	}

	if (npending == 0)
	{
		for (i = first; i < end; i++)
		{
			keys[count] = learned_leaf_key(page, i);
			tids[count] = *LearnedLeafTid(page, i);
			count++;
		}
		return count;
	}

	learned_sort_entries(pending_keys, pending_tids, npending);
	i = first;
	j = 0;
	while (i < end || j < npending)
	{
		if (j >= npending ||
			(i < end && learned_entry_cmp(learned_leaf_key(page, i),
										  LearnedLeafTid(page, i),
										  pending_keys[j], &pending_tids[j]) < 0))
		{
			keys[count] = learned_leaf_key(page, i);
			tids[count] = *LearnedLeafTid(page, i);
			i++;
		}
		else
		{
			keys[count] = pending_keys[j];
			tids[count] = pending_tids[j];
			j++;
		}
		count++;
	}
	return count;
}

/* Set the number of TIDs on a NULL page. */
void
learned_nulls_set_count(Page page, int n)
{
	PageHeader	header = (PageHeader) page;

	Assert(n >= 0 && n <= LEARNED_NULLS_CAPACITY);
	header->pd_lower = MAXALIGN(SizeOfPageHeaderData) + n * sizeof(ItemPointerData);
}

/*
 * Add a page at the end of the relation and return it pinned and
 * exclusively locked.  Pages are never freed (a leaf never leaves the
 * chain), so there is no free space map to consult.
 */
Buffer
learned_new_buffer(Relation index, ForkNumber fork)
{
	Buffer		buf;

#if PG_VERSION_NUM >= 160000
	buf = ExtendBufferedRel(BMR_REL(index), fork, NULL, EB_LOCK_FIRST);
#else
	bool		needLock = !RELATION_IS_LOCAL(index);

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
#endif
	return buf;
}

/*
 * Complain unless the locked page is an initialised page of this access
 * method of one of the given kinds.
 */
void
learned_check_page(Relation index, Buffer buf, uint16 kind)
{
	Page		page = BufferGetPage(buf);

	if (PageIsNew(page) ||
		PageGetSpecialSize(page) != MAXALIGN(sizeof(LearnedPageOpaqueData)) ||
		LearnedPageGetOpaque(page)->page_id != LEARNED_PAGE_ID ||
		(LearnedPageGetOpaque(page)->flags & kind) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains an unexpected page at block %u",
						RelationGetRelationName(index),
						BufferGetBlockNumber(buf)),
				 errhint("Please REINDEX it.")));
}

int
learned_get_fillfactor(Relation index)
{
	LearnedOptions *options = (LearnedOptions *) index->rd_options;

	return options ? options->fillfactor : LEARNED_DEFAULT_FILLFACTOR;
}

/* The root kinds the model may choose from: all, unless root_model pins one. */
uint32
learned_get_root_kinds(Relation index)
{
	LearnedOptions *options = (LearnedOptions *) index->rd_options;

	if (options == NULL || options->root_model == LEARNED_ROOT_AUTO)
		return RMI_ROOT_KINDS_ALL;
	return 1u << options->root_model;
}

uint32
learned_get_pages_per_record(Relation index)
{
	LearnedOptions *options = (LearnedOptions *) index->rd_options;

	return options ? options->pages_per_record : LEARNED_DEFAULT_PAGES_PER_RECORD;
}

/* The types an index column may have; each maps to int64 in order. */
bool
learned_type_supported(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

/* Map a value of a supported type to the int64 key, preserving order. */
int64
learned_datum_to_key(Datum value, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return (int64) DatumGetInt16(value);
		case INT4OID:
		case DATEOID:
			return (int64) DatumGetInt32(value);
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return DatumGetInt64(value);
		default:
			elog(ERROR, "learned: unsupported key type %u", typid);
	}
	return 0;					/* keep compiler quiet */
}

/* The inverse of learned_datum_to_key, for index-only scans. */
Datum
learned_key_to_datum(int64 key, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return Int16GetDatum((int16) key);
		case INT4OID:
		case DATEOID:
			return Int32GetDatum((int32) key);
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return Int64GetDatum(key);
		default:
			elog(ERROR, "learned: unsupported key type %u", typid);
	}
	return (Datum) 0;			/* keep compiler quiet */
}

/* Type of the indexed column. */
Oid
learned_index_keytype(Relation index)
{
	return TupleDescAttr(RelationGetDescr(index), 0)->atttypid;
}
