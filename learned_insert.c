/*-------------------------------------------------------------------------
 *
 * learned_insert.c
 *	  Inserting an entry: find the leaf as a scan does, lock it exclusively,
 *	  insert in (key, TID) order; a full leaf splits to a new page linked on
 *	  its right, and the new page enters its record's list in the same WAL
 *	  record, so the model stays exact without retraining.
 *
 * Locks are taken left to right along the leaf chain, then the record page,
 * then the metapage; nothing locks in the other order, so inserts, scans and
 * VACUUM cannot deadlock.  A split changes at most four pages (the leaf, the
 * new leaf, the old right sibling and the record page), which is one Generic
 * WAL record.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"

#include "learned.h"

/*
 * Insert the new page (low fence, block) into the record page's list, after
 * every fence at or before it.  A full list leaves the page unlisted: the
 * leaf chain still reaches it, lookups just move right once more.
 */
static void
learned_record_add_page(Page recpage, const LearnedFence *fence,
						BlockNumber block)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(recpage);
	int64	   *keys = LearnedRecordKeys(recpage);
	ItemPointer tids = LearnedRecordTids(recpage);
	BlockNumber *blocks = LearnedRecordBlocks(recpage);
	uint32		n = header->npages;
	uint32		lo = 1;			/* position 0 precedes every page of the record */
	uint32		hi = n;

	if (n >= header->capacity)
	{
		header->unlisted_splits++;
		return;
	}

	/* The first position whose fence is after the new page's. */
	while (lo < hi)
	{
		uint32		mid = (lo + hi) / 2;
		LearnedFence listed;

		listed.key = keys[mid];
		listed.tid = tids[mid];
		if (learned_fence_cmp(&listed, fence) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}

	memmove(&keys[lo + 1], &keys[lo], (n - lo) * sizeof(int64));
	memmove(&tids[lo + 1], &tids[lo], (n - lo) * sizeof(ItemPointerData));
	memmove(&blocks[lo + 1], &blocks[lo], (n - lo) * sizeof(BlockNumber));
	keys[lo] = fence->key;
	tids[lo] = fence->tid;
	blocks[lo] = block;
	header->npages = n + 1;
	header->splits++;
}

/*
 * Split the full, exclusively locked leaf in buf while inserting (key, tid).
 * Appends at the right end of the index (ascending keys: the common case)
 * leave the left page at the fillfactor, as nbtree does; other splits
 * divide the entries in half.
 */
