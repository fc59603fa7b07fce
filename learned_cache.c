/*-------------------------------------------------------------------------
 *
 * learned_cache.c
 *	  The per-backend model cache, and the lookup that turns a search key
 *	  into the leaf page where the search starts.
 *
 * The cache is loaded lazily.  The first use reads only the metapage: the
 * root model, the generation, the fit slot in force and the directory of
 * record pages.  A record is read from its model page the first time a
 * lookup needs it: to route (its first fence, and its high fence: where the
 * next record starts) or to land in it (its fit and list).  Lists are kept
 * while the index's budget allows (learned_cache_budget); beyond it, a
 * lookup searches the list on the model page under a share lock, one more
 * page read but no more memory.  So a cold lookup reads the metapage, the
 * record the root predicts and the leaf, and a backend's memory stays
 * bounded however large the index grows.
 *
 * The cache lives in a hash table keyed by index OID, in its own memory
 * context, and is dropped by a relcache invalidation of the index (REINDEX,
 * TRUNCATE, a retrain) or reloaded when the relation file changed.  Callers
 * must not keep a LearnedCache pointer across anything that may process
 * invalidations (a heavyweight lock, a catalog access): fetch it again with
 * learned_cache_get() instead.  Reading and locking buffers does not.
 *
 * The cache is only a hint (README invariants 1 and 6): a stale list still
 * points at or left of the right leaf, because fences never change and
 * leaves never leave the chain.  A search that had to move right met a split
 * the cache does not know and refreshes that record from its page.  A record
 * page whose right link is not the next record of the cached directory has
 * been split since the metapage was read: the lookup drops the cache and
 * starts over, rather than walk right past every leaf the split moved out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "learned.h"

/* Index OID -> LearnedCache; a cache, the only backend-global state. */
static HTAB *learned_caches = NULL;

/* learned.cache_budget_kb: -1 derives the budget from the index size. */
static int	learned_cache_budget_kb = -1;

static void
learned_cache_forget(LearnedCache *cache)
{
	if (cache->context != NULL)
		MemoryContextDelete(cache->context);
	cache->context = NULL;
}

/* Relcache invalidation callback: drop the caches of the named index. */
static void
learned_cache_invalidate(Datum arg, Oid relid)
{
	if (learned_caches == NULL)
		return;

	if (OidIsValid(relid))
	{
		LearnedCache *cache = hash_search(learned_caches, &relid,
										  HASH_FIND, NULL);

		if (cache != NULL)
		{
			learned_cache_forget(cache);
			hash_search(learned_caches, &relid, HASH_REMOVE, NULL);
		}
	}
	else
	{
		HASH_SEQ_STATUS status;
		LearnedCache *cache;

		hash_seq_init(&status, learned_caches);
		while ((cache = hash_seq_search(&status)) != NULL)
		{
			learned_cache_forget(cache);
			hash_search(learned_caches, &cache->indexoid, HASH_REMOVE, NULL);
		}
	}
}

