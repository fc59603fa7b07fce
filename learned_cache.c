/*-------------------------------------------------------------------------
 *
 * learned_cache.c
 *	  The per-backend model cache, and the lookup that turns a search key
 *	  into the leaf page where the search starts.
 *
 * The cache holds a copy of the root model and of every record's page list
 * (low fence and block of each listed leaf).  It lives in a hash table keyed
 * by index OID, in its own memory context, and is dropped by a relcache
 * invalidation of the index (REINDEX, TRUNCATE, a change of the model) or
 * reloaded when the relation file changed.  Callers must not keep a
 * LearnedCache pointer across anything that may process invalidations (a
 * heavyweight lock, a catalog access): fetch it again with
 * learned_cache_get() instead.
 *
 * The cache is only a hint (DESIGN.md invariant 1): a stale list still
 * points at or left of the right leaf, because fences never change and
 * leaves never leave the chain.  A search that had to move right met a split
 * the cache does not know and refreshes that record from its page.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "learned.h"

/* Index OID -> LearnedCache; a cache, the only backend-global state. */
static HTAB *learned_caches = NULL;

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
}

/* Make room for n pages in a cached record's arrays. */
static void
learned_cache_reserve(MemoryContext context, LearnedCachedRecord *record,
					  uint32 n)
{
	if (record->allocated >= n)
		return;
	if (record->allocated == 0)
	{
		record->fence_keys = MemoryContextAlloc(context, n * sizeof(int64));
		record->fence_tids = MemoryContextAlloc(context, n * sizeof(ItemPointerData));
		record->blocks = MemoryContextAlloc(context, n * sizeof(BlockNumber));
	}
	else
	{
		record->fence_keys = repalloc(record->fence_keys, n * sizeof(int64));
		record->fence_tids = repalloc(record->fence_tids, n * sizeof(ItemPointerData));
		record->blocks = repalloc(record->blocks, n * sizeof(BlockNumber));
	}
	record->allocated = n;
}

/* Copy a record page's list into a cached record. */
static void
learned_cache_copy_record(MemoryContext context, LearnedCachedRecord *record,
						  RmiSegment *fit, Page page, uint32 model_version)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(page);
	uint32		n = header->npages;

	learned_cache_reserve(context, record, n);
	memcpy(record->fence_keys, LearnedRecordKeys(page), n * sizeof(int64));
	memcpy(record->fence_tids, LearnedRecordTids(page), n * sizeof(ItemPointerData));
	memcpy(record->blocks, LearnedRecordBlocks(page), n * sizeof(BlockNumber));
	record->npages = n;
	*fit = *LearnedRecordFit(header, model_version);
}

/* Read the metapage and every record page into a new cache. */
static void
learned_cache_load(Relation index, LearnedCache *cache)
{
	MemoryContext context;
	Buffer		buf;
	Page		page;
	LearnedMetaPage meta;
	uint32		i;

	context = AllocSetContextCreate(TopMemoryContext, "learned model cache",
									ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_META);
		page = BufferGetPage(buf);
		meta = LearnedPageGetMeta(page);
		if (meta->magic != LEARNED_MAGIC || meta->version != LEARNED_VERSION)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" has a metapage of another format (magic %08x, version %u)",
							RelationGetRelationName(index),
							meta->magic, meta->version),
					 errhint("Please REINDEX it.")));
		cache->generation = meta->generation;
		cache->model_version = meta->model_version;
		cache->root = meta->root;
		cache->nrecords = meta->nrecords;
		cache->segments = MemoryContextAllocZero(context,
												 meta->nrecords * sizeof(RmiSegment));
		cache->records = MemoryContextAllocZero(context,
												meta->nrecords * sizeof(LearnedCachedRecord));
		for (i = 0; i < meta->nrecords; i++)
			cache->records[i].block = meta->records[i];
		UnlockReleaseBuffer(buf);

		if (cache->nrecords == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" has no model records",
							RelationGetRelationName(index)),
					 errhint("Please REINDEX it.")));

		for (i = 0; i < cache->nrecords; i++)
		{
			buf = ReadBuffer(index, cache->records[i].block);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			learned_check_page(index, buf, LEARNED_PAGE_RECORD);
			learned_cache_copy_record(context, &cache->records[i],
									  &cache->segments[i],
									  BufferGetPage(buf),
									  cache->model_version);
			UnlockReleaseBuffer(buf);
		}
	}
	PG_CATCH();
	{
		MemoryContextDelete(context);
		PG_RE_THROW();
	}
	PG_END_TRY();

	cache->file = LearnedRelFileOf(index);
	cache->context = context;
}

