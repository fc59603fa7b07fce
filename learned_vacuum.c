/*-------------------------------------------------------------------------
 *
 * learned_vacuum.c
 *	  VACUUM support: remove the entries of dead heap tuples from leaf and
 *	  NULL pages, and report the index's size and entry count.
 *
 * One pass reads every block in physical order.  Leaf and NULL pages are
 * compacted in place under a cleanup lock (a leaf's pending entries are
 * merged into its sorted ones at the same time); model pages and the
 * metapage are left alone.  A page is emptied, never unlinked or freed: the leaf chain
 * and every low fence stay as they are (README invariants 1 and 11), and later
 * inserts into the page's key range reuse its space.  The model is not
 * retrained here.
 *
 * Why physical order is enough.  A split moves entries only to a page it
 * adds at the end of the relation, so an entry can move from a block we have
 * not read yet to another we have not read yet, never behind us; reading the
 * block count again when the pass reaches it catches the pages added
 * meanwhile.
 *
 * Why a cleanup lock.  An index-only scan keeps its pin on a leaf while it
 * returns the entries it copied from it.  Waiting until ours is the only pin
 * means no scan can still return an entry removed here after VACUUM marks
 * the heap item unused and another tuple takes its place.  On a hot standby
 * the replay must wait the same way: with the library preloaded, removals
 * are logged with the learned resource manager, whose redo takes a cleanup
 * lock (learned_xlog.c); without it, as generic WAL, and servers in
 * recovery offer no index-only scans (learned_vacuum_note_wal below).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/parallel.h"
#include "access/xlog.h"
#include "access/generic_xlog.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "pgstat.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "learned.h"


/* What one pass over the index needs. */
typedef struct LearnedVacuumState
{
	IndexVacuumInfo *info;
	IndexBulkDeleteResult *stats;
	IndexBulkDeleteCallback callback;	/* NULL: only count the entries */
	void	   *callback_state;
} LearnedVacuumState;

/*
 * Number of blocks, read under the extension lock: a backend adding a page
 * holds that lock until it has locked the new buffer, so every block below
 * the count we get is either initialised or will be by the time its buffer
 * lock is ours.  A page that is still new after that was left by a crash.
 */
static BlockNumber
learned_vacuum_nblocks(Relation index)
{
	bool		needLock = !RELATION_IS_LOCAL(index);
	BlockNumber nblocks;

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	nblocks = RelationGetNumberOfBlocks(index);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
	return nblocks;
}

static void
learned_vacuum_corrupt_count(Relation index, Buffer buf, int count)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" block %u: entry count %d out of range",
					RelationGetRelationName(index),
					BufferGetBlockNumber(buf), count),
			 errhint("Please REINDEX it.")));
}

/*
 * Remove the dead entries of a leaf locked for cleanup (or, when only
 * counting, share-locked), keeping the live ones in order, and merge the
 * pending entries into the sorted ones while the page is being rewritten
 * anyway: a leaf VACUUM has cleaned is fully sorted, so searches of it need
 * not scan a pending tail.
 */
static void
learned_vacuum_leaf(LearnedVacuumState *vstate, Buffer buf)
{
	Relation	index = vstate->info->index;
	Page		page = BufferGetPage(buf);
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	int			nentries = LearnedLeafCount(page);
	bool		dead[LEARNED_LEAF_MAX_CAPACITY];
	int			ndead = 0;

	if (nentries < 0 || nentries > LearnedLeafCapacity(page) ||
		opaque->nsorted + opaque->nrecent > nentries ||
		opaque->nrecent > LEARNED_LEAF_RECENT_MAX ||
		LearnedLeafUnsorted(page) > LEARNED_LEAF_PENDING_MAX)
		learned_vacuum_corrupt_count(index, buf, nentries);

	if (vstate->callback != NULL)
	{
		/* Ask about each entry once, before touching the page. */
		for (int i = 0; i < nentries; i++)
		{
			ItemPointerData tid = learned_leaf_tid(page, i);

			dead[i] = vstate->callback(&tid, vstate->callback_state);
			if (dead[i])
				ndead++;
		}

		if (ndead > 0 || opaque->nsorted < nentries)
		{
			if (learned_rmgr_registered)
			{
				uint16		positions[LEARNED_LEAF_MAX_CAPACITY];
				int			npositions = 0;

				for (int i = 0; i < nentries; i++)
				{
					if (dead[i])
						positions[npositions++] = i;
				}
				learned_vacuum_log(index, buf, positions, npositions);
			}
			else
			{
				GenericXLogState *xlog;
				Page		copy;

				xlog = GenericXLogStart(index);
				copy = GenericXLogRegisterBuffer(xlog, buf, 0);
				if (ndead > 0)
					learned_leaf_remove(copy, dead);
				learned_leaf_merge_all(copy);
				LearnedPageGetOpaque(copy)->flags &= ~LEARNED_LEAF_HAS_DEAD;
				GenericXLogFinish(xlog);
			}
		}
	}

	vstate->stats->tuples_removed += ndead;
	vstate->stats->num_index_tuples += nentries - ndead;
}