void
learned_cache_init(void)
{
	CacheRegisterRelcacheCallback(learned_cache_invalidate, (Datum) 0);

	DefineCustomIntVariable("learned.cache_budget_kb",
							"Caps the memory a backend's model cache spends on the record lists of one learned index.",
							"-1, the default, takes 1% of the index size, at least 64 kB and at most 4 MB. "
							"Lists that do not fit are searched on their model pages. "
							"A new cap applies to lists cached from then on.",
							&learned_cache_budget_kb,
							-1, -1, (int) (LEARNED_CACHE_MAX_BYTES / 1024),
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("learned");
#else
	EmitWarningsOnPlaceholders("learned");
#endif
}

/* The budget for an index of index_bytes: the GUC's, or the formula's. */
static Size
learned_cache_budget_for(uint64 index_bytes)
{
	if (learned_cache_budget_kb >= 0)
		return (Size) learned_cache_budget_kb * 1024;
	return LEARNED_CACHE_BUDGET(index_bytes);
}

/* The memory budget of this backend's cache of the index (learned.h). */
Size
learned_cache_budget(Relation index)
{
	return learned_cache_budget_for((uint64) RelationGetNumberOfBlocks(index) *
									BLCKSZ);
}

/* What a list of n leaves costs the budget (learned.h). */
static inline Size
learned_cache_list_charge(uint32 n)
{
	return (Size) n * LEARNED_CACHE_BYTES_PER_LEAF + LEARNED_CACHE_LIST_HEADER_BYTES;
}

/*
 * May the cache keep a list of n entries (and extra bytes beside it) and
 * stay within its budget?
 */
static bool
learned_cache_has_room(LearnedCache *cache, uint32 n, Size extra)
{
	return cache->charged + learned_cache_list_charge(n) + extra <=
		learned_cache_budget_for(cache->index_bytes);
}

/* Read the metapage into a new cache: root, generation, directory. */
static void
learned_cache_load(Relation index, LearnedCache *cache)
{
	PGAlignedBlock copy;
	LearnedMetaPage meta;
	uint64		index_bytes;
	MemoryContext context;
	LearnedCachedRecord *records;
	int64	   *first_keys = NULL;
	bool		keyed;
	uint32		i;

	/* A copy, so that nothing can fail while the context is being filled. */
	learned_read_metapage(index, NULL, (Page) copy.data);
	meta = LearnedPageGetMeta((Page) copy.data);

	index_bytes = (uint64) RelationGetNumberOfBlocks(index) * BLCKSZ;
	context = AllocSetContextCreate(TopMemoryContext, "learned model cache",
									ALLOCSET_SMALL_SIZES);
	keyed = LearnedMetaHasFirstKeys(meta) && meta->nrecords > 1;
	PG_TRY();
	{
		records = MemoryContextAllocZero(context,
										 meta->nrecords * sizeof(LearnedCachedRecord));
		if (keyed)
			first_keys = MemoryContextAlloc(context,
											meta->nrecords * sizeof(int64));
	}
	PG_CATCH();
	{
		MemoryContextDelete(context);
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (i = 0; i < meta->nrecords; i++)
		records[i].block = meta->records[i];
	if (keyed)
		memcpy(first_keys, LearnedMetaFirstKeys(meta),
			   meta->nrecords * sizeof(int64));

	/* Only a complete cache is published (context set means loaded). */
	cache->file = LearnedRelFileOf(index);
	cache->generation = meta->generation;
	cache->model_version = meta->model_version;
	cache->index_bytes = index_bytes;
	cache->root = meta->root;
	cache->directory_level = LearnedMetaDirectoryLevel(meta);
	cache->nrecords = meta->nrecords;
	cache->records = records;
	cache->first_keys = first_keys;
	cache->lower = NULL;
	cache->charged = LEARNED_CACHE_FIXED_BYTES +
		(Size) meta->nrecords * sizeof(LearnedCachedRecord) +
		(keyed ? (Size) meta->nrecords * sizeof(int64) : 0);
	cache->context = context;
}

/* The model cache of an index; the first use reads the metapage. */
LearnedCache *
learned_cache_get(Relation index)
{
	Oid			indexoid = RelationGetRelid(index);
	LearnedCache *cache;
	bool		found;

	if (learned_caches == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(LearnedCache);
		ctl.hcxt = TopMemoryContext;
		learned_caches = hash_create("learned model caches", 16, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	cache = hash_search(learned_caches, &indexoid, HASH_ENTER, &found);
	if (!found)
		cache->context = NULL;
	else if (cache->context != NULL &&
			 !LearnedRelFileEquals(cache->file, LearnedRelFileOf(index)))
		learned_cache_forget(cache);

	if (cache->context == NULL)
		learned_cache_load(index, cache);
	return cache;
}

/* Drop a record's cached list (its first fence and fit stay). */
static void
learned_cache_drop_list(LearnedCache *cache, LearnedCachedRecord *record)
{
	if (record->fence_keys != NULL)
	{
		pfree(record->fence_keys);
		cache->charged -= learned_cache_list_charge(record->allocated);
	}
	record->fence_keys = NULL;
	record->blocks = NULL;
	record->fence_tids = NULL;
	record->allocated = 0;
}

/*
 * Learn where a record starts: from its own page, or from its left
 * neighbour's high fence.  The two must agree: a high fence below the
 * record's first fence would route keys to a record right of theirs, so
 * whichever is seen second is checked against the first.
 */
static void
learned_cache_learn_first(Relation index, LearnedCachedRecord *record,
						  const LearnedFence *first)
{
	if (record->first_known && learned_fence_cmp(&record->first_fence, first) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\": the record at block %u and the high fence of the record on its left disagree on where it starts (keys %lld and %lld)",
						RelationGetRelationName(index), record->block,
						(long long) record->first_fence.key,
						(long long) first->key),
				 errhint("Please REINDEX it.")));
	record->first_fence = *first;
	record->first_known = true;
}

/*
 * Remember what a record page says: first fence, fit and length always,
 * the list if it is cached already or the budget has room for it.
 */
static void
learned_cache_remember_record(Relation index, LearnedCache *cache,
							  LearnedCachedRecord *record, Page page)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(page);
	uint32		n = header->npages;
	LearnedFence first = learned_record_first_fence(page);

	learned_cache_learn_first(index, record, &first);
	record->fit = *LearnedRecordFit(header, cache->model_version);
	record->npages = n;
	record->loaded = true;

	if (record->allocated < n)
	{
		Size		bytes = n * (sizeof(int64) + sizeof(BlockNumber) +
								 sizeof(ItemPointerData));

		learned_cache_drop_list(cache, record);
		if (!learned_cache_has_room(cache, n, 0))
			return;
		record->fence_keys = MemoryContextAlloc(cache->context, bytes);
		record->blocks = (BlockNumber *) (record->fence_keys + n);
		record->fence_tids = (ItemPointer) (record->blocks + n);
		record->allocated = n;
		cache->charged += learned_cache_list_charge(n);
	}
	memcpy(record->fence_keys, LearnedRecordKeys(page), n * sizeof(int64));
	memcpy(record->blocks, LearnedRecordBlocks(page), n * sizeof(BlockNumber));
	memcpy(record->fence_tids, LearnedRecordTids(page),
		   n * sizeof(ItemPointerData));
}

/*
 * Read record r's model page and remember it.  Returns the buffer share
 * locked, for a caller that must search a list the cache could not keep.
 * Sets *stale if the page has been split since the directory was read (its
 * right link is not the directory's next record).
 */
static Buffer
learned_cache_read_record(Relation index, LearnedCache *cache, uint32 r,
						  bool *stale)
{
	LearnedCachedRecord *record = &cache->records[r];
	BlockNumber next = r + 1 < cache->nrecords ?
		cache->records[r + 1].block : InvalidBlockNumber;
	Buffer		buf;
	Page		page;
	uint32		npages;

	buf = ReadBuffer(index, record->block);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	page = BufferGetPage(buf);
	npages = LearnedRecordGetHeader(page)->npages;
	if (npages == 0 || npages > LEARNED_RECORD_CAPACITY)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" block %u: a record lists %u leaves",
						RelationGetRelationName(index), record->block, npages),
				 errhint("Please REINDEX it.")));
	learned_cache_remember_record(index, cache, record, page);
	if (LearnedPageGetOpaque(page)->right != next)
		*stale = true;
	else
	{
		LearnedFence high;

		/* The next record of the directory starts at this one's high fence. */
		if (learned_record_high_fence(page, &high))
			learned_cache_learn_first(index, &cache->records[r + 1], &high);
	}
	return buf;
}

