/*-------------------------------------------------------------------------
 *
 * learned_insert.c
 *	  Inserting an entry: find the leaf as a scan does, lock it exclusively
 *	  and append the entry to the leaf's pending entries (merged into the
 *	  sorted ones every LEARNED_LEAF_PENDING_MAX appends).  A full leaf
 *	  splits to a new page linked on its right, and the new page enters its
 *	  record's list in the same WAL record, so the model stays exact without
 *	  retraining; a full list first splits the record, whose new half
 *	  enters its parent one level up (a full directory grows a level).  An
 *	  insert into a unique index first checks the key under the lock of its first leaf
 *	  (learned_unique.c), then moves right to the entry's own place.  A
 *	  full leaf first has its entries of rows dead to everyone removed
 *	  (learned_dead.c), and splits only if that leaves no room.
 *
 * Locks are taken left to right along the leaf chain, then record pages
 * of level 1 left to right, then of level 2, and so on, then the metapage
 * (README invariant 10); nothing locks in another order, so
 * inserts, scans, retraining and VACUUM cannot deadlock.  A leaf split
 * locks the leaf, its right sibling and the record, and only then creates
 * the new leaf, which nobody else can reach yet (learned_split_and_insert).  A leaf split
 * changes at most four pages (the leaf, the new leaf, the old right sibling
 * and the record page), a record split too (the record, the new record, its
 * right neighbour and the parent: a record or the metapage): each is one
 * Generic WAL record.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "learned.h"

/*
 * learned.test_directory_capacity: for tests only.  When not 0, record
 * pages written from then on list at most this many entries, and the
 * metapage's directory at most this many records, so that a test reaches
 * two and three levels of records with a few thousand rows.
 */
static int	learned_test_directory_capacity = 0;

/*
 * learned.grow_wait_lock: for tests that interleave sessions with a level
 * growth.  When not 0, a growth waits, once it has written its new records
 * and before it locks the metapage to switch to them (holding no buffer
 * lock), for the session advisory lock of this key, as
 * learned.retrain_wait_lock does for a retrain.
 */
static int	learned_grow_wait_lock = 0;

