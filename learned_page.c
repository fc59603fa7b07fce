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

#include "access/relation.h"
#include "access/reloptions.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type_d.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
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
	if (flags & LEARNED_PAGE_LEAF)
		learned_leaf_format_init(&opaque->format);
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
	/* VACUUM will log its removals for a cleanup-lock redo (learned_xlog.c). */
	if (learned_rmgr_registered)
		meta->wal_flags = LEARNED_WAL_CLEANUP_REDO;

	/* The record directory is data too: keep it out of the page's hole. */
	((PageHeader) page)->pd_lower =
		(char *) &meta->records[LEARNED_MAX_RECORDS] - (char *) page;
}

/*
 * Set the metapage's directory to n records (their blocks and first keys,
 * in key order), keeping the keys while they fit (learned.h,
 * LEARNED_KEYED_RECORDS; learned_keyed_capacity).  The caller logs the
 * page.
 */
void
learned_meta_set_directory(LearnedMetaPage meta, const BlockNumber *blocks,
						   const int64 *first_keys, uint32 n)
{
	Assert(n >= 1 && n <= LEARNED_MAX_RECORDS);
	/* The keys' space, if unused, holds blocks: drop the keys first. */
	meta->first_keys = 0;
	memcpy(meta->records, blocks, n * sizeof(BlockNumber));
	meta->nrecords = n;
	if (n <= learned_keyed_capacity())
	{
		memcpy(LearnedMetaFirstKeys(meta), first_keys, n * sizeof(int64));
		meta->first_keys = n;
	}
}

/*
 * Add a record to the metapage's directory after the one at position: a
 * record split's new right half, starting at first_key.  Its first key is
 * kept if every record's still fits; otherwise the keys are dropped (they
 * return when a level grows or the index is rebuilt).
 */
void
learned_meta_add_record(LearnedMetaPage meta, uint32 position,
						BlockNumber block, int64 first_key)
{
	bool		keyed = LearnedMetaHasFirstKeys(meta);

	Assert(position < meta->nrecords && meta->nrecords < LEARNED_MAX_RECORDS);
	meta->first_keys = 0;
	memmove(&meta->records[position + 2], &meta->records[position + 1],
			(meta->nrecords - position - 1) * sizeof(BlockNumber));
	meta->records[position + 1] = block;
	meta->nrecords++;
	if (keyed && meta->nrecords <= learned_keyed_capacity())
	{
		int64	   *keys = LearnedMetaFirstKeys(meta);

		memmove(&keys[position + 2], &keys[position + 1],
				(meta->nrecords - position - 2) * sizeof(int64));
		keys[position + 1] = first_key;
		meta->first_keys = meta->nrecords;
	}
}

/* Order of two fences: by key, then by heap TID. */
int
learned_fence_cmp(const LearnedFence *a, const LearnedFence *b)
{
	return learned_entry_cmp(a->key, &a->tid, b->key, &b->tid);
}

/*
 * Compare a search key with an entry or fence (key, tid).  EXACT is
 * learned_entry_cmp's order; among equal keys FIRST sorts before every
 * entry (and equals a fence whose TID is minus infinity), LAST after every
 * one.
 */