/*
 * Does record r start at or before the search key?  Record 0 always does:
 * its first leaf's low fence stands for minus infinity.
 */
static bool
record_starts_at_or_before(Relation index, LearnedCache *cache, uint32 r,
						   const LearnedSearchKey *skey, bool *stale)
{
	LearnedCachedRecord *record = &cache->records[r];

	if (r == 0)
		return true;
	if (!record->first_known)
		UnlockReleaseBuffer(learned_cache_read_record(index, cache, r, stale));
	return learned_search_cmp(skey, record->first_fence.key,
							  &record->first_fence.tid) >= 0;
}

/* A stored root error bound as a distance; INT32_MAX means unbounded. */
static int64
root_error(int32 err)
{
	if (err < 0)
		return 0;
	if (err == PG_INT32_MAX)
		return PG_INT64_MAX / 4;
	return err;
}

/*
 * The last record whose first key is below key (record 0 stands for minus
 * infinity), by the directory's first keys: the record a search for key
 * belongs to unless key equals a record's first key, where the fences'
 * TIDs decide, a record or so right.  The root's guess r is tried first.
 */
static int64
first_key_route(const LearnedCache *cache, int64 key, int64 r)
{
	const int64 *keys = cache->first_keys;
	uint32		lo = 0;
	uint32		hi = cache->nrecords - 1;

	if ((r == 0 || keys[r] < key) &&
		(r == hi || keys[r + 1] >= key))
		return r;
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo + 1) / 2;

		if (keys[mid] < key)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Steps a route walks from the predicted record before it bisects. */