/* The same for a NULL page, whose only contents are heap TIDs. */
static void
learned_vacuum_nulls(LearnedVacuumState *vstate, Buffer buf)
{
	Relation	index = vstate->info->index;
	Page		page = BufferGetPage(buf);
	int			ntids = LearnedNullsCount(page);
	bool		dead[LEARNED_NULLS_CAPACITY];
	int			ndead = 0;

	if (ntids < 0 || ntids > (int) LEARNED_NULLS_CAPACITY)
		learned_vacuum_corrupt_count(index, buf, ntids);

	if (vstate->callback != NULL)
	{
		ItemPointer tids = LearnedNullsTids(page);

		for (int i = 0; i < ntids; i++)
		{
			dead[i] = vstate->callback(&tids[i], vstate->callback_state);
			if (dead[i])
				ndead++;
		}
	}

	if (ndead > 0 && learned_rmgr_registered)
	{
		uint16		positions[LEARNED_NULLS_CAPACITY];
		int			npositions = 0;

		for (int i = 0; i < ntids; i++)
		{
			if (dead[i])
				positions[npositions++] = i;
		}
		learned_vacuum_log(index, buf, positions, npositions);
	}
	else if (ndead > 0)
	{
		GenericXLogState *xlog;
		Page		copy;
		ItemPointer tids;
		int			kept = 0;

		xlog = GenericXLogStart(index);
		copy = GenericXLogRegisterBuffer(xlog, buf, 0);
		tids = LearnedNullsTids(copy);
		for (int i = 0; i < ntids; i++)
		{
			if (!dead[i])
				tids[kept++] = tids[i];
		}
		learned_nulls_set_count(copy, kept);
		GenericXLogFinish(xlog);
	}

	vstate->stats->tuples_removed += ndead;
	vstate->stats->num_index_tuples += ntids - ndead;
}

/* Visit one block: leaf and NULL pages are cleaned, the rest skipped. */
static void
learned_vacuum_page(LearnedVacuumState *vstate, BlockNumber blkno)
{
	Relation	index = vstate->info->index;
	Buffer		buf;
	Page		page;
	uint16		flags;

	buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
							 vstate->info->strategy);

	/*
	 * Look at the page kind under a share lock first, so that only the
	 * pages we change wait for a cleanup lock.  A leaf stays a leaf and a
	 * NULL page a NULL page, so the kind cannot change once we have seen it.
	 */
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (PageIsNew(page))
	{
		/* An extension a crash interrupted: nothing in it, nothing links it. */
		UnlockReleaseBuffer(buf);
		return;
	}
	learned_check_page(index, buf, LEARNED_ANY_PAGE);
	flags = LearnedPageGetOpaque(page)->flags;
	if ((flags & (LEARNED_PAGE_LEAF | LEARNED_PAGE_NULLS)) == 0)
	{
		UnlockReleaseBuffer(buf);
		return;
	}

	if (vstate->callback != NULL)
	{
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		LockBufferForCleanup(buf);
	}

	if (flags & LEARNED_PAGE_LEAF)
		learned_vacuum_leaf(vstate, buf);
	else
		learned_vacuum_nulls(vstate, buf);

	UnlockReleaseBuffer(buf);
}

/*
 * One pass over every block.  With a callback, remove the entries it calls
 * dead; without, only count.  Either way the counts describe the whole
 * index afterwards, so they start from zero on each pass (a VACUUM may call
 * bulkdelete several times); tuples_removed accumulates over the passes.
 */
static void
learned_vacuum_scan(LearnedVacuumState *vstate)
{
	BlockNumber blkno = LEARNED_METAPAGE_BLKNO + 1;
	BlockNumber nblocks;

	vstate->stats->num_index_tuples = 0;
	vstate->stats->estimated_count = false;

	for (;;)
	{
		nblocks = learned_vacuum_nblocks(vstate->info->index);
		if (vstate->info->report_progress)
			pgstat_progress_update_param(PROGRESS_SCAN_BLOCKS_TOTAL, nblocks);
		if (blkno >= nblocks)
			break;
		for (; blkno < nblocks; blkno++)
		{
#if PG_VERSION_NUM >= 180000
			vacuum_delay_point(false);
#else
			vacuum_delay_point();
#endif
			learned_vacuum_page(vstate, blkno);
			if (vstate->info->report_progress)
				pgstat_progress_update_param(PROGRESS_SCAN_BLOCKS_DONE,
											 blkno + 1);
		}
	}

	/* Pages are never freed: all of them remain, none is reusable as such. */
	vstate->stats->num_pages = nblocks;
	vstate->stats->pages_deleted = 0;
	vstate->stats->pages_free = 0;
}