/* The model cache of an index, loaded on first use. */
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

/* Is the fence at position i of a record at or before the search key? */
static inline bool
fence_at_or_before(const LearnedCachedRecord *record, uint32 i,
				   const LearnedSearchKey *skey)
{
	return learned_search_cmp(skey, record->fence_keys[i],
							  &record->fence_tids[i]) >= 0;
}

/* What rmi_segment_search asks about: a cached record and a search key. */
typedef struct LearnedLocateContext
{
	const LearnedCachedRecord *record;
	const LearnedSearchKey *skey;
} LearnedLocateContext;

/* rmi_segment_search's predicate: fence_at_or_before on the record. */
static int
locate_at_or_before(const void *ctx, uint32 position)
{
	const LearnedLocateContext *lc = (const LearnedLocateContext *) ctx;

	return fence_at_or_before(lc->record, position, lc->skey);
}

/*
 * The leaf where a search for skey starts: the last listed leaf whose low
 * fence is at or before the search key (the index's first leaf counts as
 * minus infinity).  The root picks the record and the record's fit a
 * window of its list; both are verified against the cached fences, so a
 * drifted fit costs a wider search, never a wrong page.
 */
LearnedTarget
learned_cache_locate(Relation index, const LearnedSearchKey *skey)
{
	LearnedCache *cache = learned_cache_get(index);
	uint32		r;
	uint32		position;
	LearnedLocateContext lc;
	LearnedTarget target;

	/* The root routes on the key alone; equal keys may continue right. */
	r = rmi_find_segment(&cache->root, cache->segments, skey->key);
	while (r + 1 < cache->nrecords &&
		   fence_at_or_before(&cache->records[r + 1], 0, skey))
		r++;

	/*
	 * Position 0 is at or before every key routed here (for record 0 it
	 * stands for minus infinity).  The fit's window is widened where splits
	 * since the fit moved the answer outside it.
	 */
	lc.record = &cache->records[r];
	lc.skey = skey;
	position = rmi_segment_search(&cache->segments[r], skey->key,
								  lc.record->npages, locate_at_or_before, &lc);
	target.block = lc.record->blocks[position];
	target.record = r;
	return target;
}

/* Drop this backend's cache of the index; the next use reloads it. */
void
learned_cache_reset(Relation index)
{
	learned_cache_invalidate((Datum) 0, RelationGetRelid(index));
}

/*
 * Reread one record's page list after a search met a split this backend's
 * cache does not know.  If the model changed meanwhile (a record split or
 * a retrain bumped the generation), reload all of it instead.
 */
void
learned_cache_refresh_record(Relation index, uint32 record)
{
	LearnedCache *cache;
	BlockNumber block;
	Buffer		buf;
	PGAlignedBlock copy;
	uint32		generation;

	buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	generation = LearnedPageGetMeta(BufferGetPage(buf))->generation;
	UnlockReleaseBuffer(buf);

	cache = learned_cache_get(index);
	if (generation != cache->generation)
	{
		/* The next lookup reloads the whole model. */
		learned_cache_reset(index);
		return;
	}
	if (record >= cache->nrecords)
		return;
	block = cache->records[record].block;

	buf = ReadBuffer(index, block);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	memcpy(copy.data, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);

	/* Reading may not invalidate, but fetch the cache again to be sure. */
	cache = learned_cache_get(index);
	if (record < cache->nrecords && cache->records[record].block == block)
		learned_cache_copy_record(cache->context, &cache->records[record],
								  &cache->segments[record],
								  (Page) copy.data, cache->model_version);
}

/* Memory this backend spends on the index's model. */
Size
learned_cache_bytes(Relation index)
{
	LearnedCache *cache = learned_cache_get(index);

	return MemoryContextMemAllocated(cache->context, true);
}