void
learned_insert_init(void)
{
	DefineCustomIntVariable("learned.test_directory_capacity",
							"Tests only: caps the entries of new record pages and of the metapage's record directory.",
							"0, the default, caps nothing.  A small cap makes a small index "
							"grow levels of records as a huge one would.",
							&learned_test_directory_capacity,
							0, 0, (int) LEARNED_RECORD_CAPACITY,
							PGC_SUSET, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("learned.grow_wait_lock",
							"Tests only: a level growth waits for the advisory lock of this key before it switches the metapage.",
							"0, the default, waits for nothing.  Another session's pg_advisory_lock(key) "
							"holds a growth back between writing its new records and the switch.",
							&learned_grow_wait_lock,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

/* Wait for the advisory lock learned.grow_wait_lock names, if any. */
static void
learned_grow_wait(void)
{
	LOCKTAG		tag;

	if (learned_grow_wait_lock == 0)
		return;
	/* pg_advisory_lock(int8)'s tag; share mode conflicts with its lock. */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0,
						 (uint32) learned_grow_wait_lock, 1);
	(void) LockAcquire(&tag, ShareLock, false, false);
	LockRelease(&tag, ShareLock, false);
}

/* Entries a record page written now may list. */
uint32
learned_record_capacity(void)
{
	if (learned_test_directory_capacity >= 4)
		return Min((uint32) learned_test_directory_capacity,
				   (uint32) LEARNED_RECORD_CAPACITY);
	return LEARNED_RECORD_CAPACITY;
}

/* Records the metapage's directory may list now. */
uint32
learned_directory_capacity(void)
{
	if (learned_test_directory_capacity >= 4)
		return Min((uint32) learned_test_directory_capacity,
				   (uint32) LEARNED_MAX_RECORDS);
	return LEARNED_MAX_RECORDS;
}

/*
 * Records whose first keys the metapage keeps (learned.h); half the
 * directory under the test setting, so that a test index drops its keys
 * on a record split and gets them back when a level grows.
 */
uint32
learned_keyed_capacity(void)
{
	if (learned_test_directory_capacity >= 4)
		return Min((uint32) learned_test_directory_capacity / 2,
				   (uint32) LEARNED_KEYED_RECORDS);
	return LEARNED_KEYED_RECORDS;
}

/*
 * Fill a model page of the given level with a list of n entries (fence
 * key, fence TID, block) and fit both slots to it.  The caller sets the
 * links.  Level 1 lists leaves, level L >= 2 records of level L - 1.
 */
void
learned_record_write_list(Page page, uint32 level, const int64 *keys,
						  const ItemPointerData *tids,
						  const BlockNumber *blocks, uint32 n,
						  uint32 capacity)
{
	LearnedRecordHeader *header;

	Assert(n >= 1 && n <= capacity && capacity <= LEARNED_RECORD_CAPACITY);
	learned_init_page(page, LEARNED_PAGE_RECORD);
	learned_record_set_level(page, level);
	header = LearnedRecordGetHeader(page);
	memset(header, 0, sizeof(LearnedRecordHeader));
	header->npages = n;
	header->capacity = capacity;
	memcpy(LearnedRecordKeys(page), keys, n * sizeof(int64));
	memcpy(LearnedRecordTids(page), tids, n * sizeof(ItemPointerData));
	memcpy(LearnedRecordBlocks(page), blocks, n * sizeof(BlockNumber));
	learned_record_refit(page, 3);

	/* The whole fixed layout is data: no hole for generic WAL to skip. */
	((PageHeader) page)->pd_lower =
		(char *) (LearnedRecordTids(page) + LEARNED_RECORD_CAPACITY) - (char *) page;
}

/*
 * Insert the new page (low fence, block) into the record page's list, after
 * every fence at or before it: a leaf into a record of level 1, a record
 * into its parent.  Callers have checked that the list has room.
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
		elog(ERROR, "learned: a full record list cannot take block %u", block);

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
 * The record whose key range holds fence, returned locked in mode.  Start
 * at hint (a record of the same level at or left of the right one: a
 * leaf's owner, or what a descent from the metapage found) and move right
 * while the fence is at or beyond the next record's first fence; each
 * level's records form a chain whose first fences never change, like the
 * leaves.
 */
static Buffer
learned_find_record(Relation index, BlockNumber hint,
					const LearnedFence *fence, int mode)
{
	Buffer		buf = ReadBuffer(index, hint);

	LockBuffer(buf, mode);
	learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	for (;;)
	{
		BlockNumber next = LearnedPageGetOpaque(BufferGetPage(buf))->right;
		Buffer		nextbuf;
		LearnedFence next_low;

		if (next == InvalidBlockNumber)
			return buf;
		nextbuf = ReadBuffer(index, next);
		LockBuffer(nextbuf, BUFFER_LOCK_SHARE);
		learned_check_page(index, nextbuf, LEARNED_PAGE_RECORD);
		next_low = learned_record_first_fence(BufferGetPage(nextbuf));
		UnlockReleaseBuffer(nextbuf);
		if (learned_fence_cmp(fence, &next_low) < 0)
			return buf;

		/* Only a split of this record could come between; it is locked. */
		UnlockReleaseBuffer(buf);
		buf = ReadBuffer(index, next);
		LockBuffer(buf, mode);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	}
}

/*
 * Grow a level (README, "Inserts and splits"): the metapage's directory is
 * full and one of its records must split.  Write new records one level up,
 * each listing about half its capacity of the current top-level records,
 * then switch the metapage to them in one WAL record: the directory, its
 * level, a root trained over their first fences and a new generation.
 *
 * No lock is held on entry.  The first fences of the directory's records
 * never change, so they are read before the metapage is locked (never a
 * record page while holding it: README, "Locking"); if the directory has
 * changed when the metapage is locked, the pages written are left
 * unreachable (orphans, harmless) and the caller retries.  Until the switch
 * nothing links to the new pages, so a crash in between leaves only orphans.
 */
static void
learned_grow_level(Relation index)
{
	Buffer		metabuf;
	LearnedMetaPage meta;
	uint32		level;
	uint32		n;
	BlockNumber *children;
	int64	   *keys;
	ItemPointerData *tids;
	uint32		capacity = learned_record_capacity();
	uint32		per_record = Max(capacity / 2, 2);
	uint32		nnew;
	BlockNumber *newblocks;
	int64	   *newkeys;
	RmiRecord  *segments;
	RmiRoot		root;
	GenericXLogState *xlog;
	bool		changed;

	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_SHARE);
	learned_check_page(index, metabuf, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(BufferGetPage(metabuf));
	level = LearnedMetaDirectoryLevel(meta);
	n = meta->nrecords;
	children = palloc(n * sizeof(BlockNumber));
	memcpy(children, meta->records, n * sizeof(BlockNumber));
	LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);

	/* Someone else grew it, or a retrain or split made room meanwhile. */
	if (n < learned_directory_capacity())
	{
		ReleaseBuffer(metabuf);
		pfree(children);
		return;
	}

	keys = palloc(n * sizeof(int64));
	tids = palloc(n * sizeof(ItemPointerData));
	for (uint32 i = 0; i < n; i++)
	{
		Buffer		buf = ReadBuffer(index, children[i]);
		LearnedFence first;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		first = learned_record_first_fence(BufferGetPage(buf));
		UnlockReleaseBuffer(buf);
		keys[i] = first.key;
		tids[i] = first.tid;
	}

	/* The new level, written and logged page by page, linked left to right. */
	nnew = (n + per_record - 1) / per_record;
	newblocks = palloc(nnew * sizeof(BlockNumber));
	newkeys = palloc(nnew * sizeof(int64));
	segments = palloc0(nnew * sizeof(RmiRecord));
	{
		Buffer		prevbuf = InvalidBuffer;

		for (uint32 r = 0; r < nnew; r++)
		{
			uint32		start = r * per_record;
			uint32		count = Min(per_record, n - start);
			Buffer		buf = learned_new_buffer(index, MAIN_FORKNUM);
			Page		page;

			newblocks[r] = BufferGetBlockNumber(buf);
			newkeys[r] = keys[start];
			xlog = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(xlog, buf, GENERIC_XLOG_FULL_IMAGE);
			learned_record_write_list(page, level + 1, keys + start,
									  tids + start, children + start, count,
									  capacity);
			LearnedPageGetOpaque(page)->left =
				BufferIsValid(prevbuf) ? BufferGetBlockNumber(prevbuf) : InvalidBlockNumber;
			learned_record_set_high_fence(page, NULL);
			if (BufferIsValid(prevbuf))
			{
				Page		prevpage = GenericXLogRegisterBuffer(xlog, prevbuf, 0);
				LearnedFence first;

				first.key = keys[start];
				first.tid = tids[start];
				LearnedPageGetOpaque(prevpage)->right = newblocks[r];
				learned_record_set_high_fence(prevpage, &first);
			}
			segments[r] = LearnedRecordGetHeader(page)->fits[0];
			GenericXLogFinish(xlog);
			if (BufferIsValid(prevbuf))
				UnlockReleaseBuffer(prevbuf);
			prevbuf = buf;
		}
		UnlockReleaseBuffer(prevbuf);
	}
	rmi_train_root(&root, segments, nnew, learned_get_root_kinds(index));
	learned_grow_wait();

	/* The switch, if the directory is still the one the new level lists. */
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = LearnedPageGetMeta(BufferGetPage(metabuf));
	changed = LearnedMetaDirectoryLevel(meta) != level ||
		meta->nrecords != n ||
		memcmp(meta->records, children, n * sizeof(BlockNumber)) != 0;
	if (!changed)
	{
		xlog = GenericXLogStart(index);
		meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
		meta->root = root;
		learned_meta_set_directory(meta, newblocks, newkeys, nnew);
		meta->directory_level = level + 1;
		meta->trained_nrecords = nnew;
		meta->generation++;
		GenericXLogFinish(xlog);
	}
	UnlockReleaseBuffer(metabuf);
	learned_cache_reset(index);

	pfree(children);
	pfree(keys);
	pfree(tids);
	pfree(newblocks);
	pfree(newkeys);
	pfree(segments);
}

/*
 * Make room in the full record whose range holds incoming, at the level of
 * the record at recblock (a hint at or left of it): split it in two, the
 * upper part of its list moving to a new model page linked on its right.
 * The new record enters its parent (README, "Inserts and splits"): the
 * metapage's directory for a record of the top level, the record of the
 * level above whose range holds its first fence otherwise, in the same WAL
 * record (the record, the new record, its right neighbour's left link, the
 * parent).  A full parent splits first, and a full directory grows a level
 * first (learned_grow_level); then the split starts over.  Returns once the
 * record has room, whoever made it.
 *
 * When the directory takes the new record, the root keeps its
 * coefficients; records after this one are numbered one higher now, so
 * both error bounds widen by one and the window still holds every route.
 * The generation goes up, so other backends reload their caches the next
 * time a lookup has to move right.
 *
 * Growth at the right end (ascending keys) splits the last record unevenly,
 * leaving it nine-tenths full, as leaves are split there.
 *
 * Locks (README, "Locking"): the record and its right neighbour, then the
 * parent (a record one level up, found by a descent that share-locks only
 * records of higher levels, one at a time) or the metapage.
 */
static void
learned_record_split(Relation index, BlockNumber recblock,
					 const LearnedFence *incoming)
{
	for (;;)
	{
		Buffer		recbuf;
		Buffer		newbuf;
		Buffer		nextbuf = InvalidBuffer;
		Buffer		parentbuf = InvalidBuffer;
		Buffer		metabuf = InvalidBuffer;
		Page		recpage;
		Page		newpage;
		LearnedRecordHeader *header;
		LearnedRecordHeader *newheader;
		LearnedMetaPage meta;
		LearnedPageOpaque recopaque;
		GenericXLogState *xlog;
		uint32		n;
		uint32		nkeep;
		uint32		nmove;
		uint32		level;
		uint32		directory_level;
		uint32		position = 0;
		bool		listed = false;
		BlockNumber newblock;
		LearnedFence newfence;

		recbuf = learned_find_record(index, recblock, incoming,
									 BUFFER_LOCK_EXCLUSIVE);
		recpage = BufferGetPage(recbuf);
		header = LearnedRecordGetHeader(recpage);
		if (header->npages < header->capacity)
		{
			/* Someone split it meanwhile. */
			UnlockReleaseBuffer(recbuf);
			return;
		}
		level = learned_record_level(recpage);
		recopaque = LearnedPageGetOpaque(recpage);
		if (recopaque->right != InvalidBlockNumber)
		{
			nextbuf = ReadBuffer(index, recopaque->right);
			LockBuffer(nextbuf, BUFFER_LOCK_EXCLUSIVE);
			learned_check_page(index, nextbuf, LEARNED_PAGE_RECORD);
		}

		n = header->npages;
		{
			LearnedFence last;

			last.key = LearnedRecordKeys(recpage)[n - 1];
			last.tid = LearnedRecordTids(recpage)[n - 1];
			if (!BufferIsValid(nextbuf) && learned_fence_cmp(incoming, &last) > 0)
				nkeep = n - Max(n / 10, 1);
			else
				nkeep = n / 2;
		}
		nmove = n - nkeep;
		newfence.key = LearnedRecordKeys(recpage)[nkeep];
		newfence.tid = LearnedRecordTids(recpage)[nkeep];

		/*
		 * Records, then the metapage: the lock order allows this.  Only a
		 * record of the top level changes the metapage (its directory), so
		 * only then is it locked exclusively; the level is read again under
		 * that lock, a level having maybe grown in between.
		 */
		metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
		LockBuffer(metabuf, BUFFER_LOCK_SHARE);
		learned_check_page(index, metabuf, LEARNED_PAGE_META);
		directory_level =
			LearnedMetaDirectoryLevel(LearnedPageGetMeta(BufferGetPage(metabuf)));
		if (level >= directory_level)
		{
			LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);
			LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
			directory_level =
				LearnedMetaDirectoryLevel(LearnedPageGetMeta(BufferGetPage(metabuf)));
		}
		meta = LearnedPageGetMeta(BufferGetPage(metabuf));
		if (level >= directory_level)
		{
			for (uint32 j = 0; j < meta->nrecords; j++)
				if (meta->records[j] == BufferGetBlockNumber(recbuf))
				{
					position = j;
					listed = true;
				}
			if (!listed)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" block %u: a record of the top level is not in the metapage's directory",
								RelationGetRelationName(index),
								BufferGetBlockNumber(recbuf)),
						 errhint("Please REINDEX it.")));
			if (meta->nrecords >= learned_directory_capacity())
			{
				/* The directory is full: grow a level, then start over. */
				UnlockReleaseBuffer(metabuf);
				if (BufferIsValid(nextbuf))
					UnlockReleaseBuffer(nextbuf);
				UnlockReleaseBuffer(recbuf);
				learned_grow_level(index);
				continue;
			}
		}
		else
		{
			LearnedSearchKey pkey;
			BlockNumber hint;
			LearnedRecordHeader *pheader;

			/*
			 * The parent: a record one level up.  Never lock a record page
			 * while holding the metapage.
			 */
			UnlockReleaseBuffer(metabuf);
			metabuf = InvalidBuffer;
			pkey.key = newfence.key;
			pkey.tid = newfence.tid;
			pkey.mode = LEARNED_SEARCH_EXACT;
			hint = learned_cache_descend(index, &pkey, level + 1);
			parentbuf = learned_find_record(index, hint, &newfence,
											BUFFER_LOCK_EXCLUSIVE);
			if (learned_record_level(BufferGetPage(parentbuf)) != level + 1)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" block %u: a record of level %u where level %u was expected",
								RelationGetRelationName(index),
								BufferGetBlockNumber(parentbuf),
								learned_record_level(BufferGetPage(parentbuf)),
								level + 1),
						 errhint("Please REINDEX it.")));
			pheader = LearnedRecordGetHeader(BufferGetPage(parentbuf));
			if (pheader->npages >= pheader->capacity)
			{
				/* The parent is full: split it first, then start over. */
				BlockNumber parentblock = BufferGetBlockNumber(parentbuf);

				UnlockReleaseBuffer(parentbuf);
				if (BufferIsValid(nextbuf))
					UnlockReleaseBuffer(nextbuf);
				UnlockReleaseBuffer(recbuf);
				learned_record_split(index, parentblock, &newfence);
				continue;
			}
		}

		newbuf = learned_new_buffer(index, MAIN_FORKNUM);
		newblock = BufferGetBlockNumber(newbuf);

		xlog = GenericXLogStart(index);
		recpage = GenericXLogRegisterBuffer(xlog, recbuf, 0);
		newpage = GenericXLogRegisterBuffer(xlog, newbuf, GENERIC_XLOG_FULL_IMAGE);
		header = LearnedRecordGetHeader(recpage);

		learned_init_page(newpage, LEARNED_PAGE_RECORD);
		learned_record_set_level(newpage, level);
		((PageHeader) newpage)->pd_lower = ((PageHeader) recpage)->pd_lower;
		newheader = LearnedRecordGetHeader(newpage);
		memset(newheader, 0, sizeof(LearnedRecordHeader));
		newheader->capacity = learned_record_capacity();
		newheader->npages = nmove;
		memcpy(LearnedRecordKeys(newpage), LearnedRecordKeys(recpage) + nkeep,
			   nmove * sizeof(int64));
		memcpy(LearnedRecordTids(newpage), LearnedRecordTids(recpage) + nkeep,
			   nmove * sizeof(ItemPointerData));
		memcpy(LearnedRecordBlocks(newpage), LearnedRecordBlocks(recpage) + nkeep,
			   nmove * sizeof(BlockNumber));
		learned_record_refit(newpage, 3);

		header->npages = nkeep;
		learned_record_refit(recpage, 3);

		/*
		 * Links, and both high fences: the new record ends where the old one
		 * did (at its right neighbour's first fence, locked here), the old
		 * one where the new one starts.
		 */
		recopaque = LearnedPageGetOpaque(recpage);
		LearnedPageGetOpaque(newpage)->left = BufferGetBlockNumber(recbuf);
		LearnedPageGetOpaque(newpage)->right = recopaque->right;
		recopaque->right = newblock;
		learned_record_set_high_fence(recpage, &newfence);
		if (BufferIsValid(nextbuf))
		{
			Page		nextpage = GenericXLogRegisterBuffer(xlog, nextbuf, 0);
			LearnedFence next_first = learned_record_first_fence(nextpage);

			LearnedPageGetOpaque(nextpage)->left = newblock;
			learned_record_set_high_fence(newpage, &next_first);
		}
		else
			learned_record_set_high_fence(newpage, NULL);

		if (BufferIsValid(parentbuf))
		{
			Page		parentpage = GenericXLogRegisterBuffer(xlog, parentbuf, 0);

			learned_record_add_page(parentpage, &newfence, newblock);
		}
		else
		{
			meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
			learned_meta_add_record(meta, position, newblock, newfence.key);
			meta->root.nrecords++;
			meta->root.err_lo++;
			meta->root.err_hi++;
			meta->generation++;
		}

		GenericXLogFinish(xlog);

		if (BufferIsValid(metabuf))
			UnlockReleaseBuffer(metabuf);
		if (BufferIsValid(parentbuf))
			UnlockReleaseBuffer(parentbuf);
		UnlockReleaseBuffer(newbuf);
		if (BufferIsValid(nextbuf))
			UnlockReleaseBuffer(nextbuf);
		UnlockReleaseBuffer(recbuf);
		return;
	}
}

