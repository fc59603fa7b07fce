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
 * before every entry with the same key, LAST after every one.
 */
int
learned_search_cmp(const LearnedSearchKey *skey, int64 key, ItemPointer tid)
{
	if (skey->key != key)
		return skey->key < key ? -1 : 1;
	switch (skey->mode)
	{
		case LEARNED_SEARCH_FIRST:
			return -1;
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

/* Index of the first entry whose key is >= key (count if none). */
int
learned_leaf_first_at_or_after(Page page, int64 key)
{
	const int64 *keys = LearnedLeafKeys(page);
	int			lo = 0;
	int			hi = LearnedLeafCount(page);

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first entry whose key is > key (count if none). */
int
learned_leaf_first_after(Page page, int64 key)
{
	const int64 *keys = LearnedLeafKeys(page);
	int			lo = 0;
	int			hi = LearnedLeafCount(page);

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (keys[mid] <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Where (key, tid) goes: the index of the first entry greater than it. */
int
learned_leaf_insert_position(Page page, int64 key, ItemPointer tid)
{
	int			lo = learned_leaf_first_at_or_after(page, key);
	int			hi = learned_leaf_first_after(page, key);

	/* Among equal keys, order by heap TID. */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (ItemPointerCompare(LearnedLeafTid(page, mid), tid) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Set the number of entries on a leaf: the hole lies between the arrays. */
void
learned_leaf_set_count(Page page, int n)
{
	PageHeader	header = (PageHeader) page;

	Assert(n >= 0 && n <= LEARNED_LEAF_CAPACITY);
	header->pd_lower = MAXALIGN(SizeOfPageHeaderData) + n * sizeof(int64);
	header->pd_upper = header->pd_special - n * sizeof(ItemPointerData);
}

/* Insert (key, tid) as entry pos of a leaf that has room for it. */
void
learned_leaf_insert_at(Page page, int pos, int64 key, ItemPointer tid)
{
	int			n = LearnedLeafCount(page);
	int64	   *keys = LearnedLeafKeys(page);

	Assert(n < LEARNED_LEAF_CAPACITY && pos >= 0 && pos <= n);
	memmove(&keys[pos + 1], &keys[pos], (n - pos) * sizeof(int64));
	/* TIDs run downwards: entries pos..n-1 move one slot lower in memory. */
	memmove(LearnedLeafTid(page, n), LearnedLeafTid(page, n - 1),
			(n - pos) * sizeof(ItemPointerData));
	keys[pos] = key;
	learned_leaf_set_count(page, n + 1);
	*LearnedLeafTid(page, pos) = *tid;
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