int
learned_search_cmp(const LearnedSearchKey *skey, int64 key, ItemPointer tid)
{
	if (skey->mode == LEARNED_SEARCH_EXACT)
		return learned_entry_cmp(skey->key, &skey->tid, key, tid);
	if (skey->key != key)
		return skey->key < key ? -1 : 1;
	if (skey->mode == LEARNED_SEARCH_FIRST)
		return LearnedFenceTidIsMinusInfinity(tid) ? 0 : -1;
	return 1;
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
 * Is sorted entry i before the search's answer: key(i) < key, or with
 * after_key key(i) <= key?  target is the key's offset from the page's
 * base, which the caller has checked the page's key width can hold.
 */
static inline bool
learned_leaf_entry_before(Page page, int key_bytes, int i, uint64 target,
						  bool after_key)
{
	uint64		offset = learned_load_packed((char *) PageGetContents(page) +
											 (Size) i * key_bytes, key_bytes);

	return after_key ? offset <= target : offset < target;
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
	int			key_bytes = LearnedLeafKeyBytes(page);
	int64		base = learned_leaf_base(page);
	uint64		target;
	int			guess;
	int			lo;
	int			hi;
	int			step;

	/* Keys outside what the page's width holds: before or after them all. */
	if (n == 0 || key < base)
		return 0;
	target = (uint64) key - (uint64) base;
	if (target > learned_max_packed(key_bytes))
		return n;
	guess = start >= 0 ? Min(start, n - 1) : learned_leaf_guess(page, key, n);
	if (learned_leaf_entry_before(page, key_bytes, guess, target, after_key))
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
			if (!learned_leaf_entry_before(page, key_bytes, probe, target,
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
			if (learned_leaf_entry_before(page, key_bytes, probe, target,
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

		if (learned_leaf_entry_before(page, key_bytes, mid, target, after_key))
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
 * Can the leaf store (key, tid) in its format?  The key must lie at or
 * above the page's base (a search never brings a smaller key here).
 */
bool
learned_leaf_fits(Page page, int64 key, ItemPointer tid)
{
	const LearnedLeafFormat *format = LearnedLeafFormatOf(page);
	int64		base = learned_leaf_base(page);

	Assert(key >= base);
	return (uint64) key - (uint64) base <= learned_max_packed(format->key_bytes) &&
		ItemPointerGetBlockNumberNoCheck(tid) <= learned_max_bits(format->block_bits) &&
		ItemPointerGetOffsetNumberNoCheck(tid) <= learned_max_bits(format->offnum_bits);
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
	header->pd_lower = MAXALIGN(SizeOfPageHeaderData) + n * LearnedLeafKeyBytes(page);
	header->pd_upper = header->pd_special -
		learned_leaf_tid_array_size(LearnedLeafFormatOf(page), n);
}

/*
 * Write n sorted entries to an empty leaf (fences and flags set) in the
 * given format, which holds them.
 */
void
learned_leaf_write(Page page, const LearnedLeafFormat *format,
				   const int64 *keys, const ItemPointerData *tids, int n)
{
	*LearnedLeafFormatOf(page) = *format;
	learned_leaf_set_count(page, n);
	for (int i = 0; i < n; i++)
	{
		learned_leaf_set_key(page, i, keys[i]);
		learned_leaf_set_tid(page, i, (ItemPointer) &tids[i]);
	}
	LearnedPageGetOpaque(page)->nsorted = n;
	LearnedPageGetOpaque(page)->nrecent = 0;
}

/* Append (key, tid) as a pending entry of a leaf that has room for it. */
void
learned_leaf_append(Page page, int64 key, ItemPointer tid)
{
	int			n = LearnedLeafCount(page);

	Assert(n < LearnedLeafCapacity(page) && learned_leaf_fits(page, key, tid));
	learned_leaf_set_count(page, n + 1);
	learned_leaf_set_key(page, n, key);
	learned_leaf_set_tid(page, n, tid);
}

/*
 * Rewrite a leaf's entries in place, in the same positions, in a format
 * that holds all of them and at least as many entries; the caller has
 * checked that they fit.  A leaf meeting a key or TID its format cannot
 * hold widens this way while it can, rather than split and leave two
 * sparsely filled pages behind.
 */
void
learned_leaf_reformat(Page page, const LearnedLeafFormat *format)
{
	int			n = LearnedLeafCount(page);
	int64	   *keys = palloc(n * sizeof(int64));
	ItemPointerData *tids = palloc(n * sizeof(ItemPointerData));
	int			i;

	Assert(n <= learned_leaf_format_capacity(format));
	for (i = 0; i < n; i++)
	{
		keys[i] = learned_leaf_key(page, i);
		tids[i] = learned_leaf_tid(page, i);
	}
	*LearnedLeafFormatOf(page) = *format;
	learned_leaf_set_count(page, n);
	for (i = 0; i < n; i++)
	{
		learned_leaf_set_key(page, i, keys[i]);
		learned_leaf_set_tid(page, i, &tids[i]);
	}
	pfree(keys);
	pfree(tids);
}

/* Copy entry from to position to on the same leaf, as stored. */
static inline void
learned_leaf_move(Page page, int to, int from)
{
	ItemPointerData tid = learned_leaf_tid(page, from);

	memmove(LearnedLeafKeyPointer(page, to), LearnedLeafKeyPointer(page, from),
			LearnedLeafKeyBytes(page));
	learned_leaf_set_tid(page, to, &tid);
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
 * Decode sorted entries [first, end) into keys/tids: the inner loop of
 * every scan, so the format is read once and not per entry.
 */
static void
learned_leaf_decode(Page page, int first, int end, int64 *keys,
					ItemPointer tids)
{
	const LearnedLeafFormat *format = LearnedLeafFormatOf(page);
	int			key_bytes = format->key_bytes;
	int			tid_bits = format->block_bits + format->offnum_bits;
	uint64		tid_mask = learned_max_bits(tid_bits);
	uint64		base = (uint64) learned_leaf_base(page);
	const char *key_ptr = LearnedLeafKeyPointer(page, first);
	uint64		bit = (uint64) first * tid_bits;

	for (int i = 0; i < end - first; i++)
	{
		uint64		word = learned_load_tid_word(learned_tid_word_pointer(page, bit));

		keys[i] = (int64) (base + learned_load_packed(key_ptr, key_bytes));
		tids[i] = learned_tid_unpack(format, (word >> (bit & 7)) & tid_mask);
		key_ptr += key_bytes;
		bit += tid_bits;
	}
}

/*
 * Merge m sorted entries (keys, tids) into the sorted run of run_len
 * entries at run_start, whose next m positions they fill: the entries that
 * were there are copies in the arrays already.  Merging from the back moves
 * only the run's entries that go after the first new one, so an append of
 * ascending keys changes almost nothing (generic WAL logs what moved).
 */
static void
learned_leaf_merge_into_run(Page page, int run_start, int run_len,
							const int64 *keys, const ItemPointerData *tids,
							int m)
{
	int			i = run_start + run_len - 1;	/* last run entry not placed */
	int			j = m - 1;		/* last new entry not placed */

	for (int k = run_start + run_len + m - 1; j >= 0; k--)
	{
		bool		run_entry_goes_last = false;

		if (i >= run_start)
		{
			ItemPointerData tid_i = learned_leaf_tid(page, i);

			run_entry_goes_last = learned_entry_cmp(learned_leaf_key(page, i), &tid_i,
													keys[j], &tids[j]) > 0;
		}
		if (run_entry_goes_last)
		{
			learned_leaf_move(page, k, i);
			i--;
		}
		else
		{
			learned_leaf_set_key(page, k, keys[j]);
			learned_leaf_set_tid(page, k, (ItemPointer) &tids[j]);
			j--;
		}
	}
}

/* Merge two sorted arrays of entries into out (room for na + nb). */
static void
learned_merge_arrays(const int64 *akeys, const ItemPointerData *atids, int na,
					 const int64 *bkeys, const ItemPointerData *btids, int nb,
					 int64 *okeys, ItemPointerData *otids)
{
	int			i = 0;
	int			j = 0;

	while (i < na || j < nb)
	{
		if (j >= nb ||
			(i < na && learned_entry_cmp(akeys[i], &atids[i],
										 bkeys[j], &btids[j]) <= 0))
		{
			*okeys++ = akeys[i];
			*otids++ = atids[i++];
		}
		else
		{
			*okeys++ = bkeys[j];
			*otids++ = btids[j++];
		}
	}
}

/*
 * The pending entries, sorted, into keys/tids (room for
 * LEARNED_LEAF_PENDING_MAX + 1); returns how many.
 */
static int
learned_leaf_sorted_pending(Page page, int64 *keys, ItemPointerData *tids)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			first = opaque->nsorted + opaque->nrecent;
	int			npending = LearnedLeafCount(page) - first;

	Assert(npending <= LEARNED_LEAF_PENDING_MAX + 1);
	for (int i = 0; i < npending; i++)
	{
		keys[i] = learned_leaf_key(page, first + i);
		tids[i] = learned_leaf_tid(page, first + i);
	}
	learned_sort_entries(keys, tids, npending);
	return npending;
}

/*
 * Merge the recent run and the pending entries into the main run: every
 * entry of the page sorted.  VACUUM does this.
 */
void
learned_leaf_merge_all(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			nrecent = opaque->nrecent;
	int64		pending_keys[LEARNED_LEAF_PENDING_MAX + 1];
	ItemPointerData pending_tids[LEARNED_LEAF_PENDING_MAX + 1];
	int64		keys[LEARNED_LEAF_RECENT_MAX + LEARNED_LEAF_PENDING_MAX + 1];
	ItemPointerData tids[LEARNED_LEAF_RECENT_MAX + LEARNED_LEAF_PENDING_MAX + 1];
	int64		recent_keys[LEARNED_LEAF_RECENT_MAX];
	ItemPointerData recent_tids[LEARNED_LEAF_RECENT_MAX];
	int			npending;

	npending = learned_leaf_sorted_pending(page, pending_keys, pending_tids);
	if (nrecent + npending == 0)
		return;
	Assert(nrecent <= LEARNED_LEAF_RECENT_MAX);
	learned_leaf_decode(page, opaque->nsorted, opaque->nsorted + nrecent,
						recent_keys, recent_tids);
	learned_merge_arrays(recent_keys, recent_tids, nrecent,
						 pending_keys, pending_tids, npending, keys, tids);
	learned_leaf_merge_into_run(page, 0, opaque->nsorted, keys, tids,
								nrecent + npending);
	opaque->nsorted += nrecent + npending;
	opaque->nrecent = 0;
}

/*
 * Merge the pending entries into the recent run, or, when that would grow
 * past LEARNED_LEAF_RECENT_MAX, the recent run and the pending entries into
 * the main run.  A merge into the main run moves most of the page when the
 * new keys land all over it, and generic WAL logs every byte that moved;
 * merging into the short recent run first moves a few hundred entries at
 * most, and the main run takes them in one merge per
 * LEARNED_LEAF_RECENT_MAX inserts instead of one per
 * LEARNED_LEAF_PENDING_MAX (a page in two sorted runs, like an LSM tree's
 * levels).  Lookups binary-search the recent run.
 */
void
learned_leaf_merge_pending(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int64		pending_keys[LEARNED_LEAF_PENDING_MAX + 1];
	ItemPointerData pending_tids[LEARNED_LEAF_PENDING_MAX + 1];
	int			npending;

	if (opaque->nrecent + (LearnedLeafCount(page) - opaque->nsorted -
						   opaque->nrecent) > LEARNED_LEAF_RECENT_MAX)
	{
		learned_leaf_merge_all(page);
		return;
	}
	npending = learned_leaf_sorted_pending(page, pending_keys, pending_tids);
	learned_leaf_merge_into_run(page, opaque->nsorted, opaque->nrecent,
								pending_keys, pending_tids, npending);
	opaque->nrecent += npending;
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
	int			kept_recent = 0;
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
		else if (i < opaque->nsorted + opaque->nrecent)
			kept_recent++;
	}
	learned_leaf_set_count(page, kept);
	opaque->nsorted = kept_sorted;
	opaque->nrecent = kept_recent;
	return kept;
}

/*
 * Index of the first entry of the sorted run [first, end) whose key is
 * >= key (after_key false) or > key (after_key true); end if none.  A plain
 * binary search: the recent run is short.
 */
static int
learned_leaf_run_search(Page page, int first, int end, int64 key,
						bool after_key)
{
	int			key_bytes = LearnedLeafKeyBytes(page);
	int64		base = learned_leaf_base(page);
	uint64		target;

	if (first >= end || key < base)
		return first;
	target = (uint64) key - (uint64) base;
	if (target > learned_max_packed(key_bytes))
		return end;
	while (first < end)
	{
		int			mid = first + (end - first) / 2;

		if (learned_leaf_entry_before(page, key_bytes, mid, target, after_key))
			first = mid + 1;
		else
			end = mid;
	}
	return first;
}

/*
 * Copy the entries whose key lies in [lo, hi] into keys/tids in (key, tid)
 * order; returns how many.  The arrays need room for a page's entries.
 * The main run's entries in range are decoded straight into the arrays;
 * the recent run's (a binary search) and the pending ones (a scan) are
 * merged into them.
 */
int
learned_leaf_collect(Page page, int64 lo, int64 hi, int64 *keys,
					 ItemPointer tids)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			recent_start = opaque->nsorted;
	int			pending_start = opaque->nsorted + opaque->nrecent;
	int			first = learned_leaf_first_at_or_after(page, lo);
	int			end = learned_leaf_search(page, hi, true, first);
	int64		pending_keys[LEARNED_LEAF_PENDING_MAX];
	ItemPointerData pending_tids[LEARNED_LEAF_PENDING_MAX];
	int64		recent_keys[LEARNED_LEAF_RECENT_MAX];
	ItemPointerData recent_tids[LEARNED_LEAF_RECENT_MAX];
	int64		extra_keys[LEARNED_LEAF_RECENT_MAX + LEARNED_LEAF_PENDING_MAX];
	ItemPointerData extra_tids[LEARNED_LEAF_RECENT_MAX + LEARNED_LEAF_PENDING_MAX];
	int			npending = 0;
	int			nrecent = 0;
	int			nextra;
	int			count;
	int			i;
	int			j;

	/*
	 * Can't happen: every caller has passed the locked page through
	 * learned_check_page, which refuses a leaf whose runs exceed their
	 * limits as corrupt (ERRCODE_INDEX_CORRUPTED).
	 */
	if (n - pending_start > LEARNED_LEAF_PENDING_MAX ||
		opaque->nrecent > LEARNED_LEAF_RECENT_MAX)
		elog(ERROR, "leaf page has %d recent and %d pending entries, more than %d and %d",
			 opaque->nrecent, n - pending_start,
			 LEARNED_LEAF_RECENT_MAX, LEARNED_LEAF_PENDING_MAX);

	/*
	 * The pending entries are unsorted: compare each stored offset with the
	 * range as offsets from the leaf's base, decoding only the matches (a
	 * unique insert's check of a new key, the common case, matches none).
	 */
	if (n > pending_start && hi >= learned_leaf_base(page))
	{
		int			key_bytes = LearnedLeafKeyBytes(page);
		int64		base = learned_leaf_base(page);
		uint64		lo_offset = lo > base ? (uint64) lo - (uint64) base : 0;
		uint64		hi_offset = (uint64) hi - (uint64) base;

		for (i = pending_start; i < n; i++)
		{
			uint64		offset = learned_load_packed(LearnedLeafKeyPointer(page, i),
													 key_bytes);

			if (offset >= lo_offset && offset <= hi_offset)
			{
				pending_keys[npending] = (int64) ((uint64) base + offset);
				pending_tids[npending] = learned_leaf_tid(page, i);
				npending++;
			}
		}
	}
	if (opaque->nrecent > 0)
	{
		int			rfirst = learned_leaf_run_search(page, recent_start,
													 pending_start, lo, false);
		int			rend = learned_leaf_run_search(page, rfirst, pending_start,
												   hi, true);

		nrecent = rend - rfirst;
		learned_leaf_decode(page, rfirst, rend, recent_keys, recent_tids);
	}

	/* The main run's entries in range, then the others merged in. */
	count = end - first;
	learned_leaf_decode(page, first, end, keys, tids);
	if (npending == 0 && nrecent == 0)
		return count;

	learned_sort_entries(pending_keys, pending_tids, npending);
	learned_merge_arrays(recent_keys, recent_tids, nrecent,
						 pending_keys, pending_tids, npending,
						 extra_keys, extra_tids);
	nextra = nrecent + npending;
	i = count - 1;				/* last main entry not yet placed */
	j = nextra - 1;				/* last other entry not yet placed */
	for (int k = count + nextra - 1; j >= 0; k--)
	{
		if (i >= 0 && learned_entry_cmp(keys[i], &tids[i], extra_keys[j],
										&extra_tids[j]) > 0)
		{
			keys[k] = keys[i];
			tids[k] = tids[i];
			i--;
		}
		else
		{
			keys[k] = extra_keys[j];
			tids[k] = extra_tids[j];
			j--;
		}
	}
	return count + nextra;
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
 * A leaf's format is one the code writes and its counts fit the page and
 * the run limits (learned.h): every reader decodes entries by them, and
 * learned_leaf_collect's scratch arrays are sized by the limits.
 */
static bool
learned_leaf_counts_valid(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n;

	if (!learned_leaf_format_valid(LearnedLeafFormatOf(page)) ||
		((PageHeader) page)->pd_lower < MAXALIGN(SizeOfPageHeaderData))
		return false;
	n = LearnedLeafCount(page);
	return n <= LearnedLeafCapacity(page) &&
		opaque->nsorted + opaque->nrecent <= n &&
		opaque->nrecent <= LEARNED_LEAF_RECENT_MAX &&
		n - opaque->nsorted - opaque->nrecent <= LEARNED_LEAF_PENDING_MAX;
}

/* A NULL page's TIDs fit the page. */
static bool
learned_nulls_count_valid(Page page)
{
	return ((PageHeader) page)->pd_lower >= MAXALIGN(SizeOfPageHeaderData) &&
		LearnedNullsCount(page) <= LEARNED_NULLS_CAPACITY;
}

/*
 * Complain unless the locked page is an initialised page of this access
 * method of one of the given kinds, and a leaf's or NULL page's counts
 * ones its readers can trust (every reader divides by a leaf's widths and
 * loops over its counts): the corruption error (ERRCODE_INDEX_CORRUPTED,
 * REINDEX hint) rather than a wild read or an internal error later.
 */
void
learned_check_page(Relation index, Buffer buf, uint16 kind)
{
	Page		page = BufferGetPage(buf);

	if (PageIsNew(page) ||
		PageGetSpecialSize(page) != MAXALIGN(sizeof(LearnedPageOpaqueData)) ||
		LearnedPageGetOpaque(page)->page_id != LEARNED_PAGE_ID ||
		(LearnedPageGetOpaque(page)->flags & kind) == 0 ||
		(LearnedPageIsLeaf(page) && !learned_leaf_counts_valid(page)) ||
		(LearnedPageIsNulls(page) && !learned_nulls_count_valid(page)))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains an unexpected page at block %u",
						RelationGetRelationName(index),
						BufferGetBlockNumber(buf)),
				 errhint("Please REINDEX it.")));
}

/*
 * Open a relation and make sure it is an index of this access method that
 * this backend can read.
 */
Relation
learned_open_index(Oid indexoid, LOCKMODE lockmode)
{
	Relation	index = relation_open(indexoid, lockmode);

	if (index->rd_rel->relkind != RELKIND_INDEX ||
		index->rd_rel->relam != get_am_oid("learned", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a learned index",
						RelationGetRelationName(index)),
				 errhint("Pass an index created with CREATE INDEX ... USING learned.")));

	/* Other sessions' temporary relations live in their local buffers. */
	if (RELATION_IS_OTHER_TEMP(index))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot access temporary indexes of other sessions")));

	return index;
}
/*
 * Copy the metapage into copy (BLCKSZ bytes) and check that it is a
 * metapage of the format this build reads: every caller follows its block
 * numbers afterwards.  The one place a metapage is validated.
 */
void
learned_read_metapage(Relation index, BufferAccessStrategy strategy, Page copy)
{
	Buffer		buf;
	LearnedMetaPage meta;

	if (RelationGetNumberOfBlocks(index) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has no metapage",
						RelationGetRelationName(index)),
				 errhint("Please REINDEX it.")));

	buf = ReadBufferExtended(index, MAIN_FORKNUM, LEARNED_METAPAGE_BLKNO,
							 RBM_NORMAL, strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	memcpy(copy, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);

	meta = LearnedPageGetMeta(copy);
	if (meta->magic != LEARNED_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a metapage with magic 0x%08X, not 0x%08X",
						RelationGetRelationName(index),
						meta->magic, LEARNED_MAGIC),
				 errhint("Please REINDEX it.")));
	if (meta->version != LEARNED_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has on-disk format version %u; this build reads version %u",
						RelationGetRelationName(index),
						meta->version, LEARNED_VERSION),
				 errhint("Please REINDEX it.")));
	if (meta->nrecords == 0 || meta->nrecords > LEARNED_MAX_RECORDS)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a metapage listing %u records, not 1 to %u",
						RelationGetRelationName(index),
						meta->nrecords, (uint32) LEARNED_MAX_RECORDS),
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

/*
 * Refuse a key type that no operator class of the access method has: at
 * CREATE INDEX (learned_build), and, should an index of another type ever
 * exist (an operator class made by hand), wherever a key is converted.
 */
void
learned_refuse_key_type(Oid typid)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("learned indexes do not support type %s",
					format_type_be(typid)),
			 errhint("Index a column of type int2, int4, int8, date, timestamp or timestamptz, or of a domain over one.")));
}

/*
 * The type whose values the index keys: its operator class's input type.
 * The column's own type may be a domain over it (declared so, or changed
 * to one by ALTER COLUMN TYPE, which keeps the index); a domain's values
 * are its base type's, so the base type's mapping to int64 applies.
 */
Oid
learned_index_keytype(Relation index)
{
	return index->rd_opcintype[0];
}