/*
 * Split the full, exclusively locked leaf in buf while inserting (key, tid).
 * learned_split_plan (learned_format.c) chooses the split point, the fence
 * and both pages' formats, and shows that some split point always fits: a
 * new entry after every entry of the page (ascending keys: the common case,
 * at the right end of the index, or where a gap in the keys falls on a page
 * boundary) leaves the left page at the fillfactor where the new page can
 * take the rest, as nbtree does at the right end; other splits divide the
 * entries in half where both halves fit.
 *
 * If the record that must list the new page is full, nothing is changed:
 * *full_record is set and false returned, so that the caller can split the
 * record (which needs no leaf locks) and try again.  No split leaves its
 * new page unlisted (README invariant 8).
 *
 * Locks: this leaf (held), its right sibling, then the record, all
 * exclusive and left to right as everywhere (the file header); the record
 * is checked for room under that lock and kept until the split is logged,
 * so no concurrent split can take its last slot in between.  Only then is
 * the new leaf allocated (learned_new_buffer returns it locked): nothing
 * is allocated when the record turns out full, and taking the new page's
 * lock last cannot deadlock, because no other backend can reach a page
 * that no link or list points to yet.  (Extending the relation takes the
 * relation extension lock under these buffer locks, as a record split
 * does; whoever holds that lock waits for no buffer lock but the new
 * page's own.)
 */