static void
learned_split_and_insert(Relation index, Buffer buf, int64 key,
						 ItemPointer tid)
{
	Page		page = BufferGetPage(buf);
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			total = n + 1;
	int64	   *keys = palloc(total * sizeof(int64));
	ItemPointerData *tids = palloc(total * sizeof(ItemPointerData));
	int			pos;
	int			nleft;
	int			i;
	Buffer		newbuf;
	Buffer		rightbuf = InvalidBuffer;
	Buffer		recbuf;
	BlockNumber newblock;
	LearnedFence new_fence;
	GenericXLogState *xlog;
	Page		leftpage;
	Page		newpage;
	Page		recpage;
	LearnedPageOpaque leftopaque;
	LearnedPageOpaque newopaque;

	/* All entries in order, the new one included. */
	learned_leaf_collect(page, PG_INT64_MIN, PG_INT64_MAX, keys, tids);
	pos = n;
	while (pos > 0 &&
		   (keys[pos - 1] > key ||
			(keys[pos - 1] == key && ItemPointerCompare(&tids[pos - 1], tid) > 0)))
	{
		keys[pos] = keys[pos - 1];
		tids[pos] = tids[pos - 1];
		pos--;
	}
	keys[pos] = key;
	tids[pos] = *tid;

	if ((opaque->flags & LEARNED_RIGHTMOST) && pos == n)
		nleft = Min(n, Max(1, LEARNED_LEAF_CAPACITY * learned_get_fillfactor(index) / 100));
	else
		nleft = total / 2;
	new_fence.key = keys[nleft];
	new_fence.tid = tids[nleft];

	/* Lock order: this leaf (held), the new leaf, the right sibling, the record. */
	newbuf = learned_new_buffer(index, MAIN_FORKNUM);
	newblock = BufferGetBlockNumber(newbuf);
	if (opaque->right != InvalidBlockNumber)
	{
		rightbuf = ReadBuffer(index, opaque->right);
		LockBuffer(rightbuf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, rightbuf, LEARNED_PAGE_LEAF);
	}
	recbuf = ReadBuffer(index, opaque->owner_record);
	LockBuffer(recbuf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, recbuf, LEARNED_PAGE_RECORD);

	xlog = GenericXLogStart(index);
	leftpage = GenericXLogRegisterBuffer(xlog, buf, 0);
	newpage = GenericXLogRegisterBuffer(xlog, newbuf, GENERIC_XLOG_FULL_IMAGE);
	recpage = GenericXLogRegisterBuffer(xlog, recbuf, 0);

	/* The new right page takes entries nleft.. and the old high fence. */
	leftopaque = LearnedPageGetOpaque(leftpage);
	learned_init_page(newpage, LEARNED_PAGE_LEAF |
					  (leftopaque->flags & LEARNED_RIGHTMOST));
	newopaque = LearnedPageGetOpaque(newpage);
	newopaque->low_fence = new_fence;
	newopaque->high_fence = leftopaque->high_fence;
	newopaque->left = BufferGetBlockNumber(buf);
	newopaque->right = leftopaque->right;
	newopaque->owner_record = leftopaque->owner_record;
	for (i = nleft; i < total; i++)
	{
		LearnedLeafKeys(newpage)[i - nleft] = keys[i];
		*LearnedLeafTid(newpage, i - nleft) = tids[i];
	}
	learned_leaf_set_count(newpage, total - nleft);
	newopaque->nsorted = total - nleft;

	/* The left page keeps entries ..nleft-1; its low fence never changes. */
	for (i = 0; i < nleft; i++)
	{
		LearnedLeafKeys(leftpage)[i] = keys[i];
		*LearnedLeafTid(leftpage, i) = tids[i];
	}
	learned_leaf_set_count(leftpage, nleft);
	leftopaque->nsorted = nleft;
	leftopaque->high_fence = new_fence;
	leftopaque->right = newblock;
	leftopaque->flags &= ~LEARNED_RIGHTMOST;

	if (BufferIsValid(rightbuf))
	{
		Page		rightpage = GenericXLogRegisterBuffer(xlog, rightbuf, 0);

		LearnedPageGetOpaque(rightpage)->left = newblock;
	}

	learned_record_add_page(recpage, &new_fence, newblock);

	GenericXLogFinish(xlog);

	UnlockReleaseBuffer(recbuf);
	if (BufferIsValid(rightbuf))
		UnlockReleaseBuffer(rightbuf);
	UnlockReleaseBuffer(newbuf);
	pfree(keys);
	pfree(tids);
}