#define LEARNED_ROUTE_WALK	2

/*
 * The record a search for skey belongs to: the last one that starts at or
 * before the search key.  The root predicts it with an error window; the
 * directory's first keys, where the metapage keeps them, correct the
 * prediction within the window, so that it is the record itself unless a
 * key equal to a record's first key leaves it to the fences' TIDs.
 *
 * The predicted record is tried first, and its neighbours a step or two
 * away: a record page keeps the next record's first fence as its high
 * fence, so reading the predicted record, which the lookup needs anyway to
 * land in it, usually settles the route; a cold lookup reads the metapage,
 * that one record and the leaf (README, "The model").  Past the walk, only
 * the records a search of the window touches are read: its ends and a
 * binary search between them.  If the window is wrong (a record split
 * since the root was trained moved records right by one, or equal keys
 * continue into later records), the search gallops outwards from the
 * window's end, so a near miss costs a record or two, and the result is
 * exact however wrong the root.  With every first fence cached no page is
 * read.
 */
static uint32
learned_cache_route(Relation index, LearnedCache *cache,
					const LearnedSearchKey *skey, bool *stale)
{
	uint32		last = cache->nrecords - 1;
	int64		predicted;
	int64		lo;
	int64		hi;
	int64		r;
	uint32		step;

	if (last == 0)
		return 0;

	predicted = rmi_root_predict(&cache->root, skey->key);
	lo = Max(predicted - root_error(cache->root.err_lo), 0);
	hi = Min(predicted + root_error(cache->root.err_hi), (int64) last);
	if (lo > hi)
		lo = hi = Min(predicted, (int64) last);
	r = Min(Max(predicted, lo), hi);
	if (cache->first_keys != NULL)
		r = Min(Max(first_key_route(cache, skey->key, r), lo), hi);

	if (record_starts_at_or_before(index, cache, r, skey, stale))
	{
		/* Walk right while the next record starts at or before, too. */
		for (step = 0;; step++)
		{
			if (r == last)
				return (uint32) r;
			/* Record r's page (the answer, if it is) tells where r + 1 starts. */
			if (!cache->records[r + 1].first_known && !cache->records[r].loaded)
				UnlockReleaseBuffer(learned_cache_read_record(index, cache, r,
															  stale));
			if (!record_starts_at_or_before(index, cache, r + 1, skey, stale))
				return (uint32) r;
			r++;
			if (step == LEARNED_ROUTE_WALK)
				break;
		}
		lo = r;
		hi = Max(hi, r);
	}
	else
	{
		/* Walk left: record 0 starts at or before every key. */
		for (step = 0;; step++)
		{
			r--;
			if (record_starts_at_or_before(index, cache, r, skey, stale))
				return (uint32) r;
			if (step == LEARNED_ROUTE_WALK)
				break;
		}
		hi = r - 1;
		lo = Min(lo, hi);
	}

	if (lo > 0 && !record_starts_at_or_before(index, cache, lo, skey, stale))
	{
		/* The answer is left of the window: gallop left from lo. */
		uint32		known_after = lo;

		for (step = 1;; step *= 2)
		{
			if (known_after <= step)
			{
				lo = 0;
				break;
			}
			if (record_starts_at_or_before(index, cache, known_after - step,
										   skey, stale))
			{
				lo = known_after - step;
				break;
			}
			known_after -= step;
		}
		hi = known_after - 1;
	}
	else if (hi < last &&
			 record_starts_at_or_before(index, cache, hi + 1, skey, stale))
	{
		/* The answer is right of the window: gallop right from hi + 1. */
		lo = hi + 1;
		for (step = 1;; step *= 2)
		{
			if (last - lo < step)
			{
				hi = last;
				break;
			}
			if (!record_starts_at_or_before(index, cache, lo + step, skey,
											stale))
			{
				hi = lo + step - 1;
				break;
			}
			lo += step;
		}
	}

	/* The last record in [lo, hi] that starts at or before; lo does. */
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo + 1) / 2;

		if (record_starts_at_or_before(index, cache, mid, skey, stale))
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32) lo;
}