static bool
learned_split_and_insert(Relation index, Buffer buf, int64 key,
						 ItemPointer tid, BlockNumber *full_record)
{
	Page		page = BufferGetPage(buf);
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			n = LearnedLeafCount(page);
	int			total = n + 1;
	int64	   *keys = palloc(total * sizeof(int64));
	ItemPointerData *tids = palloc(total * sizeof(ItemPointerData));
	int			pos;
	int			nleft;
	Buffer		newbuf;
	Buffer		rightbuf = InvalidBuffer;
	Buffer		recbuf;
	BlockNumber newblock;
	LearnedSplitPlan plan;
	GenericXLogState *xlog;
	Page		leftpage;
	Page		newpage;
	Page		recpage;
	LearnedRecordHeader *recheader;
	LearnedPageOpaque leftopaque;
	LearnedPageOpaque newopaque;

	/* All entries in order, the new one included. */
	learned_leaf_collect(page, PG_INT64_MIN, PG_INT64_MAX, keys, tids);
	pos = n;
	while (pos > 0 && learned_entry_cmp(keys[pos - 1], &tids[pos - 1], key, tid) > 0)
	{
		keys[pos] = keys[pos - 1];
		tids[pos] = tids[pos - 1];
		pos--;
	}
	keys[pos] = key;
	tids[pos] = *tid;

	/* Fails only for entries no valid leaf holds (learned_split_plan). */
	if (!learned_split_plan(keys, tids, total, pos, learned_leaf_base(page),
							(opaque->flags & LEARNED_RIGHTMOST) != 0,
							opaque->high_fence.key,
							learned_get_fillfactor(index), &plan))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains a leaf at block %u whose entries cannot be split",
						RelationGetRelationName(index),
						BufferGetBlockNumber(buf)),
				 errhint("Please REINDEX it.")));
	nleft = plan.nleft;

	if (opaque->right != InvalidBlockNumber)
	{
		rightbuf = ReadBuffer(index, opaque->right);
		LockBuffer(rightbuf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, rightbuf, LEARNED_PAGE_LEAF);
	}
	recbuf = learned_find_record(index, opaque->owner_record, &plan.fence,
								 BUFFER_LOCK_EXCLUSIVE);
	recheader = LearnedRecordGetHeader(BufferGetPage(recbuf));
	if (recheader->npages >= recheader->capacity)
	{
		*full_record = BufferGetBlockNumber(recbuf);
		UnlockReleaseBuffer(recbuf);
		if (BufferIsValid(rightbuf))
			UnlockReleaseBuffer(rightbuf);
		pfree(keys);
		pfree(tids);
		return false;
	}
	newbuf = learned_new_buffer(index, MAIN_FORKNUM);
	newblock = BufferGetBlockNumber(newbuf);

	xlog = GenericXLogStart(index);
	leftpage = GenericXLogRegisterBuffer(xlog, buf, 0);
	newpage = GenericXLogRegisterBuffer(xlog, newbuf, GENERIC_XLOG_FULL_IMAGE);
	recpage = GenericXLogRegisterBuffer(xlog, recbuf, 0);

	/* The new right page takes entries nleft.. and the old high fence. */
	leftopaque = LearnedPageGetOpaque(leftpage);
	learned_init_page(newpage, LEARNED_PAGE_LEAF |
					  (leftopaque->flags & LEARNED_RIGHTMOST));
	newopaque = LearnedPageGetOpaque(newpage);
	newopaque->low_fence = plan.fence;
	newopaque->high_fence = leftopaque->high_fence;
	newopaque->left = BufferGetBlockNumber(buf);
	newopaque->right = leftopaque->right;
	newopaque->owner_record = BufferGetBlockNumber(recbuf);
	learned_leaf_write(newpage, &plan.right_format, keys + nleft, tids + nleft,
					   total - nleft);

	/* The left page keeps entries ..nleft-1; its low fence never changes. */
	leftopaque->flags &= ~LEARNED_RIGHTMOST;
	learned_leaf_write(leftpage, &plan.left_format, keys, tids, nleft);
	leftopaque->high_fence = plan.fence;
	leftopaque->right = newblock;

	if (BufferIsValid(rightbuf))
	{
		Page		rightpage = GenericXLogRegisterBuffer(xlog, rightbuf, 0);

		LearnedPageGetOpaque(rightpage)->left = newblock;
	}

	learned_record_add_page(recpage, &plan.fence, newblock);

	GenericXLogFinish(xlog);

	/* The next ascending key goes to the new rightmost leaf. */
	if (LearnedPageGetOpaque(BufferGetPage(newbuf))->flags & LEARNED_RIGHTMOST)
		RelationSetTargetBlock(index, newblock);

	UnlockReleaseBuffer(recbuf);
	if (BufferIsValid(rightbuf))
		UnlockReleaseBuffer(rightbuf);
	UnlockReleaseBuffer(newbuf);
	pfree(keys);
	pfree(tids);
	return true;
}