/* Add a TID to the NULL chain: the tail page, or a new one after it. */
static void
learned_insert_null(Relation index, ItemPointer tid)
{
	Buffer		metabuf;
	Buffer		buf;
	Page		page;
	BlockNumber tail;
	GenericXLogState *xlog;
	int			n;

	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_SHARE);
	tail = LearnedPageGetMeta(BufferGetPage(metabuf))->null_tail;
	LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);

	if (tail == InvalidBlockNumber)
	{
		/* The first NULL: create the chain under the metapage's lock. */
		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		tail = LearnedPageGetMeta(BufferGetPage(metabuf))->null_tail;
		if (tail == InvalidBlockNumber)
		{
			LearnedMetaPage meta;

			buf = learned_new_buffer(index, MAIN_FORKNUM);
			xlog = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(xlog, buf, GENERIC_XLOG_FULL_IMAGE);
			meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
			learned_init_page(page, LEARNED_PAGE_NULLS);
			LearnedNullsTids(page)[0] = *tid;
			learned_nulls_set_count(page, 1);
			meta->null_head = meta->null_tail = BufferGetBlockNumber(buf);
			GenericXLogFinish(xlog);
			UnlockReleaseBuffer(buf);
			UnlockReleaseBuffer(metabuf);
			return;
		}
		/* Someone else created it meanwhile. */
		LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);
	}

	/* The tail in the metapage is a hint: the true tail may lie further right. */
	buf = ReadBuffer(index, tail);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, buf, LEARNED_PAGE_NULLS);
	while (LearnedPageGetOpaque(BufferGetPage(buf))->right != InvalidBlockNumber)
	{
		BlockNumber right = LearnedPageGetOpaque(BufferGetPage(buf))->right;

		UnlockReleaseBuffer(buf);
		buf = ReadBuffer(index, right);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, buf, LEARNED_PAGE_NULLS);
	}

	n = LearnedNullsCount(BufferGetPage(buf));
	if (n < LEARNED_NULLS_CAPACITY)
	{
		xlog = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(xlog, buf, 0);
		LearnedNullsTids(page)[n] = *tid;
		learned_nulls_set_count(page, n + 1);
		GenericXLogFinish(xlog);
		UnlockReleaseBuffer(buf);
	}
	else
	{
		Buffer		newbuf = learned_new_buffer(index, MAIN_FORKNUM);
		Page		newpage;
		LearnedMetaPage meta;

		/* Lock order: NULL pages left to right, then the metapage. */
		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		xlog = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(xlog, buf, 0);
		newpage = GenericXLogRegisterBuffer(xlog, newbuf, GENERIC_XLOG_FULL_IMAGE);
		meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
		learned_init_page(newpage, LEARNED_PAGE_NULLS);
		LearnedPageGetOpaque(newpage)->left = BufferGetBlockNumber(buf);
		LearnedNullsTids(newpage)[0] = *tid;
		learned_nulls_set_count(newpage, 1);
		LearnedPageGetOpaque(page)->right = BufferGetBlockNumber(newbuf);
		meta->null_tail = BufferGetBlockNumber(newbuf);
		GenericXLogFinish(xlog);
		UnlockReleaseBuffer(newbuf);
		UnlockReleaseBuffer(buf);
		LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);
	}
	ReleaseBuffer(metabuf);
}

bool
learned_insert(Relation index, Datum *values, bool *isnull,
			   ItemPointer ht_ctid, Relation heapRel,
			   IndexUniqueCheck checkUnique, bool indexUnchanged,
			   IndexInfo *indexInfo)
{
	LearnedSearchKey skey;
	LearnedTarget target;
	Buffer		buf;
	Page		page;
	bool		moved_right = false;

	if (isnull[0])
	{
		learned_insert_null(index, ht_ctid);
		return false;
	}

	skey.key = learned_datum_to_key(values[0], learned_index_keytype(index));
	skey.tid = *ht_ctid;
	skey.mode = LEARNED_SEARCH_EXACT;

	target = learned_cache_locate(index, &skey);
	buf = ReadBuffer(index, target.block);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, buf, LEARNED_PAGE_LEAF);
	page = BufferGetPage(buf);

	/* Lehman-Yao: splits the cache does not know lie to the right. */
	while (learned_search_beyond_page(&skey, page))
	{
		BlockNumber right = LearnedPageGetOpaque(page)->right;

		UnlockReleaseBuffer(buf);
		buf = ReadBuffer(index, right);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, buf, LEARNED_PAGE_LEAF);
		page = BufferGetPage(buf);
		moved_right = true;
	}

	if (LearnedLeafCount(page) < LEARNED_LEAF_CAPACITY)
	{
		GenericXLogState *xlog = GenericXLogStart(index);
		Page		copy = GenericXLogRegisterBuffer(xlog, buf, 0);

		/* A few bytes of WAL, and now and then one merge. */
		learned_leaf_append(copy, skey.key, &skey.tid);
		if (LearnedLeafCount(copy) - LearnedPageGetOpaque(copy)->nsorted >
			LEARNED_LEAF_PENDING_MAX)
			learned_leaf_merge_pending(copy);
		GenericXLogFinish(xlog);
	}
	else
		learned_split_and_insert(index, buf, skey.key, &skey.tid);
	UnlockReleaseBuffer(buf);

	if (moved_right)
		learned_cache_refresh_record(index, target.record);

	return false;
}