/*
 * Make the metapage say how this server logs removals, before the first
 * one: LEARNED_WAL_CLEANUP_REDO set where the learned resource manager is
 * registered (records whose redo takes a cleanup lock), clear where
 * removals go to generic WAL.  A hot standby offers index-only scans only
 * while the flag is set (learned_standby_ios_safe); because this change is
 * logged before any removal, the standby replays it before the first
 * removal its scans are not protected from.
 *
 * Clearing the flag (a primary restarted without the library) must also
 * stop the index-only scans a standby is already running: their pins will
 * not hold off generic redo.  So the clearing is done under an
 * AccessExclusiveLock on the index, which is WAL-logged: the standby's
 * replay takes it too, waiting for (or, past max_standby_streaming_delay,
 * cancelling) every query that holds a lock on the index, and keeps it
 * until this transaction's commit, so every removal of this VACUUM is
 * replayed while no standby query uses the index.  The relcache
 * invalidation, replayed at commit, makes the standby's cached plans plan
 * again (without index-only scans).  The lock blocks queries on the primary
 * for the rest of this one VACUUM; it is taken once per index, when the
 * library stops being preloaded.  A parallel worker cannot log the lock (it
 * may not assign a transaction id) and clears the flag without it.
 */
static void
learned_vacuum_note_wal(Relation index)
{
	uint32		wanted = learned_rmgr_registered ? LEARNED_WAL_CLEANUP_REDO : 0;
	Buffer		buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LearnedMetaPage meta;
	bool		change;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(BufferGetPage(buf));
	change = (meta->wal_flags & LEARNED_WAL_CLEANUP_REDO) != wanted;
	UnlockReleaseBuffer(buf);
	if (!change)
		return;

	/* Neither a buffer lock nor a pin while waiting for a heavyweight lock. */
	if (wanted == 0 && RelationNeedsWAL(index) && XLogStandbyInfoActive() &&
		!IsParallelWorker())
		LockRelation(index, AccessExclusiveLock);

	buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(BufferGetPage(buf));
	if ((meta->wal_flags & LEARNED_WAL_CLEANUP_REDO) != wanted)
	{
		GenericXLogState *xlog = GenericXLogStart(index);

		meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, buf, 0));
		meta->wal_flags = (meta->wal_flags & ~LEARNED_WAL_CLEANUP_REDO) | wanted;
		GenericXLogFinish(xlog);
		if (wanted == 0)
			CacheInvalidateRelcacheByRelid(index->rd_index->indrelid);
	}
	UnlockReleaseBuffer(buf);
}

/*
 * ambulkdelete: remove the entries whose heap TIDs the callback reports
 * dead.
 */
IndexBulkDeleteResult *
learned_bulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				   IndexBulkDeleteCallback callback, void *callback_state)
{
	LearnedVacuumState vstate;

	if (stats == NULL)
		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));

	learned_vacuum_note_wal(info->index);
	vstate.info = info;
	vstate.stats = stats;
	vstate.callback = callback;
	vstate.callback_state = callback_state;
	learned_vacuum_scan(&vstate);

	return stats;
}

/*
 * amvacuumcleanup: retrain the model if its fits have drifted, and report
 * the index's size and entries.  After a bulkdelete the counts are already
 * exact; otherwise (nothing to delete this cycle) count with a read-only
 * pass.
 *
 * Retraining here is what keeps an insert-only table's model fresh: insert
 * driven autovacuum runs this cleanup even when nothing was deleted.  It is
 * skipped, not waited for, when a learned_index_retrain() is running.
 */
IndexBulkDeleteResult *
learned_vacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	Relation	index = info->index;

	if (info->analyze_only)
		return stats;

	if (learned_model_drifted(index) &&
		ConditionalLockRelation(index, ShareUpdateExclusiveLock))
	{
		(void) learned_retrain(index);
		UnlockRelation(index, ShareUpdateExclusiveLock);
	}

	if (stats == NULL)
	{
		LearnedVacuumState vstate;

		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));
		vstate.info = info;
		vstate.stats = stats;
		vstate.callback = NULL;
		vstate.callback_state = NULL;
		learned_vacuum_scan(&vstate);
	}

	stats->estimated_count = false;
	return stats;
}