/*
 * Append a TID to the NULL chain's last page, locked exclusively in buf:
 * there, or on a new page linked after it.  Releases buf.
 */
void
learned_nulls_append_at_tail(Relation index, Buffer buf, ItemPointer tid)
{
	Buffer		metabuf;
	Buffer		newbuf;
	Page		page;
	Page		newpage;
	LearnedMetaPage meta;
	GenericXLogState *xlog;
	int			n;

	Assert(LearnedPageGetOpaque(BufferGetPage(buf))->right == InvalidBlockNumber);
	n = LearnedNullsCount(BufferGetPage(buf));
	if (n < LEARNED_NULLS_CAPACITY)
	{
		learned_nulls_append_logged(index, buf, tid);
		UnlockReleaseBuffer(buf);
		return;
	}

	/* Lock order: NULL pages left to right, then the metapage. */
	newbuf = learned_new_buffer(index, MAIN_FORKNUM);
	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
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
	UnlockReleaseBuffer(metabuf);
}

/*
 * Start the NULL chain with one TID, under the metapage's exclusive lock
 * (held in metabuf, which stays locked); null_head must be invalid.
 */
void
learned_nulls_create(Relation index, Buffer metabuf, ItemPointer tid)
{
	Buffer		buf = learned_new_buffer(index, MAIN_FORKNUM);
	GenericXLogState *xlog = GenericXLogStart(index);
	Page		page;
	LearnedMetaPage meta;

	page = GenericXLogRegisterBuffer(xlog, buf, GENERIC_XLOG_FULL_IMAGE);
	meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
	Assert(meta->null_head == InvalidBlockNumber);
	learned_init_page(page, LEARNED_PAGE_NULLS);
	LearnedNullsTids(page)[0] = *tid;
	learned_nulls_set_count(page, 1);
	meta->null_head = meta->null_tail = BufferGetBlockNumber(buf);
	GenericXLogFinish(xlog);
	UnlockReleaseBuffer(buf);
}