/* A record's list, cached or on its page, and a search key. */
typedef struct LearnedListSearch
{
	const int64 *fence_keys;
	const ItemPointerData *fence_tids;
	const LearnedSearchKey *skey;
} LearnedListSearch;

/* rmi_record_search's predicate: is the fence at position at or before? */
static int
list_fence_at_or_before(const void *ctx, uint32 position)
{
	const LearnedListSearch *ls = (const LearnedListSearch *) ctx;

	return learned_search_cmp(ls->skey, ls->fence_keys[position],
							  (ItemPointer) &ls->fence_tids[position]) >= 0;
}

/*
 * The leaf in record r where the search starts: the last listed leaf whose
 * low fence is at or before the search key (position 0 always counts).
 * The fit's window is verified against the fences and widened where splits
 * since the fit moved the answer outside it.  A list the cache could not
 * keep is searched on the model page.
 */
static BlockNumber
learned_cache_search_record(Relation index, LearnedCache *cache, uint32 r,
							const LearnedSearchKey *skey, bool *stale)
{
	LearnedCachedRecord *record = &cache->records[r];
	LearnedListSearch ls;
	uint32		position;

	ls.skey = skey;
	if (record->fence_keys == NULL)
	{
		Buffer		buf = learned_cache_read_record(index, cache, r, stale);

		if (record->fence_keys == NULL)
		{
			Page		page = BufferGetPage(buf);
			BlockNumber block;

			ls.fence_keys = LearnedRecordKeys(page);
			ls.fence_tids = LearnedRecordTids(page);
			position = rmi_record_search(&record->fit, skey->key,
										  record->npages,
										  list_fence_at_or_before, &ls);
			block = LearnedRecordBlocks(page)[position];
			UnlockReleaseBuffer(buf);
			return block;
		}
		UnlockReleaseBuffer(buf);
	}

	ls.fence_keys = record->fence_keys;
	ls.fence_tids = record->fence_tids;
	position = rmi_record_search(&record->fit, skey->key, record->npages,
								  list_fence_at_or_before, &ls);
	return record->blocks[position];
}

/*
 * The position in a record page's list (share locked by the caller) where
 * a search for skey continues: the last entry whose fence is at or before
 * it, found with the fit in force and verified against the fences.
 */
uint32
learned_record_search_page(Page recpage, uint32 model_version,
						   const LearnedSearchKey *skey)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(recpage);
	LearnedListSearch ls;

	ls.skey = skey;
	ls.fence_keys = LearnedRecordKeys(recpage);
	ls.fence_tids = LearnedRecordTids(recpage);
	return rmi_record_search(LearnedRecordFit(header, model_version),
							 skey->key, header->npages,
							 list_fence_at_or_before, &ls);
}

/*
 * Keep the list of a record below the top level (its page share locked by
 * the caller) if the budget has room for it.
 */