/* Add a TID to the NULL chain: the tail page, or a new one after it. */
void
learned_insert_null(Relation index, ItemPointer tid)
{
	Buffer		metabuf;
	Buffer		buf;
	BlockNumber tail;

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
			learned_nulls_create(index, metabuf, tid);
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

	ReleaseBuffer(metabuf);
	learned_nulls_append_at_tail(index, buf, tid);
}

/*
 * The rightmost leaf this backend last inserted into, if skey belongs
 * there: returned locked exclusively, else InvalidBuffer.  Ascending keys
 * (ids from a sequence, timestamps) all go to the rightmost leaf, and
 * remembering it spares each insert the model's lookup, as nbtree's
 * fastpath does.  The leaf is the target if it is still the rightmost one
 * and skey is at or after its low fence: it holds everything from there
 * on.  The block is only a hint kept with the relation's storage (a new
 * relation file forgets it); a leaf stays a leaf, and the flags are
 * tested before anything else is read from the page.
 */
static Buffer
learned_insert_rightmost(Relation index, const LearnedSearchKey *skey)
{
	BlockNumber block = RelationGetTargetBlock(index);
	Buffer		buf;
	LearnedPageOpaque opaque;

	if (block == InvalidBlockNumber)
		return InvalidBuffer;
	buf = ReadBuffer(index, block);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	opaque = LearnedPageGetOpaque(BufferGetPage(buf));
	if ((opaque->flags & (LEARNED_PAGE_LEAF | LEARNED_RIGHTMOST)) ==
		(LEARNED_PAGE_LEAF | LEARNED_RIGHTMOST))
	{
		learned_check_page(index, buf, LEARNED_PAGE_LEAF);
		if ((opaque->flags & LEARNED_LEFTMOST) ||
			learned_search_cmp(skey, opaque->low_fence.key,
							   &opaque->low_fence.tid) >= 0)
			return buf;
	}
	UnlockReleaseBuffer(buf);
	RelationSetTargetBlock(index, InvalidBlockNumber);
	return InvalidBuffer;
}

/*
 * Find the leaf where skey belongs and return it locked exclusively: start
 * where the model says, then move right past splits the cache does not know
 * (Lehman-Yao).  *target is where the model pointed; *moved_right is set if
 * the search had to move right, so that the caller refreshes that record
 * once it has released the leaf.  The rightmost leaf, where ascending keys
 * go, is remembered and tried first (learned_insert_rightmost).
 */
Buffer
learned_insert_find_leaf(Relation index, const LearnedSearchKey *skey,
						 LearnedTarget *target, bool *moved_right)
{
	Buffer		buf;
	Page		page;
	int			moves = 0;

	buf = learned_insert_rightmost(index, skey);
	if (BufferIsValid(buf))
	{
		/* No model lookup and no move: *moved_right stays false. */
		target->block = BufferGetBlockNumber(buf);
		target->record = 0;
		target->npath = 0;
		return buf;
	}

	*target = learned_cache_locate(index, skey);
	buf = ReadBuffer(index, target->block);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, buf, LEARNED_PAGE_LEAF);
	page = BufferGetPage(buf);

	while (learned_search_beyond_page(skey, page))
	{
		BlockNumber right = LearnedPageGetOpaque(page)->right;

		UnlockReleaseBuffer(buf);
		if (++moves == LEARNED_MOVES_BEFORE_REFRESH)
		{
			/* Many splits since the cache read this record: reread it. */
			learned_cache_refresh(index, target);
			*target = learned_cache_locate(index, skey);
			right = target->block;
		}
		buf = ReadBuffer(index, right);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, buf, LEARNED_PAGE_LEAF);
		page = BufferGetPage(buf);
		*moved_right = true;
	}
	if (LearnedPageGetOpaque(page)->flags & LEARNED_RIGHTMOST)
		RelationSetTargetBlock(index, BufferGetBlockNumber(buf));
	return buf;
}

/*
 * Move right from the exclusively locked leaf in buf to the leaf where
 * skey belongs, coupling locks: the next leaf is locked before this one is
 * released.  A uniqueness check ends on the first leaf of its key, and the
 * new entry's own place may lie further right among equal keys; coupling
 * keeps a concurrent check of the same key, which starts on that first leaf
 * and walks right, from passing the place before the entry is there.
 */