static void
learned_cache_keep_list(LearnedCache *cache, BlockNumber block, Page page)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(page);
	uint32		n = header->npages;
	LearnedCachedList *list;
	int64	   *fence_keys;
	bool		found;

	if (!learned_cache_has_room(cache, n, sizeof(LearnedCachedList)))
		return;
	fence_keys = MemoryContextAlloc(cache->context,
									n * LEARNED_CACHE_BYTES_PER_LEAF);
	if (cache->lower == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(BlockNumber);
		ctl.entrysize = sizeof(LearnedCachedList);
		ctl.hcxt = cache->context;
		cache->lower = hash_create("learned lower record lists", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	list = hash_search(cache->lower, &block, HASH_ENTER, &found);
	Assert(!found);
	list->npages = n;
	list->fit = *LearnedRecordFit(header, cache->model_version);
	list->fence_keys = fence_keys;
	list->blocks = (BlockNumber *) (list->fence_keys + n);
	list->fence_tids = (ItemPointer) (list->blocks + n);
	memcpy(list->fence_keys, LearnedRecordKeys(page), n * sizeof(int64));
	memcpy(list->blocks, LearnedRecordBlocks(page), n * sizeof(BlockNumber));
	memcpy(list->fence_tids, LearnedRecordTids(page),
		   n * sizeof(ItemPointerData));
	cache->charged += learned_cache_list_charge(n) + sizeof(LearnedCachedList);
}

/* Forget the kept list of the record at block, if there is one. */
static void
learned_cache_drop_lower(LearnedCache *cache, BlockNumber block)
{
	LearnedCachedList *list;

	if (cache->lower == NULL)
		return;
	list = hash_search(cache->lower, &block, HASH_FIND, NULL);
	if (list == NULL)
		return;
	pfree(list->fence_keys);
	cache->charged -= learned_cache_list_charge(list->npages) +
		sizeof(LearnedCachedList);
	hash_search(cache->lower, &block, HASH_REMOVE, NULL);
}

/*
 * From the record of the given level at block, the page of the level below
 * (a leaf below level 1) its list names for skey: from the list kept in
 * the cache, or read under a share lock (and kept, if the budget allows).
 * Records of two levels are never locked at once.
 * The answer is at or left of the record whose range holds skey (README
 * invariant 2 one level up): a stale list only costs moving right later.
 */
static BlockNumber
learned_cache_step_down(Relation index, LearnedCache *cache,
						BlockNumber block, uint32 level,
						const LearnedSearchKey *skey)
{
	LearnedCachedList *list = NULL;
	Buffer		buf;
	Page		page;
	uint32		npages;
	BlockNumber child;

	if (cache->lower != NULL)
		list = hash_search(cache->lower, &block, HASH_FIND, NULL);
	if (list != NULL)
	{
		LearnedListSearch ls;

		ls.skey = skey;
		ls.fence_keys = list->fence_keys;
		ls.fence_tids = list->fence_tids;
		return list->blocks[rmi_record_search(&list->fit, skey->key,
											  list->npages,
											  list_fence_at_or_before, &ls)];
	}

	buf = ReadBuffer(index, block);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	page = BufferGetPage(buf);
	npages = LearnedRecordGetHeader(page)->npages;
	if (learned_record_level(page) != level ||
		npages == 0 || npages > LEARNED_RECORD_CAPACITY)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" block %u: a record of level %u listing %u entries where one of level %u was expected",
						RelationGetRelationName(index), block,
						learned_record_level(page), npages, level),
				 errhint("Please REINDEX it.")));
	child = LearnedRecordBlocks(page)[learned_record_search_page(page, cache->model_version, skey)];
	learned_cache_keep_list(cache, block, page);
	UnlockReleaseBuffer(buf);
	return child;
}

/*
 * A record of the given level at or left of the one whose range holds
 * skey, with no lock held: the root and the directory route to a record of
 * the top level, and each level's list names one of the level below.  A
 * split uses it to find the parent its new record enters (README, "Inserts
 * and splits").  Only records of levels above `level` are read.
 */
BlockNumber
learned_cache_descend(Relation index, const LearnedSearchKey *skey,
					  uint32 level)
{
	LearnedCache *cache = learned_cache_get(index);
	bool		stale = false;
	uint32		r;
	uint32		current;
	BlockNumber block;

	if (cache->directory_level < level)
	{
		/* A level grew since the cache was loaded. */
		learned_cache_reset(index);
		cache = learned_cache_get(index);
		/* A record above the directory's level: the pages disagree. */
		if (cache->directory_level < level)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" has a record of level %u above its directory's level %u",
							RelationGetRelationName(index), level,
							cache->directory_level),
					 errhint("Please REINDEX it.")));
	}
	r = learned_cache_route(index, cache, skey, &stale);
	block = cache->records[r].block;
	current = cache->directory_level;
	while (current > level)
	{
		block = learned_cache_step_down(index, cache, block, current, skey);
		current--;
	}
	return block;
}

/*
 * The leaf where a search for skey starts: the last listed leaf whose low
 * fence is at or before the search key (the index's first leaf counts as
 * minus infinity).  The root picks the record of the top level, and each
 * record's fit a window of its list: a record of the level below, down to
 * level 1, whose list names the leaf.  Every step is verified against
 * fences, so a drifted model costs a wider search, never a wrong page.
 * With one level (every index of fewer leaves than the directory and one
 * list hold) this reads exactly what it always did.
 */
LearnedTarget
learned_cache_locate(Relation index, const LearnedSearchKey *skey)
{
	LearnedTarget target;
	bool		stale = false;
	int			attempt;

	for (attempt = 0;; attempt++)
	{
		LearnedCache *cache = learned_cache_get(index);
		uint32		level = cache->directory_level;

		target.record = learned_cache_route(index, cache, skey, &stale);
		target.block = learned_cache_search_record(index, cache,
												   target.record, skey,
												   &stale);

		/* Below the top level, a list a level: kept, or on its page. */
		target.npath = 0;
		while (level > 1)
		{
			level--;
			if (target.npath < LEARNED_TARGET_PATH)
				target.path[target.npath] = target.block;
			target.npath++;
			target.block = learned_cache_step_down(index, cache, target.block,
												   level, skey);
		}

		/*
		 * The target is right even from a stale directory, but may lie far
		 * left of the key: start over once with the current one.
		 */
		if (!stale || attempt > 0)
			return target;
		learned_cache_reset(index);
		stale = false;
	}
}

/* Drop this backend's cache of the index; the next use reloads it. */
void
learned_cache_reset(Relation index)
{
	learned_cache_invalidate((Datum) 0, RelationGetRelid(index));
}

/*
 * After a search met a split this backend's cache does not know: reread
 * the record of the top level it went through, and forget the lists of the
 * lower records on its path (the next search through them rereads them).
 * If the model changed meanwhile (a record split or a retrain bumped the
 * generation), drop the cache instead: the next lookup reads the new
 * directory.
 */
void
learned_cache_refresh(Relation index, const LearnedTarget *target)
{
	LearnedCache *cache;
	Buffer		buf;
	uint32		generation;
	bool		stale = false;

	buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	generation = LearnedPageGetMeta(BufferGetPage(buf))->generation;
	UnlockReleaseBuffer(buf);

	cache = learned_cache_get(index);
	if (generation != cache->generation ||
		target->npath > LEARNED_TARGET_PATH)
	{
		learned_cache_reset(index);
		return;
	}
	for (uint32 i = 0; i < target->npath; i++)
		learned_cache_drop_lower(cache, target->path[i]);
	if (target->record >= cache->nrecords ||
		!cache->records[target->record].loaded)
		return;
	UnlockReleaseBuffer(learned_cache_read_record(index, cache,
												  target->record, &stale));
	if (stale)
		learned_cache_reset(index);
}

/*
 * What this backend's cache of the index's model spends now, as its budget
 * counts it (learned.h: the bytes it asks for).
 */
Size
learned_cache_bytes(Relation index)
{
	LearnedCache *cache = learned_cache_get(index);

	return cache->charged;
}