Buffer
learned_insert_step_right(Relation index, Buffer buf,
						  const LearnedSearchKey *skey)
{
	while (learned_search_beyond_page(skey, BufferGetPage(buf)))
	{
		Buffer		next = ReadBuffer(index,
									  LearnedPageGetOpaque(BufferGetPage(buf))->right);

		LockBuffer(next, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, next, LEARNED_PAGE_LEAF);
		UnlockReleaseBuffer(buf);
		buf = next;
	}
	return buf;
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
	bool		is_unique = true;
	bool		inserted = false;
	bool		tried_removal = false;
	LearnedKnownDead known_dead;

	if (isnull[0])
	{
		/*
		 * NULL equals nothing, not even NULL, unless the unique index says
		 * NULLS NOT DISTINCT: then the NULL chain is checked like a key.
		 */
		if (checkUnique != UNIQUE_CHECK_NO &&
			index->rd_index->indnullsnotdistinct)
			return learned_unique_insert_null(index, values, isnull, ht_ctid,
											  heapRel, checkUnique);
		if (checkUnique != UNIQUE_CHECK_EXISTING)
			learned_insert_null(index, ht_ctid);
		return true;
	}

	known_dead.n = 0;
	skey.key = learned_datum_to_key(values[0], learned_index_keytype(index));
	skey.tid = *ht_ctid;
	skey.mode = LEARNED_SEARCH_EXACT;

	for (;;)
	{
		BlockNumber full_record;
		LearnedFence incoming;
		int			count;
		bool		fits;
		LearnedLeafFormat format;

		if (checkUnique != UNIQUE_CHECK_NO)
		{
			/*
			 * Check under the lock of the key's first leaf (waiting for
			 * in-progress conflicts with no lock held), then move to the
			 * entry's own place still holding a lock.  A recheck of an
			 * existing entry inserts nothing.
			 */
			buf = learned_unique_check(index, values, isnull, skey.key,
									   ht_ctid, heapRel, checkUnique,
									   &is_unique, &target, &moved_right,
									   &known_dead);
			if (checkUnique == UNIQUE_CHECK_EXISTING)
				break;
			buf = learned_insert_step_right(index, buf, &skey);
		}
		else
			buf = learned_insert_find_leaf(index, &skey, &target,
										   &moved_right);
		page = BufferGetPage(buf);

		/*
		 * Append if there is room; if not, remove dead entries once (still
		 * under this leaf's lock) and look again before splitting.
		 */
		for (;;)
		{
			count = LearnedLeafCount(page);
			fits = learned_leaf_fits(page, skey.key, &skey.tid);
			if (count < LearnedLeafCapacity(page) && fits &&
				LearnedLeafUnsorted(page) < LEARNED_LEAF_PENDING_MAX)
			{
				/* The common case: a few bytes changed, logged directly. */
				learned_leaf_append_logged(index, buf, skey.key, &skey.tid);
				inserted = true;
				break;
			}
			format = *LearnedLeafFormatOf(page);
			if (!fits)
				learned_leaf_format_add(&format, learned_leaf_base(page),
										skey.key, &skey.tid);
			if (count < learned_leaf_format_capacity(&format))
			{
				/*
				 * Every LEARNED_LEAF_PENDING_MAX appends, one merge.  A leaf
				 * whose format cannot hold the key (a rightmost leaf's key
				 * beyond its range) or the TID (a heap block past its width)
				 * widens while its entries fit the wider format: splitting it
				 * instead would leave it sparsely filled for good when keys
				 * ascend in steps that cross its range after a few entries.
				 */
				GenericXLogState *xlog = GenericXLogStart(index);
				Page		copy = GenericXLogRegisterBuffer(xlog, buf, 0);

				if (!fits)
					learned_leaf_reformat(copy, &format);
				learned_leaf_append(copy, skey.key, &skey.tid);
				if (LearnedLeafUnsorted(copy) > LEARNED_LEAF_PENDING_MAX)
					learned_leaf_merge_pending(copy);
				GenericXLogFinish(xlog);
				inserted = true;
				break;
			}

			/*
			 * Full: before splitting, remove the entries the heap says are
			 * dead to everyone, if the leaf is marked as holding some or the
			 * new entry is a version of a row already here (README, "Dead
			 * entries").
			 */
			if (tried_removal ||
				!learned_dead_remove(index, heapRel, buf, skey.key,
									 indexUnchanged, &known_dead))
				break;
			tried_removal = true;
		}
		if (inserted)
			break;
		if (learned_split_and_insert(index, buf, skey.key, &skey.tid,
									 &full_record))
			break;

		/*
		 * The record that must list the new leaf is full: split the record
		 * (with no leaf locked) and start over.  Our own cache is stale now.
		 */
		incoming.key = skey.key;
		incoming.tid = skey.tid;
		UnlockReleaseBuffer(buf);
		learned_record_split(index, full_record, &incoming);
		learned_cache_reset(index);
	}
	UnlockReleaseBuffer(buf);

	if (moved_right)
		learned_cache_refresh(index, &target);

	/* Only UNIQUE_CHECK_PARTIAL callers look: false means a possible conflict. */
	return is_unique;
}
